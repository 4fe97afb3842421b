"""The webhook drainer: sends the deliveries the database holds, due ones first, and stores what
came of each attempt. It wakes when the archive writer stored new deliveries and polls slowly as
a backstop.

Each receiver (one site's deliveries to one origin: sites never share a limit or a hold) has its
own small queue, in-flight limit and hold (gate.py), so a slow or dead one never delays another;
a global limit bounds what is in flight. A 2xx marks a delivery
delivered; anything else retries it with back-off until its window is over, then it fails for
good (logged, counted). Results are stored in batches before the next fetch, so a delivery is
never in hand twice; one sent whose result was not stored (a crash, a stop) goes again later with
the same id: at-least-once. Imports no adapter library but asyncio.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

from component.archive import ArchiveBatch
from component.deliveries import Attempt, AttemptResult, DueDelivery, Failure, Outcome
from component.records import DeliveryQueued
from component.webhook_retry import RetryPolicy
from component.webhook_urls import origin_of
from component.webhooks.gate import ReceiverGate, Webhook

log = logging.getLogger(__name__)

ROUND_SECONDS = 0.01  # at most one fetch-and-store round this often while busy
REFILL_SECONDS = 0.05  # a receiver with little room waits for more, but at most this long
BACKLOG_SECONDS = 5.0  # how often the backlog gauge is counted
SWEEP_SECONDS = 60.0  # how often expired deliveries are failed and old ones purged
FETCH_ROUNDS = 4  # fetches per round at most (more come due meanwhile: the next round)
STOP_SECONDS = 2.0  # a stop waits this long to store the last results


def receiver_of(delivery: DueDelivery) -> str:
    """Whose limit and hold a delivery counts against: its URL's origin, for its site."""
    return f"{origin_of(delivery.url)} of site {delivery.site_id}"


class DeliveryStore(Protocol):
    async def due(
        self, now: float, limit: int, busy: Collection[int], blocked: Collection[Webhook]
    ) -> list[DueDelivery]: ...

    async def save(self, results: Sequence[AttemptResult]) -> None: ...

    async def backlog(self) -> int: ...

    async def expire(self, made_before: float, now: float, busy: Collection[int]) -> int: ...

    async def purge(self, before: float | None, limit: int) -> int: ...


class Poster(Protocol):
    async def post(self, delivery: DueDelivery, now: float) -> Attempt: ...


class DeliveryCounters(Protocol):
    def count_webhook_delivered(self) -> None: ...

    def count_webhook_error(self, kind: str) -> None: ...

    def count_webhook_retry(self) -> None: ...

    def count_webhook_failed(self, count: int = 1) -> None: ...


@dataclass(frozen=True, slots=True)
class DrainerSettings:
    poll_interval: float
    max_in_flight: int
    per_receiver: int
    queue_per_receiver: int = 256
    max_in_hand: int = 2000
    fetch_limit: int = 256
    keep_seconds: float = 0.0  # delivered and failed ones are purged after this; 0: kept
    purge_batch: int = 5000  # deleted at most at once: a sweep goes on a batch a round


