"""Per-site figures read from the desk's state for the metrics: queue length, operators online."""

from __future__ import annotations

from dataclasses import replace

from component.models import VisitorKind
from component.site_stats import SiteStats, site_stats
from tests.unit.fakes import ALICE, BOB, MALLORY, World, make_world


def stats_of(world: World) -> list[SiteStats]:
    desk = world.desk
    return site_stats(desk.directory, desk.chats, desk.presence)


def test_nobody_online_and_nothing_queued() -> None:
    assert stats_of(make_world()) == [SiteStats("acme", 0, 0), SiteStats("globex", 0, 0)]


def test_operators_online_per_site() -> None:
    world = make_world(operators=(ALICE, BOB, MALLORY))
    world.online(ALICE.jid)
    world.online(BOB.jid, "dnd")  # online, though taking no new chats
    world.online(MALLORY.jid, "xa")
    assert stats_of(world) == [SiteStats("acme", 0, 2), SiteStats("globex", 0, 1)]
    world.offline(BOB.jid)
    assert stats_of(world) == [SiteStats("acme", 0, 1), SiteStats("globex", 0, 1)]


def test_the_queue_of_a_site_whose_operators_are_busy() -> None:
    world = make_world(operators=(replace(ALICE, max_chats=1),))
    world.online(ALICE.jid)
    for visitor in ("v1@x", "v2@x", "v3@x"):
        world.desk.visitor_wrote("acme", visitor, VisitorKind.XMPP, "V", "hello")
    assert stats_of(world) == [SiteStats("acme", 2, 1), SiteStats("globex", 0, 0)]


def test_a_disabled_operator_does_not_count() -> None:
    world = make_world(operators=(replace(ALICE, enabled=False), BOB))
    world.online(ALICE.jid)
    world.online(BOB.jid)
    assert stats_of(world)[0] == SiteStats("acme", 0, 1)
