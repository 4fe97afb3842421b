"""A site's open chats are bounded, over the real ejabberd and MariaDB: past
limits.max_open_chats_per_site an XMPP visitor's first message is refused (resource-constraint,
type wait, in their language) and opens, archives and relays nothing, and a web start is 503;
a chat nobody answered and nobody wrote in for limits.unanswered_expiry_seconds is closed, its
visitor told."""

from __future__ import annotations

from dataclasses import replace

from tests.integration.clients import expect_no_more
from tests.integration.helpdesk_fixtures import Desk
from tests.integration.test_visitor_api import call


def limits(desk: Desk, **changes: object) -> None:
    desk.config = replace(desk.config, limits=replace(desk.config.limits, **changes))


async def test_a_visitor_past_the_sites_open_chats_is_refused_and_nothing_is_kept(
    desk: Desk,
) -> None:
    limits(desk, max_open_chats_per_site=1)
    _, alice, first = await desk.open_chat()  # acme.1: the site's one open chat
    second = await desk.client(desk.user("second"))
    second.send(desk.desk_jid(), "me too", lang="ru")
    refused = await second.expect(lambda r: r.type == "error")
    assert (refused.error_condition, refused.error_type) == ("resource-constraint", "wait")
    assert refused.error_text.startswith("Сейчас здесь открыто слишком много чатов")
    status, body = await call(desk, "POST", "/api/v1/sites/acme/chats", body={"text": "web"})
    assert (status, body["error"]["code"]) == (503, "busy")
    first.send(desk.desk_jid(), "the open chat goes on")
    await alice.expect_from(desk.chat_jid(1), "the open chat goes on")
    await expect_no_more(alice, second)
    await desk.flush_archive()
    assert await desk.rows("SELECT number FROM chats") == [(1,)]
    bodies = await desk.rows("SELECT body FROM messages WHERE sender = 'visitor' ORDER BY seq")
    assert bodies == [("hello",), ("the open chat goes on",)]
    alice.send(desk.chat_jid(1), "/close")
    await first.expect_from(desk.desk_jid(), "closed")
    second.send(desk.desk_jid(), "now?")  # room again
    await alice.expect_from(desk.chat_jid(2), "now?")


async def test_an_unanswered_chat_nobody_writes_in_is_closed_and_its_visitor_told(
    desk: Desk,
) -> None:
    limits(desk, unanswered_expiry_seconds=1.0)
    alice_jid = desk.user("alice")
    await desk.add_operator("acme", alice_jid, "Alice")  # offline: the chat is passed on
    await desk.start_component()
    visitor = await desk.client(desk.user("visitor"))
    visitor.send(desk.desk_jid(), "is anyone there?")
    await visitor.expect_from(desk.desk_jid(), "passed on")
    told = await visitor.expect_from(desk.desk_jid(), "Nobody could answer this chat in time")
    assert "start a new one" in told.body
    await desk.wait_for(lambda: len(desk.service.chats) == 0)
    await desk.flush_archive()
    assert await desk.rows("SELECT number, state FROM chats") == [(1, "closed")]
    alice = await desk.operator_online(alice_jid)  # the offline operator hears of it too
    header = await alice.expect_from(desk.chat_jid(1), "New chat acme.1")
    assert "is anyone there?" in header.body
    await alice.expect_from(desk.chat_jid(1), "closed: nobody answered it")