class DeliveryDrainer:
    def __init__(
        self,
        store: DeliveryStore,
        poster: Poster,
        retries: RetryPolicy,
        settings: DrainerSettings,
        counters: DeliveryCounters,
        *,
        clock: Callable[[], float],
        rng: random.Random,
    ) -> None:
        self._store = store
        self._poster = poster
        self._retries = retries
        self._settings = settings
        self._counters = counters
        self._clock = clock
        self._rng = rng
        self._gate = ReceiverGate(
            per_receiver=settings.per_receiver,
            queue=settings.queue_per_receiver,
            holds=retries,
            rng=rng,
        )
        self._busy: set[int] = set()  # rows in hand: waiting, in flight, or result not stored
        self._results: list[AttemptResult] = []
        self._sending: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._slots = asyncio.Semaphore(settings.max_in_flight)
        self._due_backlog = 0.0  # when the backlog is counted next
        self._due_sweep = 0.0
        self._purging = False  # the last purge deleted a whole batch: more are old
        self._store_failures = 0
        self._fresh = True  # new deliveries were stored: fetch whatever the room
        self._fetched_at = 0.0  # loop time of the last fetch
        self.backlog = 0
        """Deliveries neither delivered nor failed, as last counted (every BACKLOG_SECONDS)."""

    @property
    def in_hand(self) -> int:
        """Deliveries taken from the database and not stored back yet."""
        return len(self._busy)

    def keep_only(self, webhooks: Collection[Webhook]) -> None:
        """The webhooks there are now: what waits in hand for any other (removed, its rows
        deleted) is not sent; what is in flight ends as it will."""
        dropped = self._gate.drop_all_but(webhooks)
        self._busy.difference_update(d.row_id for d in dropped)
        if dropped:
            log.info("webhooks: %d deliveries of removed webhooks not sent", len(dropped))

    def wake(self) -> None:
        self._fresh = True
        self._wake.set()

    def on_stored(self, batch: ArchiveBatch) -> None:
        """The archive writer stored a batch: wake if it held deliveries."""
        if any(isinstance(record, DeliveryQueued) for record in batch.records):
            self.wake()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="webhook-drainer")

    async def stop(self) -> None:
        """Cancel what is in flight (it goes again at the next start) and store the results."""
        for task in (self._task, *self._sending):
            if task is not None:
                task.cancel()
        for task in (self._task, *self._sending):
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        try:
            async with asyncio.timeout(STOP_SECONDS):
                await self._save()
        except Exception as exc:
            log.warning(
                "webhooks: %d results not stored at the stop (%s); those deliveries"
                " are sent again after the start",
                len(self._results),
                exc,
            )

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            try:
                await self._round()
            except Exception as exc:
                await self._after_store_failure(exc)
                continue
            if self._store_failures:
                log.info("webhooks: the database answers again")
                self._store_failures = 0
            await self._wait()
            await asyncio.sleep(max(0.0, started + ROUND_SECONDS - loop.time()))

    async def _round(self) -> None:
        await self._save()
        await self._refill()
        await self._housekeeping()

    async def _after_store_failure(self, exc: Exception) -> None:
        self._store_failures += 1
        if self._store_failures == 1 or self._store_failures % 20 == 0:
            log.warning(
                "webhooks: the database failed (%s); %d results wait", exc, len(self._results)
            )
        delay = min(self._settings.poll_interval, 0.5 * 2 ** min(self._store_failures, 10))
        await asyncio.sleep(delay)

    async def _wait(self) -> None:
        now = self._clock()
        timeout = 0.0 if self._purging else self._settings.poll_interval
        release = self._gate.next_release(now)
        if release is not None:
            timeout = min(timeout, max(release - now, 0.0) + 0.001)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):  # not wait_for: 3.11's can swallow a cancel
                await self._wake.wait()
        self._wake.clear()

    # -- storing and fetching ------------------------------------------------------------------

    async def _save(self) -> None:
        if not self._results:
            return
        results = self._results
        self._results = []
        try:
            await self._store.save(results)
        except BaseException:
            self._results[:0] = results
            raise
        self._busy.difference_update(r.row_id for r in results)

    async def _refill(self) -> None:
        """Take in hand what is due, for the receivers that have room; start what may go.

        A fetch reads at most what one receiver has room for; while the busiest has less
        than half its queue free it waits (for REFILL_SECONDS at most, or new deliveries):
        many small fetches would cost more than the deliveries they bring."""
        loop = asyncio.get_running_loop()
        half = self._settings.queue_per_receiver // 2
        little_room = self._gate.room(self._clock()) < half
        if not self._fresh and little_room and loop.time() < self._fetched_at + REFILL_SECONDS:
            return
        self._fresh, self._fetched_at = False, loop.time()
        for _ in range(FETCH_ROUNDS):
            now = self._clock()
            room = self._settings.max_in_hand - len(self._busy)
            limit = min(self._settings.fetch_limit, room, self._gate.room(now))
            if limit <= 0:
                return
            due = await self._store.due(now, limit, self._busy, self._gate.blocked(now))
            for delivery in due:
                origin = receiver_of(delivery)
                if self._gate.offer(origin, delivery, now):
                    self._busy.add(delivery.row_id)
                    self._pump(origin, now)
            if len(due) < limit:
                return

    async def _housekeeping(self) -> None:
        now = self._clock()
        if now >= self._due_backlog:
            self.backlog = await self._store.backlog()
            self._due_backlog = now + BACKLOG_SECONDS
        if now >= self._due_sweep:
            self._due_sweep = now + SWEEP_SECONDS
            await self._expire(now)
            self._purging = True
        if self._purging:
            self._purging = await self._purge(now)

    async def _expire(self, now: float) -> None:
        """Fail what waited past its window (a receiver held all along)."""
        grace = SWEEP_SECONDS + self._settings.poll_interval
        made_before = now - self._retries.retry_for - grace
        expired = await self._store.expire(made_before, now, self._busy)
        if expired:
            log.warning(
                "webhooks: %d deliveries failed for good (their receiver was"
                " unreachable for their whole retry window)",
                expired,
            )
            self._counters.count_webhook_failed(expired)

    async def _purge(self, now: float) -> bool:
        """Delete a batch of old deliveries; whether it was whole (then the next round goes on,
        so a busy site's deliveries never pile up faster than a batch a sweep)."""
        keep, batch = self._settings.keep_seconds, self._settings.purge_batch
        return await self._store.purge(now - keep if keep else None, batch) >= batch

    # -- sending -------------------------------------------------------------------------------

    def _pump(self, origin: str, now: float) -> None:
        """A sender for each delivery the receiver may have in flight now."""
        while (delivery := self._gate.next_to_send(origin, now)) is not None:
            task = asyncio.create_task(self._send_while_any(origin, delivery))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    async def _send_while_any(self, origin: str, delivery: DueDelivery | None) -> None:
        """Deliver, then the receiver's next one while it may have one (one task, many POSTs)."""
        while delivery is not None:
            await self._deliver(origin, delivery)
            delivery = self._gate.next_to_send(origin, self._clock())

    async def _deliver(self, origin: str, delivery: DueDelivery) -> None:
        async with self._slots:
            attempt = await self._attempt(delivery)
        now = self._clock()
        self._results.append(self._result(delivery, attempt, now))
        released = self._gate.done(origin, attempt.delivered, now)
        self._busy.difference_update(d.row_id for d in released)
        if not attempt.delivered:
            hold = max(self._gate.held_until(origin) - now, 0.0)
            log.info(
                "webhooks: %s to %s failed (%s); nothing goes there for %.0f s",
                delivery.delivery_id,
                origin,
                attempt.status,
                hold,
            )
        self._wake.set()

    async def _attempt(self, delivery: DueDelivery) -> Attempt:
        try:
            return await self._poster.post(delivery, self._clock())
        except Exception as exc:  # the client's own failure: logged, and tried again later
            log.exception("webhooks: posting %s failed", delivery.delivery_id)
            return Attempt(type(exc).__name__, Failure.CONNECTION)

    def _result(self, delivery: DueDelivery, attempt: Attempt, now: float) -> AttemptResult:
        attempts = delivery.attempts + 1
        if attempt.failure is None:
            self._counters.count_webhook_delivered()
            return AttemptResult(delivery.row_id, attempts, now, attempt.status, Outcome.DELIVERED)
        self._counters.count_webhook_error(attempt.failure.value)
        again = self._retries.next_attempt(delivery.created_at, attempts, now, self._rng)
        if again is None:
            log.warning(
                "webhooks: delivery %s (%s, webhook %d of site %d) failed for good after %d"
                " attempts: %s",
                delivery.delivery_id,
                delivery.event,
                delivery.webhook_number,
                delivery.site_id,
                attempts,
                attempt.status,
            )
            self._counters.count_webhook_failed()
            return AttemptResult(delivery.row_id, attempts, now, attempt.status, Outcome.FAILED)
        self._counters.count_webhook_retry()
        return AttemptResult(
            delivery.row_id, attempts, now, attempt.status, Outcome.RETRY, next_attempt_at=again
        )
