"""An XMPP visitor chats with operators through the real ejabberd; archive checked in MariaDB."""

from __future__ import annotations

from tests.integration.clients import expect_no_more
from tests.integration.helpdesk_fixtures import Desk


async def test_round_trip_is_relayed_and_archived(desk: Desk) -> None:
    alice_jid = desk.user("alice")
    await desk.add_operator("acme", alice_jid, "Alice", priority=10)
    await desk.start_component()
    alice = await desk.operator_online(alice_jid)
    visitor = await desk.client(desk.user("visitor"))

    visitor.send(desk.desk_jid(), "Hello, do you ship to Norway?", nick="Bob <b>")
    first = await alice.expect_from(desk.chat_jid(1))
    assert first.nick == "Bob <b> (acme)"
    assert "New chat acme.1 from Bob <b>" in first.body
    assert visitor.jid in first.body and "Acme Inc. (acme)" in first.body
    assert first.body.endswith("Hello, do you ship to Norway?")

    alice.send(desk.chat_jid(1), "Yes, we do.")
    answer = await visitor.expect_from(desk.desk_jid())
    assert answer.body == "Yes, we do."

    visitor.send(desk.desk_jid(), "Great, thanks")
    assert (await alice.expect_from(desk.chat_jid(1))).body == "Great, thanks"

    alice.send(desk.chat_jid(1), "/close")
    assert "closed" in (await visitor.expect_from(desk.desk_jid())).body
    assert "acme.1 closed" in (await alice.expect_from(desk.chat_jid(1))).body

    await desk.flush_archive()
    chats = await desk.rows(
        "SELECT number, visitor, visitor_name, state, operator_jid, closed_at FROM chats"
    )
    assert chats == [(1, visitor.jid, "Bob <b>", "closed", alice_jid, chats[0][5])]
    assert chats[0][5] is not None
    messages = await desk.rows(
        "SELECT seq, sender, author, body, at FROM messages WHERE chat_number = 1 ORDER BY seq"
    )
    said = [(sender, body) for _, sender, _, body, _ in messages]
    assert said[0] == ("visitor", "Hello, do you ship to Norway?")
    assert ("operator", "Yes, we do.") in said
    assert ("visitor", "Great, thanks") in said
    assert [s for s, _ in said].count("system") >= 2  # assignment and closing notices
    assert [m[0] for m in messages] == list(range(1, len(messages) + 1))
    times = [m[4] for m in messages]
    assert times == sorted(times) and any(t.microsecond for t in times)

    visitor.send(desk.desk_jid(), "One more question")
    again = await alice.expect_from(desk.chat_jid(2))
    assert "New chat acme.2" in again.body
    await expect_no_more(alice, visitor)  # one header per chat, nothing twice


async def test_next_chat_goes_to_second_operator_when_first_is_offline(desk: Desk) -> None:
    alice_jid, bob_jid = desk.user("alice"), desk.user("bob")
    await desk.add_operator("acme", alice_jid, "Alice", priority=10)
    await desk.add_operator("acme", bob_jid, "Bob", priority=5)
    await desk.start_component()
    alice = await desk.operator_online(alice_jid)
    bob = await desk.operator_online(bob_jid)
    first_visitor = await desk.client(desk.user("v1"))
    first_visitor.send(desk.desk_jid(), "hi")
    await alice.expect_from(desk.chat_jid(1), "hi")

    await alice.stop()
    await desk.wait_for(lambda: desk.service.presence.tier_of(alice_jid).name == "OFFLINE")
    # her open chat follows her to Bob (SPEC 4.4), and its visitor is told
    transcript = await bob.expect_from(desk.chat_jid(1), "is now yours")
    assert "Visitor: hi" in transcript.body
    assert (await first_visitor.expect_from(desk.desk_jid())).body == "You are now talking to Bob."
    second_visitor = await desk.client(desk.user("v2"))
    second_visitor.send(desk.desk_jid(), "anyone there?")
    got = await bob.expect_from(desk.chat_jid(2))
    assert got.body.endswith("anyone there?")
    await expect_no_more(bob, first_visitor, second_visitor)


async def test_nobody_online_the_chat_waits_as_offline_messages(desk: Desk) -> None:
    alice_jid = desk.user("alice")
    await desk.add_operator("acme", alice_jid, "Alice")
    await desk.start_component()
    visitor = await desk.client(desk.user("visitor"))
    visitor.send(desk.desk_jid(), "first")
    notice = await visitor.expect_from(desk.desk_jid())
    assert "No operator is online right now" in notice.body
    visitor.send(desk.desk_jid(), "second")
    await desk.flush_archive()
    assert await desk.rows("SELECT state, operator_jid FROM chats") == [("assigned", alice_jid)]

    alice = await desk.client(alice_jid)  # ejabberd delivers what it stored meanwhile
    header = await alice.expect_from(desk.chat_jid(1))
    assert header.body.endswith("first")
    assert (await alice.expect_from(desk.chat_jid(1))).body == "second"
    alice.send(desk.chat_jid(1), "sorry for the wait")
    assert (await visitor.expect_from(desk.desk_jid())).body == "sorry for the wait"
    await expect_no_more(alice, visitor)  # her coming online re-sends or re-announces nothing


async def test_commands_and_help(desk: Desk) -> None:
    _, alice, visitor = await desk.open_chat()

    alice.send(desk.chat_jid(1), "/help")
    assert "/close" in (await alice.expect_from(desk.chat_jid(1))).body
    alice.send(desk.chat_jid(1), "/frobnicate now")
    assert "Unknown command '/frobnicate'" in (await alice.expect_from(desk.chat_jid(1))).body
    alice.send(desk.chat_jid(1), "//etc/hosts is the file")
    assert (await visitor.expect_from(desk.desk_jid())).body == "/etc/hosts is the file"
    alice.send(desk.desk_jid(), "/help")
    assert "Commands to the desk" in (await alice.expect_from(desk.desk_jid())).body
    alice.send(desk.desk_jid(), "hello desk")
    assert "This is the desk of Acme Inc." in (await alice.expect_from(desk.desk_jid())).body
    await expect_no_more(alice, visitor)  # one reply per command; commands never reach the visitor


async def test_operator_added_while_running_is_asked_to_subscribe(desk: Desk) -> None:
    await desk.start_component()
    carol_jid = desk.user("carol")
    carol = await desk.client(carol_jid)
    await desk.add_operator("acme", carol_jid, "Carol")
    await desk.wait_for(
        lambda: any(
            p["type"] == "subscribe" and p["from"].bare == desk.desk_jid() for p in carol.presences
        )
    )
    # carol's client approves; the desk sees her online and routes to her
    await desk.wait_for(lambda: desk.service.presence.tier_of(carol_jid).name == "AVAILABLE")
    visitor = await desk.client(desk.user("visitor"))
    visitor.send(desk.desk_jid(), "hi carol")
    await carol.expect_from(desk.chat_jid(1), "hi carol")
    await expect_no_more(carol, visitor)
