"""The desk's roster where the server gives its API (a fake RosterPushes port): an operator not
subscribed yet gets the desk pushed instead of a request, once a run; only a failed push asks."""

from __future__ import annotations

from dataclasses import replace

from component.desk import roster
from component.desk.ports import PresenceType
from component.directory import Directory
from component.models import Operator, Site
from tests.unit.fakes import ACME, ALICE, BOB, GLOBEX, World, make_world

NEW = Operator(1, "new@x.test", "New", id=13)  # not subscribed


class FakePushes:
    def __init__(self) -> None:
        self.pushed: list[tuple[str, str]] = []

    def push(self, site: Site, operator: Operator) -> None:
        self.pushed.append((site.slug, operator.jid))


def kinds_to(world: World, jid: str) -> list[PresenceType]:
    return [kind for _, to, kind in world.out.presences if to == jid]


def world_with_new() -> tuple[World, FakePushes]:
    pushes = FakePushes()
    return make_world((ALICE, BOB, NEW), pushes=pushes), pushes


def test_an_operator_not_subscribed_is_pushed_not_asked() -> None:
    world, pushes = world_with_new()
    assert pushes.pushed == [("acme", NEW.jid)]  # greeted at the connection
    assert kinds_to(world, NEW.jid) == []  # make_world forgot the greeting's presence
    world.clock.advance(roster.REASK_SECONDS + roster.REASK_SCAN_SECONDS)
    world.desk.on_tick()
    assert PresenceType.SUBSCRIBE not in kinds_to(world, NEW.jid)  # no ask while it is pending


def test_operators_already_subscribed_are_probed_not_pushed() -> None:
    world, pushes = world_with_new()
    assert [jid for _, jid in pushes.pushed] == [NEW.jid]  # not Alice nor Bob
    world.desk.on_disconnected()
    world.desk.on_connected()
    assert kinds_to(world, ALICE.jid) == [PresenceType.AVAILABLE, PresenceType.PROBE]


def test_a_push_that_worked_makes_them_subscribed_and_probes_them() -> None:
    world, _ = world_with_new()
    world.desk.roster_pushed("acme", NEW.jid, True)
    known = world.desk.directory.operator(ACME.id, NEW.jid)
    assert known is not None and known.subscribed
    assert kinds_to(world, NEW.jid) == [PresenceType.PROBE]
    world.clock.advance(roster.REASK_SECONDS + roster.REASK_SCAN_SECONDS)
    world.desk.on_tick()
    assert PresenceType.SUBSCRIBE not in kinds_to(world, NEW.jid)


def test_a_failed_push_asks_as_without_the_api_and_is_not_tried_again_this_run() -> None:
    world, pushes = world_with_new()
    world.desk.roster_pushed("acme", NEW.jid, False)
    assert kinds_to(world, NEW.jid) == [PresenceType.SUBSCRIBE]
    known = world.desk.directory.operator(ACME.id, NEW.jid)
    assert known is not None and not known.subscribed
    world.desk.on_disconnected()
    world.desk.on_connected()  # greets everyone again: asked, not pushed again
    assert pushes.pushed == [("acme", NEW.jid)]
    assert kinds_to(world, NEW.jid)[-1] is PresenceType.SUBSCRIBE


def test_an_operator_removed_and_added_again_is_pushed_again() -> None:
    world, pushes = world_with_new()
    world.desk.roster_pushed("acme", NEW.jid, False)
    world.desk.apply_directory(Directory([ACME, GLOBEX], [ALICE, BOB]))
    world.desk.apply_directory(Directory([ACME, GLOBEX], [ALICE, BOB, replace(NEW)]))
    assert pushes.pushed == [("acme", NEW.jid), ("acme", NEW.jid)]


def test_an_answer_for_someone_removed_meanwhile_does_nothing() -> None:
    world, _ = world_with_new()
    world.desk.apply_directory(Directory([ACME, GLOBEX], [ALICE, BOB]))
    world.out.presences.clear()
    world.desk.roster_pushed("acme", NEW.jid, True)
    world.desk.roster_pushed("nosuchsite", NEW.jid, True)
    assert world.out.presences == []
