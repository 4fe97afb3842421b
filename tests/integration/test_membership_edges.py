"""Operators of several sites, and operators removed mid-chat, over the real ejabberd."""

from __future__ import annotations

import asyncio
import os
import signal
import time

from component.models import ChatState
from component.storage.directory import SiteChanges
from devstack.process import find_pids
from tests.integration.helpdesk_fixtures import Desk


async def removed(desk: Desk, slug: str, jid: str) -> None:
    """`operator remove`, then wait for the running component to apply it (and for the
    operator's server to answer the desk's unsubscribe with `unavailable`)."""
    await desk.admin.remove_operator(slug, jid)
    site = desk.service.directory.site(slug)
    assert site is not None
    await desk.wait_for(lambda: desk.service.directory.operator(site.id, jid) is None)
    await asyncio.sleep(1.0)


async def test_an_operator_removed_from_one_site_keeps_chats_and_gets_new_ones_on_the_other(
    desk: Desk,
) -> None:
    alice_jid, bob_jid = desk.user("alice"), desk.user("bob")
    await desk.admin.add_site("globex", "Globex")
    await desk.add_operator("acme", alice_jid, "Alice")
    await desk.add_operator("globex", alice_jid, "Alice", priority=10)
    await desk.add_operator("globex", bob_jid, "Bob", priority=1)
    await desk.start_component()
    alice = await desk.operator_online(alice_jid)
    bob = await desk.operator_online(bob_jid)
    visitor = await desk.client(desk.user("visitor"))
    visitor.send(desk.desk_jid("globex"), "hello globex")
    await alice.expect_from(desk.chat_jid(1, "globex"), "hello globex")

    await removed(desk, "acme", alice_jid)

    globex = desk.service.directory.site("globex")
    assert globex is not None
    chat = desk.service.chats.get(globex.id, 1)
    assert chat is not None and chat.chat.operator == alice_jid
    visitor.send(desk.desk_jid("globex"), "still there?")
    await alice.expect_from(desk.chat_jid(1, "globex"), "still there?")
    walt = await desk.client(desk.user("walt"))
    walt.send(desk.desk_jid("globex"), "me too")
    await alice.expect_from(desk.chat_jid(2, "globex"), "me too")
    await bob.expect_nothing(1.0)


async def test_a_removed_operator_gets_nothing_more_and_the_chat_waits_for_the_next_slot(
    desk: Desk,
) -> None:
    alice_jid, bob_jid = desk.user("alice"), desk.user("bob")
    await desk.add_operator("acme", alice_jid, "Alice", priority=10, max_chats=1)
    await desk.add_operator("acme", bob_jid, "Bob", priority=1, max_chats=1)
    await desk.start_component()
    alice = await desk.operator_online(alice_jid)
    bob = await desk.operator_online(bob_jid)
    vera = await desk.client(desk.user("vera"))
    vera.send(desk.desk_jid(), "hello")
    await alice.expect_from(desk.chat_jid(1), "hello")
    walt = await desk.client(desk.user("walt"))
    walt.send(desk.desk_jid(), "hi")
    await bob.expect_from(desk.chat_jid(2), "hi")

    await removed(desk, "acme", alice_jid)

    told = await vera.expect_from(desk.desk_jid(), "no longer available")
    assert "number 1 in the queue" in told.body
    vera.send(desk.desk_jid(), "anyone?")
    await alice.expect_nothing(1.5)
    await desk.flush_archive()
    rows = await desk.rows("SELECT state, operator_jid FROM chats WHERE number = 1")
    assert rows == [(ChatState.QUEUED.value, None)]

    bob.send(desk.chat_jid(2), "/close")
    transcript = await bob.expect_from(desk.chat_jid(1), "anyone?")
    assert "hello" in transcript.body
    await vera.expect_from(desk.desk_jid(), "You are now talking to Bob")


async def test_an_ejabberd_outage_longer_than_the_answer_timeout_moves_no_chat(desk: Desk) -> None:
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
    app = desk.app
    assert app is not None

    def crash_for_a_while() -> None:
        """SIGKILL, so the server cannot say its users went offline (as in a network cut)."""
        for pid in find_pids("beam.smp", desk.ejabberd.node):
            os.kill(pid, signal.SIGKILL)
        desk.ejabberd.stop()
        time.sleep(5)  # more than twice the answer timeout

    await asyncio.to_thread(crash_for_a_while)
    acme = desk.service.directory.site("acme")
    assert acme is not None
    entry = desk.service.chats.get(acme.id, 1)
    assert entry is not None
    assert (entry.chat.operator, entry.lost_by) == (alice_jid, set())
    await asyncio.to_thread(desk.ejabberd.restart)
    for client in (alice, bob, visitor):  # a killed server may lose the newest accounts
        await desk.register(client.jid)
    await asyncio.wait_for(app.component.connected_event.wait(), 30)
    await alice.reconnect()
    await bob.reconnect()
    await desk.wait_for(lambda: desk.service.presence.tier_of(alice_jid, acme.id).name != "OFFLINE")
    assert (entry.chat.operator, entry.lost_by) == (alice_jid, set())
    alice.send(desk.chat_jid(1), "sorry, the server was away")
    await visitor.reconnect()
    await visitor.expect_from(desk.desk_jid(), "sorry, the server was away")
    await asyncio.sleep(3.0)
    assert (entry.chat.operator, entry.lost_by) == (alice_jid, set())
