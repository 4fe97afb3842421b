"""What each system message is to the visitor (Notice): archived with it, shown by the web widget
as `queue`/`operator` events and to XMPP visitors as the same words as before."""

from __future__ import annotations

from dataclasses import replace

from component.desk.commands import operator_wrote_chat
from component.models import ChatState, Message, Notice, Receipt, Sender, VisitorKind
from tests.unit.fakes import ALICE, BOB, World, make_world

WEB, XMPP = VisitorKind.WEB, VisitorKind.XMPP
ONE_EACH = (replace(ALICE, max_chats=1), replace(BOB, max_chats=1))


def notices(messages: list[Message]) -> list[tuple[Notice, str]]:
    return [(m.notice, m.detail) for m in messages if m.sender is Sender.SYSTEM]


def test_an_assignment_at_once_is_an_assigned_notice_with_the_operators_name() -> None:
    world = make_world()
    world.online(ALICE.jid)
    world.desk.visitor_wrote("acme", "w1", WEB, "Ann", "hello")
    assert notices(world.web.delivered) == [(Notice.ASSIGNED, "Alice")]
    assert notices(world.archive.messages) == [(Notice.ASSIGNED, "Alice")]


def test_an_xmpp_visitor_hears_nothing_of_an_assignment_at_once_as_before() -> None:
    world = make_world()
    world.online(ALICE.jid)
    world.desk.visitor_wrote("acme", "v@x.test", XMPP, "Vera", "hello")
    assert world.out.to("v@x.test") == []
    assert notices(world.archive.messages) == [(Notice.ASSIGNED, "Alice")]


def queued_world() -> World:
    """Alice and Bob take one chat each; both are busy with web chats w1 and w2."""
    world = make_world(ONE_EACH)
    world.online(ALICE.jid)
    world.online(BOB.jid)
    for visitor in ("w1", "w2"):
        world.desk.visitor_wrote("acme", visitor, WEB, visitor, "hello")
    world.web.delivered.clear()
    return world


def test_queue_positions_are_queue_notices_then_the_assignment_comes() -> None:
    world = queued_world()
    world.desk.visitor_wrote("acme", "w3", WEB, "w3", "hello")
    world.desk.visitor_wrote("acme", "w4", WEB, "w4", "hello")
    shown = [(m.chat_number, m.notice, m.detail) for m in world.web.delivered]
    assert shown == [(3, Notice.QUEUE, "1"), (4, Notice.QUEUE, "2")]
    world.web.delivered.clear()
    operator_wrote_chat(world.desk, ALICE.jid, "acme", 1, "/close")
    shown = [(m.chat_number, m.notice, m.detail) for m in world.web.delivered]
    assert (3, Notice.ASSIGNED, "Alice") in shown and (4, Notice.QUEUE, "1") in shown
    texts = [m.body for m in world.web.delivered if m.notice is Notice.TEXT]
    assert texts == ["The operator closed the chat. Write again any time to start a new one."]


def test_xmpp_visitors_keep_the_queue_words() -> None:
    world = queued_world()
    world.desk.visitor_wrote("acme", "v@x.test", XMPP, "Vera", "hello")
    (told,) = world.out.to("v@x.test")
    assert "busy" in told.body
    assert world.archive.messages[-1].notice is Notice.QUEUE


def test_a_transfer_is_an_assigned_notice_and_the_words_for_xmpp_visitors() -> None:
    for kind, visitor in ((WEB, "w1"), (XMPP, "v@x.test")):
        world = make_world()
        world.online(ALICE.jid)
        world.online(BOB.jid)
        world.desk.visitor_wrote("acme", visitor, kind, "V", "hello")
        assert world.desk.chats.get(1, 1).chat.operator == ALICE.jid  # type: ignore[union-attr]
        operator_wrote_chat(world.desk, ALICE.jid, "acme", 1, "/transfer Bob")
        moved = world.archive.messages[-2:]
        assert notices(moved) == [(Notice.ASSIGNED, "Bob"), (Notice.NEW_OPERATOR, "")]
        told = [s.body for s in world.out.to(visitor)]
        assert told == (["You are now talking to Bob."] if kind is XMPP else [])


def test_notes_for_operators_are_not_for_the_visitor() -> None:
    world = make_world()
    world.online(ALICE.jid)
    world.desk.visitor_wrote("acme", "w1", WEB, "Ann", "hello")
    world.desk.visitor_closed("acme", "w1")
    entry_messages = [m for m in world.archive.messages if m.sender is Sender.SYSTEM]
    assert [m.notice for m in entry_messages] == [Notice.ASSIGNED, Notice.NONE]
    assert world.web.ended == [1]


def test_a_web_visitors_messages_ask_the_operator_for_receipts_by_seq() -> None:
    world = make_world()
    world.online(ALICE.jid)
    world.desk.visitor_wrote("acme", "w1", WEB, "Ann", "hello")
    second = world.desk.visitor_wrote("acme", "w1", WEB, "", "are you there?")
    header, relayed = world.out.to(ALICE.jid)
    both = frozenset(Receipt)
    assert (header.ask, relayed.ask) == (both, both)
    signals = world.desk.signals
    signals.operator_acknowledged(ALICE.jid, "acme", 1, relayed.id, Receipt.DELIVERED)
    signals.operator_acknowledged(ALICE.jid, "acme", 1, header.id, Receipt.READ)
    assert world.web.receipts == [
        (1, str(second.seq), Receipt.DELIVERED),
        (1, "1", Receipt.READ),
    ]


def test_xmpp_visitors_messages_ask_for_nothing_they_did_not_ask_for() -> None:
    world = make_world()
    world.online(ALICE.jid)
    world.desk.visitor_wrote("acme", "v@x.test", XMPP, "Vera", "hello")
    (header,) = world.out.to(ALICE.jid)
    assert header.ask == frozenset()
    assert world.desk.chats.get(1, 1).chat.state is ChatState.ASSIGNED  # type: ignore[union-attr]
