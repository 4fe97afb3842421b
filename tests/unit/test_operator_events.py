"""operator.online / operator.offline from the desk's OperatorWatch, debounced (a real desk over
fakes, its clock moved by hand): a state goes out once it has held, a flap sends nothing, a
reconnection or a restart repeats nothing, and an operator lost silently goes offline."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from component.desk.operator_events import OperatorEvents
from component.desk.state import PRESENCE_SETTLE_SECONDS
from component.desk.webhooks import WebhookBook, WebhookEmitter
from component.directory import Directory
from component.models import Show
from component.records import DeliveryQueued
from component.webhook_events import EVENTS, WebhookTarget
from tests.unit.fakes import ACME, ALICE, BOB, GLOBEX, MALLORY, FakeArchive, World, make_world

DEBOUNCE = 10.0


@dataclass
class Watched:
    world: World
    events: OperatorEvents

    def tick(self, seconds: float = 0.0) -> None:
        self.world.clock.advance(seconds)
        self.world.desk.on_tick()
        self.events.on_tick(self.world.clock())

    def bodies(self) -> list[dict[str, Any]]:
        records = self.world.archive.records
        return [json.loads(r.body) for r in records if isinstance(r, DeliveryQueued)]

    def sent(self) -> list[tuple[str, str, int]]:
        """(site, event, operator id) of every delivery, in order."""
        return [(b["site"], b["event"], b["data"]["operator"]["id"]) for b in self.bodies()]


def watched(seeded: dict[tuple[int, int], bool] | None = None) -> Watched:
    archive = FakeArchive()
    book = WebhookBook()
    book.replace(
        [
            WebhookTarget(ACME.id, 1, frozenset(EVENTS)),
            WebhookTarget(GLOBEX.id, 1, frozenset(EVENTS)),
        ]
    )
    events = OperatorEvents(WebhookEmitter(book, archive), DEBOUNCE)
    if seeded:
        events.seed(seeded)
    world = make_world(also_watch=events)
    world.archive.records = archive.records  # one list: what the watch appends is seen here
    events.attach(world.desk.state)
    return Watched(world, events)


def online(site: str, op_id: int) -> tuple[str, str, int]:
    return (site, "operator.online", op_id)


def offline(site: str, op_id: int) -> tuple[str, str, int]:
    return (site, "operator.offline", op_id)


def test_a_state_goes_out_once_it_has_held_dated_when_it_began() -> None:
    w = watched()
    w.world.online(ALICE.jid)
    began = datetime.fromtimestamp(w.world.clock(), UTC)
    w.tick(DEBOUNCE - 1)
    assert w.sent() == []
    w.tick(1)
    assert w.sent() == [online("acme", ALICE.id)]
    w.tick(DEBOUNCE * 3)
    assert w.sent() == [online("acme", ALICE.id)]  # once
    (body,) = w.bodies()
    assert datetime.fromisoformat(body["at"]) == began


def test_a_flap_inside_the_debounce_sends_nothing() -> None:
    w = watched()
    w.world.online(ALICE.jid)
    w.tick(DEBOUNCE)
    w.world.offline(ALICE.jid)
    w.tick(DEBOUNCE / 2)
    w.world.online(ALICE.jid)  # back before the offline held
    w.tick(DEBOUNCE * 2)
    assert w.sent() == [online("acme", ALICE.id)]


def test_a_flap_never_sent_sends_nothing_either() -> None:
    w = watched()
    w.world.online(BOB.jid)
    w.world.offline(BOB.jid)
    w.tick(DEBOUNCE * 2)
    assert w.sent() == []


def test_offline_that_holds_goes_out() -> None:
    w = watched()
    w.world.online(ALICE.jid)
    w.tick(DEBOUNCE)
    w.world.offline(ALICE.jid)
    w.tick(DEBOUNCE)
    assert w.sent() == [online("acme", ALICE.id), offline("acme", ALICE.id)]


def test_each_site_has_its_own_state() -> None:
    w = watched()
    w.world.online(MALLORY.jid)
    w.world.online(ALICE.jid)
    w.tick(DEBOUNCE)
    assert sorted(w.sent()) == [online("acme", ALICE.id), online("globex", MALLORY.id)]


def test_a_reconnection_repeats_nothing_for_those_who_came_back() -> None:
    w = watched()
    w.world.online(ALICE.jid)
    w.tick(DEBOUNCE)
    w.world.desk.on_disconnected()
    w.tick(DEBOUNCE * 3)  # presence unknown meanwhile: not "offline"
    w.world.desk.on_connected()
    w.world.online(ALICE.jid)  # the desk tells "came online" again
    w.tick(PRESENCE_SETTLE_SECONDS)
    w.tick(DEBOUNCE * 2)
    assert w.sent() == [online("acme", ALICE.id)]


def test_who_did_not_come_back_after_a_reconnection_goes_offline() -> None:
    w = watched()
    w.world.online(ALICE.jid)
    w.world.online(BOB.jid)
    w.tick(DEBOUNCE)
    w.world.desk.on_disconnected()
    w.world.desk.on_connected()
    w.world.online(ALICE.jid)
    w.tick(PRESENCE_SETTLE_SECONDS)  # settled: Bob never came back
    w.tick(DEBOUNCE)
    assert w.sent()[2:] == [offline("acme", BOB.id)]


def test_after_a_restart_what_was_sent_last_is_not_sent_again() -> None:
    w = watched({(ACME.id, ALICE.id): True, (ACME.id, BOB.id): True})
    w.world.online(ALICE.jid)  # still online after the restart: nothing new
    w.tick(PRESENCE_SETTLE_SECONDS)
    w.tick(DEBOUNCE)
    assert w.sent() == [offline("acme", BOB.id)]  # Bob left while HelperChat was away


def test_an_operator_removed_while_online_goes_offline() -> None:
    w = watched()
    w.world.online(BOB.jid)
    w.tick(DEBOUNCE)
    kept = (ALICE, MALLORY)
    w.world.desk.apply_directory(Directory([ACME, GLOBEX], kept))
    w.tick()  # noticed: from now on offline
    w.tick(DEBOUNCE)
    assert w.sent() == [online("acme", BOB.id), offline("acme", BOB.id)]


def test_what_the_operator_is_called_now_is_what_is_sent() -> None:
    w = watched()
    w.world.online(ALICE.jid)
    renamed = replace(ALICE, name="Alice B.")
    w.world.desk.apply_directory(Directory([ACME, GLOBEX], (renamed, BOB, MALLORY)))
    w.tick(DEBOUNCE)
    (record,) = [r for r in w.world.archive.records if isinstance(r, DeliveryQueued)]
    assert json.loads(record.body)["data"] == {"operator": {"id": ALICE.id, "name": "Alice B."}}


def test_dnd_and_away_are_online() -> None:
    w = watched()
    w.world.online(ALICE.jid)
    w.tick(DEBOUNCE)
    w.world.desk.presence_available(ALICE.jid, "acme", "res", Show.DND, "", 0, None)
    w.tick(DEBOUNCE)
    assert w.sent() == [online("acme", ALICE.id)]
