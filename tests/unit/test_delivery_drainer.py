"""The webhook drainer over an in-memory store and a fake receiver side (its clock moved by hand):
what is sent, how often, to whom at once, and what is stored of it."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace

import pytest

from component.archive import ArchiveBatch
from component.deliveries import Attempt, AttemptResult, DueDelivery, Failure, Outcome
from component.records import DeliveryQueued
from component.webhook_retry import RetryPolicy
from component.webhooks.drainer import DeliveryDrainer, DrainerSettings
from component.webhooks.gate import Webhook
from tests.unit.fakes import Clock

FAST = "https://fast.test/in"
SLOW = "https://slow.test/in"
DEAD = "https://dead.test/in"
PURGE_BATCH = 5
POLICY = RetryPolicy(first_delay=10.0, max_delay=100.0, retry_for=1000.0)


@dataclass
class Row:
    due: DueDelivery
    next_attempt_at: float
    delivered_at: float | None = None
    failed_at: float | None = None
    statuses: list[str] = field(default_factory=list)


class MemoryStore:
    """The DeliveryStore protocol over a dict of rows; `down` makes every call fail."""

    def __init__(self, clock: Clock) -> None:
        self.rows: dict[int, Row] = {}
        self.clock = clock
        self.down = False
        self.saves = 0

    def add(self, url: str, count: int = 1, site: int = 1, number: int = 1) -> list[int]:
        ids = []
        for _ in range(count):
            row_id = len(self.rows) + 1
            due = DueDelivery(
                row_id, f"d-{row_id}", site, number, "chat.started", "{}", self.clock(), 0, url, "s"
            )
            self.rows[row_id] = Row(due, self.clock())
            ids.append(row_id)
        return ids

    def _check(self) -> None:
        if self.down:
            raise ConnectionError("database went away")

    def pending(self) -> list[Row]:
        return [r for r in self.rows.values() if r.delivered_at is None and r.failed_at is None]

    async def due(
        self, now: float, limit: int, busy: Collection[int], blocked: Collection[Webhook]
    ) -> list[DueDelivery]:
        self._check()
        rows = [
            r
            for r in self.pending()
            if r.next_attempt_at <= now and r.due.row_id not in busy
            if r.due.webhook not in blocked
        ]
        rows.sort(key=lambda r: (r.next_attempt_at, r.due.row_id))
        return [r.due for r in rows[:limit]]

    async def save(self, results: Sequence[AttemptResult]) -> None:
        self._check()
        self.saves += 1
        for result in results:
            row = self.rows[result.row_id]
            row.due = replace(row.due, attempts=result.attempts)
            row.statuses.append(result.status)
            if result.outcome is Outcome.DELIVERED:
                row.delivered_at = result.at
            elif result.outcome is Outcome.FAILED:
                row.failed_at = result.at
            else:
                assert result.next_attempt_at is not None
                row.next_attempt_at = result.next_attempt_at

    async def backlog(self) -> int:
        self._check()
        return len(self.pending())

    async def expire(self, made_before: float, now: float, busy: Collection[int]) -> int:
        self._check()
        pending = self.pending()
        expired = [
            r for r in pending if r.due.created_at < made_before and r.due.row_id not in busy
        ]
        for row in expired:
            row.failed_at = now
        return len(expired)

    async def purge(self, before: float | None, limit: int) -> int:
        """Like the real one: at most `limit` rows done before `before` at a time."""
        self._check()
        done = [
            row_id
            for row_id, r in self.rows.items()
            if before is not None and min(r.delivered_at or before, r.failed_at or before) < before
        ]
        for row_id in done[:limit]:
            del self.rows[row_id]
        return len(done[:limit])


class Receivers:
    """The Poster protocol: each URL answers as told (ok, fail, hang until released)."""

    def __init__(self) -> None:
        self.behaviour: dict[str, str] = {FAST: "ok", SLOW: "hang", DEAD: "fail"}
        self.posted: list[tuple[str, str]] = []  # (url, delivery id)
        self.in_flight: Counter[str] = Counter()
        self.most_in_flight: Counter[str] = Counter()
        self.release = asyncio.Event()

    async def post(self, delivery: DueDelivery, now: float) -> Attempt:
        url = delivery.url
        self.posted.append((url, delivery.delivery_id))
        self.in_flight[url] += 1
        self.most_in_flight[url] = max(self.most_in_flight[url], self.in_flight[url])
        try:
            behaviour = self.behaviour[url]
            if behaviour == "hang":
                await self.release.wait()
                return Attempt("HTTP 200")
            if behaviour == "fail":
                return Attempt("connection refused", Failure.CONNECTION)
            return Attempt("HTTP 204")
        finally:
            self.in_flight[url] -= 1

    def count(self, url: str) -> int:
        return sum(1 for posted, _ in self.posted if posted == url)


class Counted:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def count_webhook_delivered(self) -> None:
        self.counts["delivered"] += 1

    def count_webhook_error(self, kind: str) -> None:
        self.counts[f"error {kind}"] += 1

    def count_webhook_retry(self) -> None:
        self.counts["retry"] += 1

    def count_webhook_failed(self, count: int = 1) -> None:
        self.counts["failed"] += count


@dataclass
class Bench:
    store: MemoryStore
    receivers: Receivers
    drainer: DeliveryDrainer
    clock: Clock
    counted: Counted

    async def until(self, condition: Callable[[], bool]) -> None:
        """Wait (wake the drainer meanwhile) until `condition` holds; fail after 5 s."""
        async with asyncio.timeout(5):
            while not condition():
                self.drainer.wake()
                await asyncio.sleep(0.005)

    async def settle(self) -> None:
        """Let the drainer run a few rounds with nothing changing."""
        for _ in range(5):
            self.drainer.wake()
            await asyncio.sleep(0.02)


@pytest.fixture
async def bench() -> object:
    clock = Clock()
    store, receivers, counted = MemoryStore(clock), Receivers(), Counted()
    settings = DrainerSettings(
        poll_interval=1000.0, max_in_flight=8, per_receiver=2, queue_per_receiver=64
    )
    drainer = DeliveryDrainer(
        store, receivers, POLICY, settings, counted, clock=clock, rng=random.Random(5)
    )
    drainer.start()
    yield Bench(store, receivers, drainer, clock, counted)
    receivers.release.set()
    await drainer.stop()


async def test_what_is_due_is_posted_once_and_stored_delivered(bench: Bench) -> None:
    ids = bench.store.add(FAST, 30)
    await bench.until(lambda: not bench.store.pending())
    await bench.settle()
    assert sorted(d for _, d in bench.receivers.posted) == sorted(f"d-{i}" for i in ids)
    assert all(
        r.statuses == ["HTTP 204"] and r.due.attempts == 1 for r in bench.store.rows.values()
    )
    assert bench.counted.counts == {"delivered": 30}


async def test_a_failure_is_retried_later_with_the_same_id_then_given_up(bench: Bench) -> None:
    (row_id,) = bench.store.add(DEAD)
    row = bench.store.rows[row_id]
    await bench.until(lambda: bool(row.statuses))
    await bench.settle()
    assert bench.receivers.count(DEAD) == 1  # not again before its back-off
    assert 5.0 <= row.next_attempt_at - bench.clock() <= 10.0
    bench.clock.advance(10.0)
    await bench.until(lambda: len(row.statuses) == 2)
    assert bench.receivers.posted == [(DEAD, "d-1"), (DEAD, "d-1")]
    bench.clock.advance(POLICY.retry_for)  # the window is over
    await bench.until(lambda: row.failed_at is not None)
    assert row.due.attempts == 3
    assert bench.counted.counts == {"error connection": 3, "retry": 2, "failed": 1}


async def test_a_receiver_gets_at_most_its_limit_at_once_and_never_delays_another(
    bench: Bench,
) -> None:
    bench.store.add(SLOW, 10, number=1)
    bench.store.add(FAST, 40, number=2)
    await bench.until(lambda: bench.receivers.count(FAST) == 40)
    await bench.until(lambda: all(r.due.url == SLOW for r in bench.store.pending()))
    assert bench.receivers.in_flight[SLOW] == 2  # hanging, and no more than that
    assert bench.receivers.count(SLOW) == 2
    bench.receivers.release.set()
    await bench.until(lambda: not bench.store.pending())
    assert bench.receivers.most_in_flight[SLOW] == 2
    assert bench.receivers.most_in_flight[FAST] <= 2


async def test_a_dead_receiver_is_held_instead_of_tried_for_every_delivery(bench: Bench) -> None:
    bench.store.add(DEAD, 50, number=1)
    await bench.until(lambda: bench.receivers.count(DEAD) >= 1)
    await bench.settle()
    tried = bench.receivers.count(DEAD)
    assert tried <= 2  # its first failure holds it
    bench.store.add(FAST, 5, number=2)
    await bench.until(lambda: bench.receivers.count(FAST) == 5)  # others go on meanwhile
    bench.clock.advance(POLICY.first_delay)  # the hold (at most first_delay) is over
    await bench.until(lambda: bench.receivers.count(DEAD) > tried)
    await bench.settle()
    assert bench.receivers.count(DEAD) <= tried + 2
    bench.receivers.behaviour[DEAD] = "ok"  # it is back: the next probe frees it
    async with asyncio.timeout(5):
        while bench.store.pending():
            bench.clock.advance(POLICY.max_delay)  # whatever hold or back-off it is in
            bench.drainer.wake()
            await asyncio.sleep(0.01)
    assert len({d for url, d in bench.receivers.posted if url == DEAD}) == 50


async def test_results_wait_while_the_database_is_away_and_nothing_goes_twice(
    bench: Bench,
) -> None:
    bench.store.add(FAST, 3)
    await bench.until(lambda: not bench.store.pending())
    bench.store.down = True
    bench.store.add(FAST, 3)  # stored just before the database went away
    await bench.settle()
    assert bench.receivers.count(FAST) == 3  # cannot even read what is due
    bench.store.down = False
    await bench.until(lambda: not bench.store.pending())
    await bench.settle()
    assert bench.receivers.count(FAST) == 6
    assert len(set(bench.receivers.posted)) == 6


async def test_a_stop_leaves_what_was_in_flight_pending_for_the_next_start(bench: Bench) -> None:
    bench.store.add(SLOW, 3)
    bench.store.add(FAST, 2, number=2)
    await bench.until(lambda: bench.receivers.count(FAST) == 2)
    await bench.until(lambda: bench.receivers.in_flight[SLOW] == 2)
    await bench.drainer.stop()
    assert [r.due.url for r in bench.store.pending()] == [SLOW] * 3  # delivered ones stored
    assert bench.receivers.in_flight[SLOW] == 0  # cancelled


async def test_stored_deliveries_wake_it(bench: Bench) -> None:
    await bench.settle()
    bench.store.add(FAST)
    record = DeliveryQueued("d-1", 1, 1, "chat.started", "{}", 0.0)
    bench.drainer.on_stored(ArchiveBatch(records=(record,)))
    async with asyncio.timeout(5):
        while bench.store.pending():  # noqa: ASYNC110 - nothing wakes it but the stored batch
            await asyncio.sleep(0.005)


async def test_deliveries_past_their_window_fail_even_when_never_tried(bench: Bench) -> None:
    bench.store.add(SLOW, 70)  # 2 hang, 62 wait in hand (64 a receiver), 6 are left in store
    await bench.until(lambda: bench.receivers.in_flight[SLOW] == 2)
    bench.clock.advance(5 * POLICY.retry_for)  # past the window and the sweep's grace
    rows = bench.store.rows.values()
    await bench.until(lambda: sum(1 for r in rows if r.failed_at is not None) == 6)
    assert all(not r.statuses for r in rows if r.failed_at is not None)  # never tried
    assert bench.counted.counts["failed"] == 6


async def test_old_deliveries_are_purged_faster_than_one_batch_a_sweep() -> None:
    clock = Clock()
    store, receivers = MemoryStore(clock), Receivers()
    settings = DrainerSettings(
        poll_interval=1000.0,
        max_in_flight=8,
        per_receiver=2,
        keep_seconds=100.0,
        purge_batch=PURGE_BATCH,
    )
    drainer = DeliveryDrainer(
        store, receivers, POLICY, settings, Counted(), clock=clock, rng=random.Random(5)
    )
    store.add(FAST, 3 * PURGE_BATCH + 2)
    drainer.start()
    bench = Bench(store, receivers, drainer, clock, Counted())
    try:
        await bench.until(lambda: not store.pending())
        clock.advance(settings.keep_seconds + 1)  # all old now; one sweep comes due, one batch
        drainer.wake()
        async with asyncio.timeout(5):
            while store.rows:  # noqa: ASYNC110 - nothing wakes it: it goes on by itself
                await asyncio.sleep(0.005)
    finally:
        await drainer.stop()
