"""Open chats a site's visitors can make: capped per site (past the cap a new chat is refused and
nothing is opened), and a chat no operator ever answered, in which nobody wrote for a long time,
is closed, so strangers with many JIDs cannot keep chats open for good (a desk of fakes)."""

from __future__ import annotations

import dataclasses

import pytest

from component.config import RateConfig, RateLimitsConfig
from component.desk.commands import operator_wrote_chat
from component.desk.expiry import SCAN_SECONDS
from component.desk.state import MAX_OPEN_CHATS_PER_SITE
from component.errors import DeskFull, HelpDeskError
from component.models import ChatState, VisitorKind
from component.visitor_limits import VisitorLimits
from component.xmpp.admission import XmppAdmission
from tests.unit.fakes import ACME, ALICE, GLOBEX, MALLORY, World, make_world

DAY = 86_400.0


def write(world: World, visitor: str, body: str = "hi", slug: str = "acme") -> None:
    world.desk.visitor_wrote(slug, visitor, VisitorKind.XMPP, "S", body)


def a_day_later(world: World, seconds: float = DAY) -> None:
    """`seconds` (and a scan's interval) pass; the timer runs."""
    world.clock.advance(seconds + SCAN_SECONDS)
    world.desk.on_tick()


def test_strangers_with_many_jids_cannot_open_more_than_the_sites_cap() -> None:
    world = make_world()  # nobody online: each chat goes to an offline operator and stays open
    refused = 0
    for n in range(1_200):
        try:
            write(world, f"s{n}@evil.test")
        except HelpDeskError as error:
            assert error.condition == "resource-constraint"
            refused += 1
    assert len(world.desk.chats) == MAX_OPEN_CHATS_PER_SITE == 1_000
    assert refused == 200


def test_a_refused_chat_opens_archives_and_tells_nothing_and_other_sites_have_room() -> None:
    world = make_world()
    world.desk.state.max_open_chats = 2
    write(world, "a@v.test")
    write(world, "b@v.test")
    chats, messages, sent = (
        len(world.archive.chats),
        len(world.archive.messages),
        world.out.sent_count,
    )
    with pytest.raises(DeskFull):
        write(world, "c@v.test")
    assert world.desk.chats.of_visitor(ACME.id, "c@v.test") is None
    assert (len(world.archive.chats), len(world.archive.messages)) == (chats, messages)
    assert world.out.sent_count == sent
    write(world, "a@v.test", "still here")  # the open chats go on
    write(world, "c@v.test", slug="globex")  # each site has its own room
    assert world.desk.chats.of_visitor(GLOBEX.id, "c@v.test") is not None


def test_a_refusal_for_want_of_room_takes_no_token_and_speaks_the_visitors_language() -> None:
    world = make_world()
    world.desk.state.max_open_chats = 1
    limits = VisitorLimits(
        RateLimitsConfig(chats_per_jid=RateConfig(count=1, per_seconds=3600)), world.clock
    )
    gate = XmppAdmission(limits)
    write(world, "a@v.test")
    with pytest.raises(DeskFull) as refused:
        gate.words(world.desk, ACME, "c@v.test", "v.test", "hello", "ru")
    assert refused.value.text.startswith("Сейчас здесь открыто слишком много чатов")
    assert limits.keys_held()["chats_per_jid"] == 0
    world.desk.visitor_closed("acme", "a@v.test")  # room again: the start is still allowed
    gate.words(world.desk, ACME, "c@v.test", "v.test", "hello", "en")


def test_a_chat_nobody_answered_or_wrote_in_for_a_day_is_closed() -> None:
    world = make_world()
    write(world, "s@evil.test")
    a_day_later(world)
    assert world.desk.chats.of_visitor(ACME.id, "s@evil.test") is None
    closed = [c for c in world.archive.chats if c.number == 1][-1]
    assert closed.state is ChatState.CLOSED


def test_the_visitor_and_the_chats_operator_are_told_and_the_visitor_may_start_again() -> None:
    world = make_world()
    world.online(ALICE.jid, "dnd")  # online, taking nothing: the chat waits in the queue
    write(world, "q@v.test")
    world.offline(ALICE.jid)  # then sent to an offline operator (offline routing)
    entry = world.desk.chats.of_visitor(ACME.id, "q@v.test")
    assert entry is not None and entry.chat.state is ChatState.ASSIGNED
    operator = entry.chat.operator or ""
    world.out.take()
    a_day_later(world)
    to_visitor = [m.body for m in world.out.to("q@v.test")]
    assert len(to_visitor) == 1
    assert to_visitor[0].startswith("Nobody could answer this chat in time, so it is closed.")
    to_operator = [m.body for m in world.out.to(operator)]
    assert to_operator == [
        "Chat acme.1 closed: nobody answered it and nothing was written in it for 24 h."
    ]
    bodies = [m.body for m in world.archive.messages if m.chat_number == 1]
    assert "Chat closed: nobody answered it and nothing was written in it." in bodies
    write(world, "q@v.test", "hello again")
    again = world.desk.chats.of_visitor(ACME.id, "q@v.test")
    assert again is not None and again.chat.number == 2


def test_a_chat_an_operator_answered_or_its_visitor_wrote_in_lately_stays_open() -> None:
    world = make_world()
    world.online(ALICE.jid)
    write(world, "answered@v.test")
    operator_wrote_chat(world.desk, ALICE.jid, "acme", 1, "hello, how can I help?")
    write(world, "talking@v.test")
    world.clock.advance(DAY - 60)
    write(world, "talking@v.test", "anyone?")  # still waiting, still there
    a_day_later(world, 120)  # the chats opened a day ago
    assert world.desk.chats.of_visitor(ACME.id, "answered@v.test") is not None
    assert world.desk.chats.of_visitor(ACME.id, "talking@v.test") is not None
    world.clock.advance(DAY)
    world.desk.on_tick()
    assert world.desk.chats.of_visitor(ACME.id, "talking@v.test") is None
    assert world.desk.chats.of_visitor(ACME.id, "answered@v.test") is not None  # for good


def test_a_closed_chat_frees_its_operators_slot_for_the_queue() -> None:
    world = make_world(operators=(dataclasses.replace(ALICE, max_chats=1), MALLORY))
    world.online(ALICE.jid)
    write(world, "first@v.test")  # Alice's one chat, never answered
    write(world, "second@v.test")  # waits in the queue
    world.clock.advance(DAY - 60)
    write(world, "second@v.test", "still waiting")
    a_day_later(world, 120)
    assert world.desk.chats.of_visitor(ACME.id, "first@v.test") is None
    second = world.desk.chats.of_visitor(ACME.id, "second@v.test")
    assert second is not None and second.chat.operator == ALICE.jid  # served at once
