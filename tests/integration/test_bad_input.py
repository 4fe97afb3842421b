"""Bad input over the real ejabberd: a clear error or reply, nothing else changed, process alive."""

from __future__ import annotations

from typing import Any

import pytest

from component.admin import Admin
from component.storage.directory import DirectoryRepository
from component.xmpp.jids import normalize_bare_jid
from tests.integration.clients import Client, Received, expect_no_more
from tests.integration.helpdesk_fixtures import MAX_BODY, Desk


@pytest.fixture
async def chatting(desk: Desk) -> tuple[Desk, Client, Client]:
    """Alice online with chat acme.1 open with a visitor."""
    _, alice, visitor = await desk.open_chat()
    return desk, alice, visitor


def is_error(condition: str) -> Any:
    return lambda r: r.type == "error" and r.error_condition == condition


async def assert_still_relays(desk: Desk, alice: Client, visitor: Client) -> None:
    visitor.send(desk.desk_jid(), "still there?")
    assert (await alice.expect_from(desk.chat_jid(1))).body == "still there?"


async def message_count(desk: Desk) -> int:
    await desk.flush_archive()
    return int((await desk.rows("SELECT COUNT(*) FROM messages"))[0][0])


@pytest.mark.parametrize(
    ("recipient", "body", "condition", "text"),
    [
        ("acme.1@{domain}", "let me in", "forbidden", "only operators of acme"),
        ("nosuch@{domain}", "hello?", "item-not-found", "no site 'nosuch'"),
        ("Bad!Local@{domain}", "hello?", "item-not-found", "not a site or chat"),
        ("acme@{domain}", "   ", "bad-request", "Your message is empty"),
        ("acme@{domain}", "x" * (MAX_BODY + 1), "not-acceptable", "longer than"),
    ],
)
async def test_stranger_errors(
    chatting: tuple[Desk, Client, Client], recipient: str, body: str, condition: str, text: str
) -> None:
    desk, alice, visitor = chatting
    before = await message_count(desk)
    stranger = await desk.client(desk.user("stranger"))
    stranger.send(recipient.format(domain=desk.domain), body)
    error = await stranger.expect(is_error(condition))
    assert text in error.error_text
    assert error.sender.split("/")[0] == recipient.format(domain=desk.domain).lower()
    await expect_no_more(alice, visitor, stranger)  # one error, to the stranger only
    assert await message_count(desk) == before
    await assert_still_relays(desk, alice, visitor)


async def test_operator_errors_and_replies(chatting: tuple[Desk, Client, Client]) -> None:
    desk, alice, visitor = chatting
    alice.send(desk.chat_jid(99), "hello?")
    assert "no chat acme.99" in (await alice.expect(is_error("item-not-found"))).error_text
    alice.send(desk.chat_jid(1), "x" * (MAX_BODY + 1))
    await alice.expect(is_error("not-acceptable"))
    alice.send(desk.chat_jid(1), "/close")
    await alice.expect_from(desk.chat_jid(1), "closed")
    alice.send(desk.chat_jid(1), "are you there?")
    reply = await alice.expect_from(desk.chat_jid(1))
    assert "acme.1 is closed; your message was not delivered" in reply.body
    await visitor.expect_from(desk.desk_jid(), "closed the chat")
    await expect_no_more(visitor, alice)


async def test_error_stanzas_are_never_answered(chatting: tuple[Desk, Client, Client]) -> None:
    desk, alice, visitor = chatting
    before = await message_count(desk)
    visitor.send_raw(
        f"<message type='error' to='{desk.desk_jid()}'><body>bounce</body>"
        "<error type='cancel'><service-unavailable "
        "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>"
    )
    await visitor.expect_nothing(0.7)
    await alice.expect_nothing(0.1)
    assert await message_count(desk) == before
    await assert_still_relays(desk, alice, visitor)


async def test_operator_of_another_site_cannot_touch_a_chat(
    chatting: tuple[Desk, Client, Client],
) -> None:
    desk, alice, visitor = chatting
    await Admin(DirectoryRepository(desk.db), normalize_bare_jid).add_site("globex", "Globex")
    mallory_jid = desk.user("mallory")
    await desk.add_operator("globex", mallory_jid, "Mallory")
    await desk.wait_for(lambda: desk.service.is_operator_of(mallory_jid, "globex"))
    mallory = await desk.client(mallory_jid)
    mallory.send(desk.chat_jid(1), "/close")
    assert "only operators of acme" in (await mallory.expect(is_error("forbidden"))).error_text
    await expect_no_more(visitor, alice, mallory)
    await assert_still_relays(desk, alice, visitor)


async def test_sql_and_html_in_names_are_kept_as_text(desk: Desk) -> None:
    alice_jid = desk.user("alice")
    await desk.add_operator("acme", alice_jid, "Alice")
    await desk.start_component()
    alice = await desk.operator_online(alice_jid)
    visitor = await desk.client(desk.user("visitor"))
    nasty = "Robert'); DROP TABLE chats;-- <script>x</script>"
    visitor.send(desk.desk_jid(), "<b>hi</b> ' OR 1=1", nick=nasty)
    header: Received = await alice.expect_from(desk.chat_jid(1))
    assert header.nick == f"{nasty} (acme)"
    assert header.body.endswith("<b>hi</b> ' OR 1=1")
    await expect_no_more(alice, visitor)
    await desk.flush_archive()
    assert await desk.rows("SELECT visitor_name FROM chats") == [(nasty,)]


async def test_strangers_get_no_subscription_and_disco_is_answered(desk: Desk) -> None:
    await desk.start_component()
    stranger = await desk.client(desk.user("stranger"))
    stranger.xmpp.send_presence(pto=desk.desk_jid(), ptype="subscribe")
    await desk.wait_for(
        lambda: any(
            p["type"] == "unsubscribed" and p["from"].bare == desk.desk_jid()
            for p in stranger.presences
        )
    )
    disco = stranger.xmpp.plugin["xep_0030"]
    info = await disco.get_info(jid=desk.domain, timeout=10)
    assert ("component", "generic", None, "HelperChat") in info["disco_info"]["identities"]
    info = await disco.get_info(jid=desk.desk_jid(), timeout=10)
    assert ("client", "bot", None, "Acme Inc.") in info["disco_info"]["identities"]
    items = await disco.get_items(jid=desk.domain, timeout=10)
    assert items["disco_items"]["items"] == set()
    with pytest.raises(Exception, match="item-not-found"):
        await disco.get_info(jid=f"nosuch@{desk.domain}", timeout=10)
