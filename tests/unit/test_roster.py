"""The desks' roster over fake ports: the queue in each desk's status, requests asked again."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from component import texts
from component.desk import roster
from component.desk.commands import operator_wrote_chat
from component.desk.ports import PresenceType
from component.desk.roster import STATUS_MIN_SECONDS
from component.directory import Directory
from component.models import Show, VisitorKind
from tests.unit.fakes import ACME, ALICE, BOB, GLOBEX, MALLORY, World, make_world

HOUR = 3600.0


def visitor_writes(world: World, visitor: str, body: str = "hello") -> None:
    world.desk.visitor_wrote("acme", visitor, VisitorKind.XMPP, "Vera", body)


def busy_world() -> World:
    """Alice and Bob online at acme, one chat each at most; Mallory at globex."""
    world = make_world((replace(ALICE, max_chats=1), replace(BOB, max_chats=1), MALLORY))
    world.online(ALICE.jid)
    world.online(BOB.jid)
    world.out.statuses.clear()
    return world


def asks(world: World) -> list[str]:
    """Recipients of the subscription requests sent so far; forgets them."""
    sent = [to for _, to, kind in world.out.presences if kind is PresenceType.SUBSCRIBE]
    world.out.presences.clear()
    return sent


@pytest.mark.parametrize(
    ("waiting", "text"),
    [(0, "No one waiting"), (1, "1 visitor waiting"), (3, "3 visitors waiting")],
)
def test_status_text_says_how_many_visitors_wait(waiting: int, text: str) -> None:
    assert texts.desk_status(waiting) == text


def test_greeting_shows_the_desk_available_with_its_queue() -> None:
    world = make_world()
    world.desk.on_connected()
    assert (world.desk_jid(), ALICE.jid, "No one waiting") in world.out.statuses
    assert (world.desk_jid("globex"), MALLORY.jid, "No one waiting") in world.out.statuses


def test_the_tick_after_a_greeting_does_not_repeat_the_status() -> None:
    world = make_world()
    world.desk.on_connected()
    world.clock.advance(1)
    world.desk.on_tick()
    to_alice = [s for s in world.out.statuses if s[1] == ALICE.jid]
    assert to_alice == [(world.desk_jid(), ALICE.jid, "No one waiting")]


def test_status_follows_the_queue_length_on_the_tick_only_when_its_text_changes() -> None:
    world = busy_world()
    desk = world.desk_jid()
    for name in ("one", "two", "three"):
        visitor_writes(world, f"{name}@v.test")
    assert world.out.statuses == []  # the relay's path sends no presence
    world.desk.on_tick()
    waiting_one = [(desk, ALICE.jid, "1 visitor waiting"), (desk, BOB.jid, "1 visitor waiting")]
    assert world.out.statuses == waiting_one  # both operators of acme, nobody at globex
    world.out.statuses.clear()
    visitor_writes(world, "three@v.test", "still there?")
    world.desk.on_tick()
    assert world.out.statuses == []  # a message is no change of the queue
    visitor_writes(world, "four@v.test")
    world.desk.on_tick()
    assert world.out.statuses == []  # changed, but the last update is not 5 s old yet
    world.clock.advance(STATUS_MIN_SECONDS)
    world.desk.on_tick()
    assert {text for _, _, text in world.out.statuses} == {"2 visitors waiting"}
    world.out.statuses.clear()
    operator_wrote_chat(world.desk, ALICE.jid, "acme", 1, "/close")
    world.clock.advance(STATUS_MIN_SECONDS)
    world.desk.on_tick()
    assert world.out.statuses == waiting_one


def test_queue_that_empties_and_fills_between_ticks_sends_nothing() -> None:
    world = busy_world()
    for name in ("one", "two", "three"):
        visitor_writes(world, f"{name}@v.test")
    operator_wrote_chat(world.desk, ALICE.jid, "acme", 1, "/close")
    visitor_writes(world, "four@v.test")
    world.desk.on_tick()
    assert {text for _, _, text in world.out.statuses} == {"1 visitor waiting"}


def test_answers_to_probes_and_subscriptions_carry_the_current_status() -> None:
    world = busy_world()
    for name in ("one", "two", "three"):
        visitor_writes(world, f"{name}@v.test")
    world.desk.roster.probed(ALICE.jid, "acme")
    world.desk.roster.requested(BOB.jid, "acme")
    assert world.out.statuses == [
        (world.desk_jid(), ALICE.jid, "1 visitor waiting"),
        (world.desk_jid(), BOB.jid, "1 visitor waiting"),
    ]


def test_each_new_resource_of_an_operator_is_shown_the_desk_once() -> None:
    world = make_world()
    world.desk.presence_available(ALICE.jid, "acme", "laptop", Show.AVAILABLE, "", 0, None)
    world.desk.presence_available(ALICE.jid, "acme", "laptop", Show.AWAY, "", 0, None)
    world.desk.presence_available(ALICE.jid, "acme", "phone", Show.AVAILABLE, "", 0, None)
    world.desk.presence_unavailable(ALICE.jid, "acme", "phone")
    world.desk.presence_available(ALICE.jid, "acme", "phone", Show.AVAILABLE, "", 0, None)
    desk = world.desk_jid()
    assert world.out.statuses == [
        (desk, f"{ALICE.jid}/laptop", "No one waiting"),
        (desk, f"{ALICE.jid}/phone", "No one waiting"),
        (desk, f"{ALICE.jid}/phone", "No one waiting"),
    ]


def test_an_approval_is_answered_with_the_desk_available() -> None:
    world = make_world((replace(ALICE, subscribed=False),))
    world.desk.roster.granted(ALICE.jid, "acme", granted=True)
    world.desk.roster.granted(ALICE.jid, "acme", granted=False)
    assert world.out.statuses == [(world.desk_jid(), ALICE.jid, "No one waiting")]


def test_no_status_is_sent_while_disconnected() -> None:
    world = busy_world()
    world.desk.on_disconnected()
    for name in ("one", "two", "three"):
        visitor_writes(world, f"{name}@v.test")
    world.desk.on_tick()
    assert world.out.statuses == []


def test_unapproved_operators_are_asked_again_every_interval_and_capped_per_hour() -> None:
    world = make_world((ALICE, replace(BOB, subscribed=False)))
    start = world.clock.now - 3  # make_world greeted Bob with a request, then waited 3 s
    asked_at = [start]
    step = 30.0
    for _ in range(int(2 * HOUR / step)):
        world.clock.advance(step)
        world.desk.on_tick()
        sent = asks(world)
        assert ALICE.jid not in sent  # she approved long ago
        if sent:
            assert sent == [BOB.jid]
            asked_at.append(world.clock.now)
    assert asked_at[1] - start <= roster.REASK_SECONDS + step
    gaps = [later - earlier for earlier, later in itertools.pairwise(asked_at)]
    assert min(gaps) >= roster.REASK_SECONDS
    for at in asked_at:
        in_hour = [t for t in asked_at if at <= t < at + HOUR]
        assert len(in_hour) <= roster.MAX_ASKS_PER_HOUR
    assert len(asked_at) >= 2 * roster.MAX_ASKS_PER_HOUR - 1


def test_approval_stops_the_asking() -> None:
    world = make_world((replace(BOB, subscribed=False),))
    world.desk.roster.granted(BOB.jid, "acme", granted=True)
    for _ in range(12):
        world.clock.advance(roster.REASK_SECONDS / 2)
        world.desk.on_tick()
    assert asks(world) == []


def test_nobody_is_asked_while_disconnected_and_a_reconnect_asks_at_once() -> None:
    world = make_world((replace(BOB, subscribed=False),))
    world.desk.on_disconnected()
    for _ in range(6):
        world.clock.advance(roster.REASK_SECONDS / 2)
        world.desk.on_tick()
    assert asks(world) == []
    world.desk.on_connected()
    assert asks(world) == [BOB.jid]
    world.clock.advance(roster.REASK_SECONDS - 1)
    world.desk.on_tick()
    assert asks(world) == []


def test_a_removed_operator_is_not_asked_again() -> None:
    world = make_world((ALICE, replace(BOB, subscribed=False)))
    world.desk.apply_directory(Directory([ACME, GLOBEX], [ALICE]))
    world.out.presences.clear()
    for _ in range(4):
        world.clock.advance(roster.REASK_SECONDS)
        world.desk.on_tick()
    assert asks(world) == []


def test_an_operator_asking_first_is_asked_back_and_that_counts_as_an_ask() -> None:
    world = make_world((replace(BOB, subscribed=False),))
    world.clock.advance(roster.REASK_SECONDS - 10)
    world.desk.roster.requested(BOB.jid, "acme")
    assert asks(world) == [BOB.jid]
    world.clock.advance(roster.REASK_SECONDS - 1)
    world.desk.on_tick()
    assert asks(world) == []
