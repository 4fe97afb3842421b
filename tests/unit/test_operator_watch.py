"""The desk tells its OperatorWatch when an operator comes online at a site and goes offline
there: on the crossing only, per site, after a reconnection again (the listeners de-duplicate)."""

from __future__ import annotations

from component.models import Operator, Show
from tests.unit.fakes import ACME, ALICE, BOB, GLOBEX, make_world

ALICE_AT_GLOBEX = Operator(2, "alice@x.test", "Alice at Globex", subscribed=True, id=22)


def test_online_and_offline_are_told_on_the_crossing_only() -> None:
    world = make_world()
    world.online(ALICE.jid)
    world.online(ALICE.jid, "away")  # still online: nothing new
    world.desk.presence_available(ALICE.jid, "acme", "phone", Show.XA, "", 0, None)
    world.desk.presence_unavailable(ALICE.jid, "acme", "res")  # the phone is still there
    world.desk.presence_unavailable(ALICE.jid, "acme", "phone")
    assert world.watch.told == [("acme", ALICE.jid, "online"), ("acme", ALICE.jid, "offline")]


def test_dnd_counts_as_online() -> None:
    world = make_world()
    world.online(BOB.jid, "dnd")
    assert world.watch.told == [("acme", BOB.jid, "online")]


def test_each_site_is_told_apart() -> None:
    world = make_world(operators=(ALICE, BOB, ALICE_AT_GLOBEX))
    world.online(ALICE.jid, slugs=("globex",))
    world.online(ALICE.jid, slugs=("acme",))
    world.offline(ALICE.jid, slugs=("globex",))
    assert world.watch.told == [
        (GLOBEX.slug, ALICE.jid, "online"),
        (ACME.slug, ALICE.jid, "online"),
        (GLOBEX.slug, ALICE.jid, "offline"),
    ]


def test_after_a_reconnection_the_first_presence_is_told_as_coming_online() -> None:
    world = make_world()
    world.online(ALICE.jid)
    world.desk.on_disconnected()
    world.desk.on_connected()
    world.online(ALICE.jid)
    assert world.watch.told == [("acme", ALICE.jid, "online"), ("acme", ALICE.jid, "online")]


def test_strangers_are_never_told() -> None:
    world = make_world()
    world.desk.presence_available("eve@x.test", "acme", "res", Show.AVAILABLE, "", 0, None)
    world.desk.presence_unavailable("eve@x.test", "acme", "res")
    assert world.watch.told == []
