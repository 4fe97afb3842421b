"""The help desk's use cases over fake ports: what is sent, archived and decided."""

from __future__ import annotations

from dataclasses import replace

import pytest

from component.desk.commands import operator_wrote_chat, operator_wrote_desk
from component.desk.ports import PresenceType
from component.directory import Directory
from component.errors import EmptyMessage, MessageTooLong, NotAllowed, UnknownChat, UnknownSite
from component.models import ChatState, Operator, Sender, VisitorKind
from tests.unit.fakes import ACME, ALICE, BOB, GLOBEX, MALLORY, World, make_world

VISITOR = "vera@v.test"


def visitor_writes(world: World, body: str, visitor: str = VISITOR) -> None:
    world.desk.visitor_wrote("acme", visitor, VisitorKind.XMPP, "Vera", body)


def test_chat_goes_to_the_available_operator_with_header_and_nick() -> None:
    world = make_world()
    world.online(BOB.jid)
    visitor_writes(world, "hello")
    (header,) = world.out.to(BOB.jid)
    assert header.sender == world.chat_jid(1)
    assert header.nick == "Vera (acme)"
    assert header.body.startswith(f"New chat acme.1 from Vera ({VISITOR})")
    assert header.body.endswith("---\nhello")


def test_highest_priority_wins_and_later_messages_follow_the_chat() -> None:
    world = make_world()
    world.online(BOB.jid)
    world.online(ALICE.jid)
    visitor_writes(world, "hello")
    visitor_writes(world, "second")
    assert [m.body for m in world.out.to(ALICE.jid)][1:] == ["second"]
    assert world.out.to(BOB.jid) == []


def test_operator_reply_reaches_visitor_from_desk_and_is_archived() -> None:
    world = make_world()
    world.online(ALICE.jid)
    visitor_writes(world, "hello")
    operator_wrote_chat(world.desk, ALICE.jid, "acme", 1, "hi, how can I help?")
    (reply,) = world.out.to(VISITOR)
    assert (reply.sender, reply.body) == (world.desk_jid(), "hi, how can I help?")
    said = [(m.sender, m.body) for m in world.archive.messages]
    assert said[0] == (Sender.VISITOR, "hello")
    assert said[-1] == (Sender.OPERATOR, "hi, how can I help?")
    assert [m.seq for m in world.archive.messages] == list(range(1, len(said) + 1))


def test_nobody_online_goes_to_an_offline_operator_then_moves_to_whoever_comes_online() -> None:
    world = make_world()
    visitor_writes(world, "first")
    visitor_writes(world, "second")
    (notice,) = world.out.to(VISITOR)
    assert "No operator is online right now" in notice.body
    assert [m.body for m in world.out.to(ALICE.jid)][1:] == ["second"]  # stored offline
    assert world.archive.chats[-1].state is ChatState.ASSIGNED
    world.online(BOB.jid)
    assert "moved to Bob (you are offline)" in world.out.to(ALICE.jid)[-1].body
    (transcript,) = world.out.to(BOB.jid)
    assert "is now yours" in transcript.body
    assert "Visitor: first" in transcript.body and "Visitor: second" in transcript.body
    assert world.out.to(VISITOR)[-1].body == "You are now talking to Bob."


def test_online_but_busy_operators_queue_chats_in_order_and_tell_positions() -> None:
    world = make_world((replace(ALICE, max_chats=1),))
    world.online(ALICE.jid)
    for name in ("one", "two", "three"):
        visitor_writes(world, f"hi from {name}", visitor=f"{name}@v.test")
    assert "number 1 in the queue" in world.out.to("two@v.test")[-1].body
    assert "number 2 in the queue" in world.out.to("three@v.test")[-1].body
    assert world.archive.chats[-1].state is ChatState.QUEUED
    operator_wrote_chat(world.desk, ALICE.jid, "acme", 1, "/close")
    assert world.out.to(ALICE.jid)[-1].body.endswith("hi from two")
    assert world.out.to("three@v.test")[-1].body == "You are now number 1 in the queue."


def test_dnd_operator_gets_no_chat_until_available() -> None:
    world = make_world()
    world.online(ALICE.jid, "dnd")
    visitor_writes(world, "hello")
    assert world.out.to(ALICE.jid) == []
    assert "number 1 in the queue" in world.out.to(VISITOR)[-1].body
    world.online(ALICE.jid, "chat")
    assert len(world.out.to(ALICE.jid)) == 1


def test_close_tells_both_and_next_message_opens_a_new_chat() -> None:
    world = make_world()
    world.online(ALICE.jid)
    visitor_writes(world, "hello")
    operator_wrote_chat(world.desk, ALICE.jid, "acme", 1, "/close")
    assert "closed the chat" in world.out.to(VISITOR)[-1].body
    assert world.out.to(ALICE.jid)[-1].body == "Chat acme.1 closed."
    assert world.archive.chats[-1].state is ChatState.CLOSED
    operator_wrote_chat(world.desk, ALICE.jid, "acme", 1, "hello?")
    assert "is closed" in world.out.to(ALICE.jid)[-1].body
    visitor_writes(world, "again")
    assert world.out.to(ALICE.jid)[-1].sender == world.chat_jid(2)


@pytest.mark.parametrize(
    ("command", "expected"),
    [("/help", "/close"), ("/nope x", "Unknown command '/nope'"), ("/", "Unknown command")],
)
def test_chat_commands(command: str, expected: str) -> None:
    world = make_world()
    world.online(ALICE.jid)
    visitor_writes(world, "hello")
    world.out.take()
    operator_wrote_chat(world.desk, ALICE.jid, "acme", 1, command)
    (reply,) = world.out.take()
    assert expected in reply.body and reply.recipient == ALICE.jid


