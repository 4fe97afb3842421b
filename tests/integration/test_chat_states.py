"""Chat states, delivery receipts and chat markers between real clients, over the real ejabberd."""

from __future__ import annotations

import asyncio

from component.storage.directory import SiteChanges
from tests.integration.clients import Client, expect_no_more
from tests.integration.helpdesk_fixtures import Desk


async def test_chat_states_cross_both_ways_and_typing_alone_opens_nothing(desk: Desk) -> None:
    alice_jid = desk.user("alice")
    await desk.add_operator("acme", alice_jid, "Alice")
    await desk.start_component()
    alice = await desk.operator_online(alice_jid)
    visitor = await desk.client(desk.user("visitor"))
    stranger = await desk.client(desk.user("stranger"))

    visitor.send_typing(desk.desk_jid(), "composing")  # before any chat: nothing opens
    await asyncio.sleep(0.5)
    assert len(desk.service.chats) == 0
    visitor.send(desk.desk_jid(), "hello")
    await alice.expect_from(desk.chat_jid(1), "hello")

    visitor.send_typing(desk.desk_jid(), "composing")
    await alice.expect_signal(desk.chat_jid(1), "composing")
    alice.send_typing(desk.chat_jid(1), "composing")
    await visitor.expect_signal(desk.desk_jid(), "composing")
    alice.send_typing(desk.chat_jid(1), "paused")
    await visitor.expect_signal(desk.desk_jid(), "paused")

    visitor.send_asking(desk.desk_jid(), "are you there?", "v-2", typing="active")
    relayed = await alice.expect_from(desk.chat_jid(1), "are you there?")
    assert relayed.typing == "active"

    stranger.send_typing(desk.chat_jid(1), "composing")  # not theirs: dropped, no error
    await expect_no_more(alice, visitor, stranger, seconds=1.0)
    assert alice.signals == visitor.signals == stranger.signals == []


async def test_receipts_and_markers_come_back_with_each_sides_own_ids(desk: Desk) -> None:
    _, alice, visitor = await open_chat_asking(desk)
    header = await alice.expect_from(desk.chat_jid(1), "hello")
    assert header.request and header.markable and header.id
    visitor.send_asking(desk.desk_jid(), "second", "v-2")
    second = await alice.expect_from(desk.chat_jid(1), "second")
    assert second.request and second.markable and second.id != header.id
    await asyncio.sleep(0.5)
    assert visitor.signals == []  # nobody acknowledges for the operator's client

    alice.send_ack(desk.chat_jid(1), "received", header.id)
    assert (await visitor.expect_signal(desk.desk_jid(), "received")).id == "v-1"
    alice.send_ack(desk.chat_jid(1), "marker-received", second.id)
    assert (await visitor.expect_signal(desk.desk_jid(), "received")).id == "v-2"
    alice.send_ack(desk.chat_jid(1), "displayed", second.id)
    assert (await visitor.expect_signal(desk.desk_jid(), "displayed")).id == "v-2"

    alice.send_asking(desk.chat_jid(1), "yes, here", "a-1")
    answer = await visitor.expect_from(desk.desk_jid(), "yes, here")
    assert answer.request and answer.markable
    visitor.send_ack(desk.desk_jid(), "received", answer.id)
    visitor.send_ack(desk.desk_jid(), "displayed", answer.id)
    assert (await alice.expect_signal(desk.chat_jid(1), "received")).id == "a-1"
    assert (await alice.expect_signal(desk.chat_jid(1), "displayed")).id == "a-1"

    alice.send_ack(desk.chat_jid(1), "displayed", "made-up")
    await expect_no_more(alice, visitor, seconds=1.0)
    assert alice.signals == visitor.signals == []


async def test_typing_alone_does_not_stop_the_answer_timeout(desk: Desk) -> None:
    await desk.admin.set_site("acme", SiteChanges(answer_timeout=2))
    alice_jid, bob_jid = desk.user("alice"), desk.user("bob")
    await desk.add_operator("acme", alice_jid, "Alice", priority=10)
    await desk.add_operator("acme", bob_jid, "Bob", priority=1)
    await desk.start_component()
    alice = await desk.operator_online(alice_jid)
    bob = await desk.operator_online(bob_jid)
    visitor = await desk.client(desk.user("vera"))
    visitor.send(desk.desk_jid(), "hello")
    await alice.expect_from(desk.chat_jid(1), "hello")

    for state in ("composing", "paused", "composing", "paused", "composing", "active"):
        alice.send_typing(desk.chat_jid(1), state)
        await asyncio.sleep(0.5)
    transcript = await bob.expect_from(desk.chat_jid(1), "is now yours", timeout=5)
    assert "Visitor: hello" in transcript.body
    await alice.expect_from(desk.chat_jid(1), "moved to Bob")

    await desk.flush_archive()
    bodies = await desk.rows("SELECT body FROM messages WHERE chat_number = 1")
    assert all(body.strip() for (body,) in bodies)  # nothing archived for a chat state


async def open_chat_asking(desk: Desk) -> tuple[str, Client, Client]:
    """Alice online; the visitor's first message asks for a receipt and markers (id v-1)."""
    alice_jid = desk.user("alice")
    await desk.add_operator("acme", alice_jid, "Alice")
    await desk.start_component()
    alice = await desk.operator_online(alice_jid)
    visitor = await desk.client(desk.user("visitor"))
    visitor.send_asking(desk.desk_jid(), "hello", "v-1")
    return alice_jid, alice, visitor
