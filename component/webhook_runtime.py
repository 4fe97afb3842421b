"""Webhooks in a running HelperChat (wiring): the tap on the desk's archive port and the debounced
operator watch that make the deliveries, the book of webhooks re-read like the directory (added
and removed ones apply without a restart), and the drainer with its HTTP client.

The composition root calls `tap()` while building the desk, `start()` once the desk is loaded
(before anything reaches it), and `stop()` before the database closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time

from component.archive import ArchiveWriter
from component.config import WebhooksConfig
from component.desk.operator_events import OperatorEvents
from component.desk.ports import ArchiveSink
from component.desk.state import DeskState
from component.desk.webhook_tap import ChatEventTap
from component.desk.webhooks import WebhookBook, WebhookEmitter
from component.metrics import Metrics
from component.storage import Database, StorageError
from component.storage.deliveries import DeliveryRepository
from component.storage.webhooks import WebhookRepository
from component.webhook_retry import RetryPolicy
from component.webhooks.client import WebhookClient
from component.webhooks.drainer import DeliveryDrainer, DrainerSettings

log = logging.getLogger(__name__)

TICK_SECONDS = 0.5  # how often held operator states are looked at
DAY = 86_400.0


def retry_policy(config: WebhooksConfig) -> RetryPolicy:
    return RetryPolicy(config.first_retry_delay, config.max_retry_delay, config.retry_for)


def drainer_settings(config: WebhooksConfig) -> DrainerSettings:
    return DrainerSettings(
        poll_interval=config.poll_interval,
        max_in_flight=config.max_in_flight,
        per_receiver=config.max_in_flight_per_receiver,
        keep_seconds=config.keep_days * DAY,
    )


class WebhookRuntime:
    def __init__(self, config: WebhooksConfig, metrics: Metrics) -> None:
        self.config = config
        self.book = WebhookBook()
        self._metrics = metrics
        self._tap: ChatEventTap | None = None
        self.operator_events: OperatorEvents | None = None
        self.drainer: DeliveryDrainer | None = None
        self._client: WebhookClient | None = None
        self._tasks: list[asyncio.Task[None]] = []

    def tap(self, sink: ArchiveSink) -> ChatEventTap:
        """The desk's archive port: `sink`, with the webhook events seen on the way; the
        deliveries are appended to `sink` too. Also makes `operator_events`."""
        emitter = WebhookEmitter(self.book, sink)
        self._tap = ChatEventTap(sink, emitter)
        self.operator_events = OperatorEvents(emitter, self.config.operator_debounce)
        return self._tap

    async def start(
        self, db: Database, writer: ArchiveWriter, state: DeskState, reload_interval: float
    ) -> None:
        """Read the webhooks and what operator events were sent last, then deliver."""
        assert self._tap is not None and self.operator_events is not None, "tap() comes first"
        self._tap.attach(state)
        self.operator_events.attach(state)
        webhooks, deliveries = WebhookRepository(db), DeliveryRepository(db)
        self.book.replace(await webhooks.all_targets())
        self.operator_events.seed(await deliveries.last_operator_events())
        self._client = self._new_client()
        await self._client.start()
        drainer = self.drainer = DeliveryDrainer(
            deliveries,
            self._client,
            retry_policy(self.config),
            drainer_settings(self.config),
            self._metrics,
            clock=time.time,
            rng=random.Random(),
        )
        writer.on_stored(drainer.on_stored)
        self._metrics.watch_webhook_backlog(lambda: drainer.backlog)
        drainer.start()
        self._tasks = [
            asyncio.create_task(self._reload_loop(webhooks, reload_interval)),
            asyncio.create_task(self._tick_loop(self.operator_events)),
        ]
        self._warn_about_settings()

    def _new_client(self) -> WebhookClient:
        return WebhookClient(
            timeout=self.config.timeout,
            allow_private=self.config.allow_private_addresses,
            max_connections=self.config.max_in_flight,
        )

    def _warn_about_settings(self) -> None:
        if self.config.retry_for < DAY:
            log.warning(
                "webhooks.retry_for is %g s: deliveries are given up before the 24 h SPEC §6"
                " promises",
                self.config.retry_for,
            )
        if self.config.allow_private_addresses:
            log.warning("webhooks: private, loopback and link-local receivers are allowed")

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self.drainer is not None:
            await self.drainer.stop()
        if self._client is not None:
            await self._client.close()

    async def _reload_loop(self, repo: WebhookRepository, interval: float) -> None:
        """Re-read the webhooks so `webhook add` and `remove` apply without a restart (what the
        drainer holds for a removed one is dropped)."""
        while True:
            await asyncio.sleep(interval)
            try:
                self.book.replace(await repo.all_targets())
            except StorageError as exc:
                log.warning("webhooks reload failed: %s", exc)
                continue
            if self.drainer is not None:
                self.drainer.keep_only(self.book.webhooks())

    async def _tick_loop(self, events: OperatorEvents) -> None:
        while True:
            await asyncio.sleep(TICK_SECONDS)
            try:
                events.on_tick(time.time())
            except Exception:
                log.exception("webhooks: operator events failed")
