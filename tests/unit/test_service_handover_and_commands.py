"""Reassignment, transfer, pause and the operator commands over fake ports."""

from __future__ import annotations

from dataclasses import replace

import pytest

from component.chats import OpenChat
from component.desk.commands import operator_wrote_chat, operator_wrote_desk
from component.desk.state import PRESENCE_SETTLE_SECONDS
from component.directory import Directory
from component.models import Chat, ChatState, Sender, Strategy, VisitorKind
from tests.unit.fakes import ACME, ALICE, BOB, GLOBEX, MALLORY, World, make_world

VISITOR = "vera@v.test"


def start_chat(world: World, body: str = "hello", visitor: str = VISITOR) -> None:
    world.desk.visitor_wrote("acme", visitor, VisitorKind.XMPP, "Vera", body)


def desk_says(world: World, jid: str, command: str) -> str:
    operator_wrote_desk(world.desk, jid, "acme", command)
    return world.out.to(jid)[-1].body


def chat_says(world: World, jid: str, command: str, number: int = 1) -> str:
    operator_wrote_chat(world.desk, jid, "acme", number, command)
    return world.out.to(jid)[-1].body


def test_unanswered_chat_moves_on_after_the_answer_timeout() -> None:
    world = make_world()
    world.online(ALICE.jid)
    world.online(BOB.jid)
    start_chat(world)
    world.clock.advance(59)
    world.desk.on_tick()
    assert world.out.to(BOB.jid) == []
    world.clock.advance(1)
    world.desk.on_tick()
    assert "moved to Bob (no answer within 1 min 0 s)" in world.out.to(ALICE.jid)[-1].body
    assert "Visitor: hello" in world.out.to(BOB.jid)[-1].body
    assert world.out.to(VISITOR)[-1].body == "You are now talking to Bob."
    world.clock.advance(60)
    world.desk.on_tick()  # Bob does not answer either, but Alice lost it already: it stays
    assert len(world.out.to(ALICE.jid)) == 2


def test_answered_chat_stays() -> None:
    world = make_world()
    world.online(ALICE.jid)
    world.online(BOB.jid)
    start_chat(world)
    operator_wrote_chat(world.desk, ALICE.jid, "acme", 1, "hi!")
    world.clock.advance(600)
    world.desk.on_tick()
    assert world.out.to(BOB.jid) == []


def test_timeout_with_nobody_else_keeps_the_chat() -> None:
    world = make_world()
    world.online(ALICE.jid)
    start_chat(world)
    world.clock.advance(61)
    world.desk.on_tick()
    assert len(world.out.to(ALICE.jid)) == 1
    world.online(BOB.jid)
    world.clock.advance(61)
    world.desk.on_tick()
    assert "moved to Bob" in world.out.to(ALICE.jid)[-1].body


def test_operator_going_offline_hands_chats_over_with_transcript() -> None:
    world = make_world()
    world.online(ALICE.jid)
    world.online(BOB.jid)
    start_chat(world)
    operator_wrote_chat(world.desk, ALICE.jid, "acme", 1, "let me check")
    world.offline(ALICE.jid)
    body = world.out.to(BOB.jid)[-1].body
    assert "Visitor: hello" in body and "Alice: let me check" in body
    operator_wrote_chat(world.desk, BOB.jid, "acme", 1, "Bob here")
    assert world.out.to(VISITOR)[-1].body == "Bob here"


@pytest.mark.parametrize("target", ["Bob", "bob", "bob@x.test", "BOB@X.Test", "ｂｏｂ@x.test"])
def test_transfer_by_name_or_jid(target: str) -> None:
    world = make_world()
    world.online(ALICE.jid)
    world.online(BOB.jid)
    start_chat(world)
    assert "moved to Bob (you transferred it to Bob)" in chat_says(
        world, ALICE.jid, f"/transfer {target}"
    )
    assert "is now yours" in world.out.to(BOB.jid)[-1].body
    assert world.out.to(VISITOR)[-1].body == "You are now talking to Bob."
    assert "not assigned to you" in chat_says(world, ALICE.jid, "still here?")
    assert world.archive.chats[-1].operator == BOB.jid


@pytest.mark.parametrize(
    ("command", "reply"),
    [
        ("/transfer", "Usage: /transfer"),
        ("/transfer Zed", "No operator 'Zed' in Acme Inc. (operators: Alice, Bob)"),
        ("/transfer mallory@x.test", "No operator 'mallory@x.test'"),
        ("/transfer Alice", "This chat is yours already."),
        ("/transfer Bob", "Bob is offline; the chat stays with you."),
    ],
)
def test_transfer_refusals(command: str, reply: str) -> None:
    world = make_world()
    world.online(ALICE.jid)
    start_chat(world)
    assert reply in chat_says(world, ALICE.jid, command)
    assert world.archive.chats[-1].operator == ALICE.jid


def test_info_shows_visitor_and_the_routing_reason() -> None:
    world = make_world()
    world.online(ALICE.jid)
    world.online(BOB.jid)
    start_chat(world)
    info = chat_says(world, ALICE.jid, "/info")
    assert f"Visitor: Vera <{VISITOR}> (xmpp)" in info
    assert "Routing: assigned to alice@x.test" in info
    assert "bob@x.test" in info  # the other candidate considered
    assert "Rule: priority" in info


