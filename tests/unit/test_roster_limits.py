"""The desk's roster does not pester: refusals are respected, status updates are rate-limited."""

from __future__ import annotations

from dataclasses import replace

from component.desk.ports import PresenceType
from component.models import VisitorKind
from tests.unit.fakes import ALICE, BOB, World, make_world

HOUR = 3600.0


def asks_to(world: World, jid: str) -> int:
    """How many subscription requests `jid` got so far; forgets all presences sent."""
    sent = [to for _, to, kind in world.out.presences if kind is PresenceType.SUBSCRIBE]
    world.out.presences.clear()
    return sent.count(jid)


def run_for(world: World, seconds: float, step: float = 30.0) -> None:
    for _ in range(int(seconds / step)):
        world.clock.advance(step)
        world.desk.on_tick()


def test_an_operator_who_refused_the_desks_request_is_not_asked_again() -> None:
    world = make_world((ALICE, replace(BOB, subscribed=False)))
    world.out.presences.clear()
    world.desk.roster.granted(BOB.jid, "acme", granted=False)  # Bob's client said no
    run_for(world, 3 * HOUR)
    assert asks_to(world, BOB.jid) == 0


def test_an_operator_who_revoked_the_desks_subscription_is_not_pestered() -> None:
    world = make_world((ALICE, BOB))
    world.out.presences.clear()
    world.desk.roster.granted(BOB.jid, "acme", granted=False)  # Bob removed the desk
    run_for(world, 3 * HOUR)
    assert asks_to(world, BOB.jid) == 0


def test_a_queue_that_changes_every_tick_updates_the_desks_status_at_a_bounded_rate() -> None:
    world = make_world((replace(ALICE, max_chats=1), replace(BOB, max_chats=1)))
    world.online(ALICE.jid)
    world.online(BOB.jid)
    for name in ("a", "b"):  # both operators busy: every new visitor queues
        world.desk.visitor_wrote("acme", f"{name}@v.test", VisitorKind.XMPP, name, "hi")
    world.out.statuses.clear()
    for n in range(120):  # one minute of ticks, a new stranger writing before each
        world.desk.visitor_wrote("acme", f"s{n}@spam.test", VisitorKind.XMPP, "s", "hi")
        world.clock.advance(0.5)
        world.desk.on_tick()
    to_alice = [s for s in world.out.statuses if s[1] == ALICE.jid]
    assert len(to_alice) <= 12  # at most one status update every 5 seconds