def test_double_slash_sends_a_literal_slash() -> None:
    world = make_world()
    world.online(ALICE.jid)
    visitor_writes(world, "hello")
    operator_wrote_chat(world.desk, ALICE.jid, "acme", 1, "//help is a word")
    assert world.out.to(VISITOR)[-1].body == "/help is a word"


@pytest.mark.parametrize(
    ("action", "error"),
    [
        (lambda w: w.desk.visitor_wrote("nope", VISITOR, VisitorKind.XMPP, "V", "x"), UnknownSite),
        (lambda w: visitor_writes(w, "  \n "), EmptyMessage),
        (lambda w: visitor_writes(w, "x" * 101), MessageTooLong),
        (lambda w: operator_wrote_chat(w.desk, ALICE.jid, "acme", 9, "x"), UnknownChat),
        (lambda w: operator_wrote_chat(w.desk, VISITOR, "acme", 1, "x"), NotAllowed),
        (lambda w: operator_wrote_chat(w.desk, MALLORY.jid, "acme", 1, "/close"), NotAllowed),
        (lambda w: operator_wrote_desk(w.desk, MALLORY.jid, "acme", "/help"), NotAllowed),
    ],
)
def test_bad_input_raises_and_changes_nothing(action: object, error: type[Exception]) -> None:
    world = make_world()
    world.online(ALICE.jid)
    visitor_writes(world, "hello")
    before = (len(world.out.messages), len(world.archive.messages), len(world.archive.chats))
    with pytest.raises(error):
        action(world)  # type: ignore[operator]
    assert before == (
        len(world.out.messages),
        len(world.archive.messages),
        len(world.archive.chats),
    )


def test_operator_of_another_chat_is_told_not_yours() -> None:
    world = make_world()
    world.online(ALICE.jid)
    visitor_writes(world, "hello")
    operator_wrote_chat(world.desk, BOB.jid, "acme", 1, "mine now")
    assert "not assigned to you" in world.out.to(BOB.jid)[-1].body
    assert world.out.to(VISITOR) == []


def test_subscriptions_are_granted_to_operators_only() -> None:
    world = make_world()
    world.desk.roster.requested(ALICE.jid, "acme")
    world.desk.roster.requested(MALLORY.jid, "acme")
    world.desk.roster.requested(VISITOR, "acme")
    kinds = {(to, kind) for _, to, kind in world.out.presences}
    assert (ALICE.jid, PresenceType.SUBSCRIBED) in kinds
    assert (MALLORY.jid, PresenceType.UNSUBSCRIBED) in kinds
    assert (VISITOR, PresenceType.UNSUBSCRIBED) in kinds
    assert (MALLORY.jid, PresenceType.SUBSCRIBED) not in kinds


def test_presence_of_strangers_is_ignored() -> None:
    world = make_world()
    world.online(VISITOR)
    assert world.desk.presence.tier_of(VISITOR).name == "OFFLINE"


def test_reload_greets_added_and_releases_removed_operators() -> None:
    world = make_world((ALICE,))
    carol = Operator(ACME.id, "carol@x.test", "Carol")
    world.desk.apply_directory(Directory([ACME, GLOBEX], [carol]))
    sent = {(to, kind) for _, to, kind in world.out.presences}
    assert ("carol@x.test", PresenceType.SUBSCRIBE) in sent
    assert ("carol@x.test", PresenceType.PROBE) not in sent  # not before she approved
    assert (ALICE.jid, PresenceType.UNSUBSCRIBED) in sent
    assert not world.desk.is_operator_of(ALICE.jid, "acme")


def test_reload_keeps_newer_assignment_times_from_memory() -> None:
    world = make_world((ALICE,))
    world.online(ALICE.jid)
    visitor_writes(world, "hello")
    world.desk.apply_directory(Directory([ACME], [ALICE]))
    operator = world.desk.directory.operator(ACME.id, ALICE.jid)
    assert operator is not None and operator.last_assigned_at == world.clock.now


def test_connect_greets_every_operator_and_asks_unsubscribed_ones() -> None:
    world = make_world((ALICE, replace(BOB, subscribed=False)))
    world.desk.on_connected()
    sent = world.out.presences
    assert (world.desk_jid(), BOB.jid, PresenceType.SUBSCRIBE) in sent
    assert (world.desk_jid(), ALICE.jid, PresenceType.SUBSCRIBE) not in sent
    assert (world.desk_jid(), ALICE.jid, PresenceType.PROBE) in sent
    assert (world.desk_jid(), BOB.jid, PresenceType.AVAILABLE) in sent


def test_reload_without_changes_does_nothing() -> None:
    world = make_world()
    routers = world.desk.state._routers
    world.desk.apply_directory(Directory([ACME, GLOBEX], [ALICE, BOB, MALLORY]))
    assert world.desk.state._routers is routers
    assert world.out.presences == [] and world.out.messages == []


def test_granted_subscription_is_recorded_once_and_probes_answered_for_operators_only() -> None:
    world = make_world((replace(ALICE, subscribed=False),))
    world.desk.roster.granted(ALICE.jid, "acme", granted=True)
    world.desk.roster.granted(ALICE.jid, "acme", granted=True)
    world.desk.roster.granted(VISITOR, "acme", granted=True)
    assert [u.jid for u in world.archive.operators] == [ALICE.jid]
    assert world.archive.operators[0].subscribed_at == world.clock.now
    assert world.out.presences == [(world.desk_jid(), ALICE.jid, PresenceType.AVAILABLE)]
    world.out.presences.clear()
    world.desk.roster.probed(ALICE.jid, "acme")
    world.desk.roster.probed(VISITOR, "acme")
    assert world.out.presences == [(world.desk_jid(), ALICE.jid, PresenceType.AVAILABLE)]