def test_pause_and_resume() -> None:
    world = make_world((ALICE,))
    world.online(ALICE.jid)
    assert "Paused" in desk_says(world, ALICE.jid, "/pause")
    assert "paused already" in desk_says(world, ALICE.jid, "/pause")
    start_chat(world)
    assert not any(m.body.startswith("New chat") for m in world.out.to(ALICE.jid))
    assert "number 1 in the queue" in world.out.to(VISITOR)[-1].body
    assert "1. acme.1 Vera, waiting 0 s" in desk_says(world, ALICE.jid, "/queue")
    assert world.archive.operators[-1].paused is True
    world.out.take()
    operator_wrote_desk(world.desk, ALICE.jid, "acme", "/resume")
    resumed, new_chat = world.out.to(ALICE.jid)  # the answer first, then the chat it let in
    assert resumed.body.startswith("Resumed")
    assert new_chat.body.startswith("New chat acme.1")
    assert "empty" in desk_says(world, ALICE.jid, "/queue")


def test_status() -> None:
    world = make_world((replace(ALICE, max_chats=3),))
    world.online(ALICE.jid)
    start_chat(world)
    world.clock.advance(75)
    status = desk_says(world, ALICE.jid, "/status")
    assert "You at Acme Inc.: available (1 connected)" in status
    assert "Idle: 1 min 15 s" in status
    assert "Open chats: 1/3 (acme.1)" in status
    assert "Queue: 0 waiting" in status


def test_unknown_desk_command_and_plain_text() -> None:
    world = make_world()
    assert "Unknown command '/dance'" in desk_says(world, ALICE.jid, "/dance")
    assert "This is the desk of Acme Inc." in desk_says(world, ALICE.jid, "hello")


def test_strategy_of_the_site_is_used() -> None:
    site = replace(ACME, settings=replace(ACME.settings, strategy=Strategy.ROUND_ROBIN))
    world = make_world()
    world.desk.apply_directory(Directory([site, GLOBEX], [ALICE, BOB, MALLORY]))
    world.online(ALICE.jid)
    world.online(BOB.jid)
    owners = []
    for i in range(4):
        start_chat(world, visitor=f"v{i}@v.test")
        world.clock.advance(1)
    for entry in world.desk.chats.assigned(ACME.id):
        owners.append(entry.chat.operator)
    assert sorted(owners) == [ALICE.jid, ALICE.jid, BOB.jid, BOB.jid]


def test_restored_unanswered_chats_keep_their_timeout() -> None:
    world = make_world()
    chat = Chat(
        ACME.id, 5, VISITOR, VisitorKind.XMPP, "Vera", ChatState.ASSIGNED, 1.0, ALICE.jid, 2.0
    )
    entry = OpenChat(chat)
    world.desk.restore({ACME.id: 5}, [entry])
    assert entry.waiting_since == 2.0
    world.online(ALICE.jid)
    world.online(BOB.jid)
    world.desk.on_tick()
    assert "moved to Bob" in world.out.to(ALICE.jid)[-1].body
    assert any(m.sender is Sender.SYSTEM for m in entry.tail.messages)


def test_reload_keeps_paused_from_memory() -> None:
    world = make_world((ALICE,))
    world.online(ALICE.jid)
    desk_says(world, ALICE.jid, "/pause")
    world.desk.apply_directory(Directory([ACME], [ALICE]))
    operator = world.desk.directory.operator(ACME.id, ALICE.jid)
    assert operator is not None and operator.paused


def test_after_reconnecting_chats_wait_for_presence_to_settle() -> None:
    world = make_world()
    world.online(ALICE.jid)
    world.online(BOB.jid)
    start_chat(world, visitor="one@v.test")
    operator_wrote_chat(world.desk, ALICE.jid, "acme", 1, "hi")
    world.offline(ALICE.jid)  # chat 1 moves to Bob
    world.online(ALICE.jid)
    start_chat(world, visitor="two@v.test")
    owners = {e.chat.number: e.chat.operator for e in world.desk.chats.assigned()}
    assert owners == {1: BOB.jid, 2: ALICE.jid}
    world.desk.on_connected()  # the server came back: nobody's presence is known yet
    world.online(BOB.jid)  # Bob's comes back first: Alice's chat must not move to him
    assert world.desk.chats.get(ACME.id, 2).chat.operator == ALICE.jid  # type: ignore[union-attr]
    world.clock.advance(PRESENCE_SETTLE_SECONDS)
    world.desk.on_tick()  # Alice never came back: now her chat goes
    assert world.desk.chats.get(ACME.id, 2).chat.operator == BOB.jid  # type: ignore[union-attr]


def test_an_operator_who_says_offline_while_settling_hands_over_at_once() -> None:
    world = make_world()
    world.online(ALICE.jid)
    world.online(BOB.jid)
    start_chat(world)
    world.desk.on_connected()
    world.online(ALICE.jid)
    world.online(BOB.jid)
    world.offline(ALICE.jid)
    assert world.desk.chats.get(ACME.id, 1).chat.operator == BOB.jid  # type: ignore[union-attr]
