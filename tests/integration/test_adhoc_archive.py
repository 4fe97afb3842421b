"""`recent` and `transcript` at the desk from real slixmpp operators through the real ejabberd:
paging over an archive seeded with closed chats, filters, an open XMPP chat's transcript, a long
transcript in pages, and who sees which chats (others' chats look missing)."""

from __future__ import annotations

from typing import Any

from tests.integration.clients import Client
from tests.integration.helpdesk_fixtures import Desk
from tests.integration.test_visitor_api import call

FORMS = "{jabber:x:data}"


async def seed(desk: Desk, chats: int, long_chat: int = 0) -> None:
    """`chats` closed chats of acme (odd ones Alice's, even ones Bob's), three lines each;
    chat `long_chat` with 400 long lines."""
    alice, bob = desk.user("alice"), desk.user("bob")
    for number in range(1, chats + 1):
        operator = alice if number % 2 else bob
        await desk.db.execute(
            "INSERT INTO chats (site_id, number, visitor, visitor_kind, visitor_name, state,"
            " operator_jid, opened_at, closed_at, route_reason) SELECT id, %s, %s, 'xmpp', %s,"
            " 'closed', %s, NOW(6), NOW(6), 'seeded' FROM sites WHERE slug = 'acme'",
            (number, f"v{number}@example.org", f"Visitor {number}", operator),
        )
        lines = 400 if number == long_chat else 3
        for seq in range(1, lines + 1):
            sender, author = (
                ("visitor", f"v{number}@example.org") if seq % 2 else ("operator", operator)
            )
            await desk.db.execute(
                "INSERT INTO messages (site_id, chat_number, seq, at, sender, author, body)"
                " SELECT id, %s, %s, NOW(6), %s, %s, %s FROM sites WHERE slug = 'acme'",
                (number, seq, sender, author, f"words of chat {number} line {seq} " + "x" * 80),
            )


async def staff(desk: Desk) -> tuple[Client, Client, Client, Client]:
    """Admin Alice, plain Bob (acme), Mallory (globex only), Eve (nobody's)."""
    await desk.admin.add_site("globex", "Globex")
    await desk.register(desk.user("alice"))
    await desk.admin.add_operator("acme", desk.user("alice"), "Alice", 0, 0, admin=True)
    await desk.add_operator("acme", desk.user("bob"), "Bob")
    await desk.add_operator("globex", desk.user("mallory"), "Mallory")
    await desk.start_component()
    alice = await desk.operator_online(desk.user("alice"))
    bob = await desk.operator_online(desk.user("bob"))
    mallory = await desk.operator_online(desk.user("mallory"))
    eve = await desk.client(desk.user("eve"))
    return alice, bob, mallory, eve


def numbers(iq: Any) -> list[int]:
    assert iq["type"] == "result", f"expected a result, got {iq}"
    form = iq["command"].xml.find(f"{FORMS}x")
    found = []
    for item in form.findall(f"{FORMS}item"):
        for field in item.findall(f"{FORMS}field"):
            if field.get("var") == "number":
                found.append(int(field.find(f"{FORMS}value").text))
    return found


def transcript(iq: Any) -> str:
    assert iq["type"] == "result", f"expected a result, got {iq}"
    return "\n".join(iq["command"]["form"]["values"]["transcript"])


def condition(iq: Any) -> str:
    assert iq["type"] == "error", f"expected an error, got {iq}"
    return str(iq["error"]["condition"])


async def test_recent_pages_filters_and_opens_a_transcript(desk: Desk) -> None:
    await seed(desk, 25)
    alice, *_ = await staff(desk)
    first = await alice.run_command(desk.desk_jid(), "recent")
    assert numbers(first) == list(range(25, 5, -1))
    sessionid = first["command"]["sessionid"]
    assert "next" in first["command"]["actions"]
    second = await alice.run_command(desk.desk_jid(), "recent", action="next", sessionid=sessionid)
    assert numbers(second) == [5, 4, 3, 2, 1]
    assert "next" not in second["command"]["actions"]
    back = await alice.run_command(desk.desk_jid(), "recent", action="prev", sessionid=sessionid)
    assert numbers(back) == list(range(25, 5, -1))
    bobs = await alice.run_command(
        desk.desk_jid(),
        "recent",
        action="next",
        sessionid=sessionid,
        values={"operator": desk.user("bob").upper(), "state": "closed"},
    )
    assert numbers(bobs) == list(range(24, 0, -2))
    opened = await alice.run_command(
        desk.desk_jid(), "recent", action="complete", sessionid=sessionid, values={"chat": "7"}
    )
    text = transcript(opened)
    assert "Chat acme.7 with Visitor 7" in text and "Routing: seeded" in text
    assert "Visitor: words of chat 7 line 1" in text and "Bob: words of chat 7 line 2" not in text
    assert "Alice: words of chat 7 line 2" in text


