"""A web visitor closes their chat: archived, the operator told and freed; twice is no error."""

from __future__ import annotations

from dataclasses import replace

from component.models import ChatState, Sender, VisitorKind
from component.tokens import new_token, new_visitor_id, token_hash, token_matches
from tests.unit.fakes import ALICE, BOB, make_world

VISITOR = "web:abc"


def test_the_visitor_closes_and_the_operator_hears_of_it() -> None:
    world = make_world()
    world.online(ALICE.jid)
    first = world.desk.visitor_wrote("acme", VISITOR, VisitorKind.WEB, "Vera", "hello")
    assert (first.chat_number, first.seq, first.sender) == (1, 1, Sender.VISITOR)
    world.out.take()
    world.desk.visitor_closed("acme", VISITOR)
    assert [(m.recipient, m.body) for m in world.out.take()] == [
        (ALICE.jid, "The visitor closed chat acme.1.")
    ]
    assert world.archive.chats[-1].state is ChatState.CLOSED
    assert world.archive.messages[-1].body == "Chat closed by the visitor."
    assert world.web.ended == [1]
    assert world.desk.chats.get(1, 1) is None
    world.desk.visitor_closed("acme", VISITOR)  # again: nothing happens
    assert world.out.take() == [] and world.web.ended == [1]


def test_closing_frees_the_operators_slot_for_the_queue() -> None:
    world = make_world((replace(ALICE, max_chats=1),))
    world.online(ALICE.jid)
    world.desk.visitor_wrote("acme", VISITOR, VisitorKind.WEB, "Vera", "hello")
    world.desk.visitor_wrote("acme", "web:other", VisitorKind.WEB, "Olga", "me too")
    second = world.desk.chats.get(1, 2)
    assert second is not None and second.chat.state is ChatState.QUEUED
    world.desk.visitor_closed("acme", VISITOR)
    assert second.chat.state is ChatState.ASSIGNED and second.chat.operator == ALICE.jid
    assert BOB.jid not in {m.recipient for m in world.out.messages}


def test_tokens_are_long_random_and_kept_only_as_a_hash() -> None:
    token = new_token()
    assert len(token) >= 43 and token != new_token()
    assert new_visitor_id().startswith("web:") and new_visitor_id() != new_visitor_id()
    stored = token_hash(token)
    assert len(stored) == 64 and token not in stored
    assert token_matches(token, stored) and not token_matches(new_token(), stored)
