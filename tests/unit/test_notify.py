"""The notification use case over a desk of fakes: who is told (online at the desk, or every
enabled operator of the site), what, from where, and the site event archived."""

from __future__ import annotations

from dataclasses import replace

import pytest

from component.desk.notify import Audience, Notification, Notifier
from component.errors import ArchiveFull
from component.records import SiteEventRecorded
from tests.unit.fakes import ACME, ALICE, BOB, GLOBEX, MALLORY, make_world

CARAT = replace(BOB, jid="carat@x.test", name="Carat", enabled=False, id=13)


def keys() -> str:
    return "notify:fixed"


def test_online_means_online_at_the_sites_desk_now() -> None:
    world = make_world((ALICE, BOB, MALLORY))
    world.online(ALICE.jid)
    world.online(MALLORY.jid)
    world.online(BOB.jid, "dnd")  # busy, but online: told
    world.out.take()
    note = Notification("Order #123 placed", "https://shop.test/o/123", Audience.ONLINE)
    assert Notifier(world.desk.state, keys).notify(ACME, note) == 2
    sent = sorted((m.sender, m.recipient, m.body) for m in world.out.take())
    body = "Order #123 placed\nhttps://shop.test/o/123"
    assert sent == [(world.desk_jid(), ALICE.jid, body), (world.desk_jid(), BOB.jid, body)]


def test_all_means_every_enabled_operator_online_or_not() -> None:
    world = make_world((ALICE, BOB, CARAT, MALLORY))
    world.online(ALICE.jid)
    world.out.take()
    notifier = Notifier(world.desk.state, keys)
    assert notifier.notify(ACME, Notification("Cart filled", "", Audience.ALL)) == 2
    assert sorted(m.recipient for m in world.out.take()) == [ALICE.jid, BOB.jid]
    assert notifier.notify(GLOBEX, Notification("Cart filled", "", Audience.ONLINE)) == 0
    assert world.out.take() == []


def test_the_notification_is_archived_as_a_site_event() -> None:
    world = make_world()
    world.online(ALICE.jid)
    note = Notification("Cart filled", "https://shop.test/c/9", Audience.ONLINE)
    Notifier(world.desk.state, keys).notify(ACME, note)
    assert world.archive.records == [
        SiteEventRecorded(
            event_key="notify:fixed",
            site_id=ACME.id,
            at=world.clock(),
            category="notify",
            text="Cart filled",
            url="https://shop.test/c/9",
            audience="online",
            delivered_to=1,
        )
    ]


def test_each_event_has_a_key_of_its_own() -> None:
    world = make_world()
    notifier = Notifier(world.desk.state)
    for _ in range(3):
        notifier.notify(ACME, Notification("x", "", Audience.ALL))
    records = [r for r in world.archive.records if isinstance(r, SiteEventRecorded)]
    assert len({r.key for r in records}) == 3


def test_nothing_is_sent_while_the_archive_is_at_its_cap() -> None:
    world = make_world()
    world.online(ALICE.jid)
    world.out.take()
    world.archive.accepting = False
    with pytest.raises(ArchiveFull):
        Notifier(world.desk.state, keys).notify(ACME, Notification("x", "", Audience.ALL))
    assert world.out.take() == [] and world.archive.records == []