async def test_a_plain_operator_sees_own_chats_unless_the_site_allows_all(desk: Desk) -> None:
    await seed(desk, 6)
    alice, bob, mallory, eve = await staff(desk)
    assert numbers(await bob.run_command(desk.desk_jid(), "recent")) == [6, 4, 2]
    assert numbers(await alice.run_command(desk.desk_jid(), "recent")) == [6, 5, 4, 3, 2, 1]
    hidden = await bob.run_command(desk.desk_jid(), "transcript", values={"chat": "5"})
    missing = await bob.run_command(desk.desk_jid(), "transcript", values={"chat": "99"})
    assert condition(hidden) == condition(missing) == "item-not-found"
    assert hidden["error"]["text"] == missing["error"]["text"].replace("99", "5")
    assert "line 1" in transcript(
        await bob.run_command(desk.desk_jid(), "transcript", values={"chat": "4"})
    )
    for stranger in (mallory, eve):
        for node in ("recent", "transcript"):
            assert condition(await stranger.run_command(desk.desk_jid(), node)) == "forbidden"
        listed = [node for node, _ in await stranger.commands(desk.desk_jid())]
        assert "recent" not in listed and "transcript" not in listed
    assert {"recent", "transcript"} <= {node for node, _ in await bob.commands(desk.desk_jid())}
    await desk.admin.set_site("acme", {"operators_see_all": True})
    await desk.wait_for(
        lambda: desk.service.directory.site("acme").settings.operators_see_all,  # type: ignore[union-attr]
        timeout=30,
    )
    assert numbers(await bob.run_command(desk.desk_jid(), "recent")) == [6, 5, 4, 3, 2, 1]


async def test_someone_elses_session_is_forbidden(desk: Desk) -> None:
    await seed(desk, 3)
    alice, bob, mallory, eve = await staff(desk)
    for node in ("recent", "transcript"):
        started = await alice.run_command(desk.desk_jid(), node)
        sessionid = started["command"]["sessionid"]
        for thief in (bob, mallory, eve):
            stolen = await thief.run_command(
                desk.desk_jid(), node, action="next", sessionid=sessionid
            )
            assert condition(stolen) == "forbidden"


async def test_a_long_transcript_comes_in_pages_under_16_kb(desk: Desk) -> None:
    await seed(desk, 1, long_chat=1)
    alice, *_ = await staff(desk)
    first = await alice.run_command(desk.desk_jid(), "transcript", values={"chat": "1"})
    pages, sessionid, iq = [transcript(first)], first["command"]["sessionid"], first
    while "next" in iq["command"]["actions"]:
        assert len(str(iq).encode()) < 16 * 1024
        iq = await alice.run_command(
            desk.desk_jid(), "transcript", action="next", sessionid=sessionid
        )
        pages.append(transcript(iq))
    assert len(pages) > 2
    whole = "\n".join(pages)
    assert all(f"line {seq} " in whole for seq in range(1, 401))


async def test_an_open_xmpp_chat_reads_to_its_latest_message(desk: Desk) -> None:
    _, alice, visitor = await desk.open_chat()
    visitor.send(desk.desk_jid(), "second words")
    await alice.expect_from(desk.chat_jid(1), "second words")
    text = transcript(await alice.run_command(desk.desk_jid(), "transcript", values={"chat": "1"}))
    assert "hello" in text and "second words" in text


async def test_a_web_chat_transcript_shows_its_visitors_page(desk: Desk) -> None:
    alice, *_ = await staff(desk)
    body = {"text": "hello from the web", "page": "https://shop.test/cart"}
    status, _ = await call(desk, "POST", "/api/v1/sites/acme/chats", body=body)
    assert status in (200, 201)
    await alice.expect_from(desk.chat_jid(1), "hello from the web")
    text = transcript(await alice.run_command(desk.desk_jid(), "transcript", values={"chat": "1"}))
    assert "Page: https://shop.test/cart" in text and "Visitor: hello from the web" in text
