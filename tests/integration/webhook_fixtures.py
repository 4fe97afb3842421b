"""Helpers of the webhook integration tests: webhook settings a test can wait on, webhooks added
as `helperchat webhook add` adds them, and the deliveries table read back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from component.config import WebhooksConfig
from component.storage.directory import DirectoryRepository
from component.storage.webhooks import WebhookRepository
from component.webhook_events import EVENTS
from component.webhook_signing import new_secret
from tests.integration.helpdesk_fixtures import Desk
from tests.integration.webhook_receiver import Receiver

QUICK = WebhooksConfig(
    timeout=3.0,
    first_retry_delay=0.2,
    max_retry_delay=1.0,
    poll_interval=1.0,
    operator_debounce=1.0,
    allow_private_addresses=True,  # the receiver is on loopback
)


def quick_webhooks(desk: Desk, **changes: Any) -> None:
    """Short waits for the component started next (and the receiver on loopback allowed)."""
    desk.config = replace(desk.config, webhooks=replace(QUICK, **changes))


async def add_webhook(
    desk: Desk,
    receiver: Receiver,
    name: str,
    events: tuple[str, ...] = EVENTS,
    slug: str = "acme",
    answer: str = "ok",
) -> int:
    """A webhook of `slug` to the receiver's path `name` (which learns its secret); its number."""
    site = await DirectoryRepository(desk.db).get_site(slug)
    secret = new_secret()
    receiver.expect(name, secret, answer)
    return await WebhookRepository(desk.db).add_webhook(site.id, receiver.url(name), secret, events)


async def deliveries(desk: Desk) -> list[dict[str, Any]]:
    """Every stored delivery: its id, event, attempts, status and whether it is done."""
    rows = await desk.rows(
        "SELECT delivery_id, event, attempts, last_status, delivered_at IS NOT NULL,"
        " failed_at IS NOT NULL, webhook_number FROM webhook_deliveries ORDER BY id"
    )
    keys = ("id", "event", "attempts", "status", "delivered", "failed", "webhook")
    return [dict(zip(keys, row, strict=True)) for row in rows]


async def pending(desk: Desk) -> int:
    rows = await desk.rows(
        "SELECT COUNT(*) FROM webhook_deliveries WHERE delivered_at IS NULL AND failed_at IS NULL"
    )
    return int(rows[0][0])


async def wait_until(check: Callable[[], Awaitable[bool]], timeout: float = 20.0) -> None:
    """Until the (asynchronous) check holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


async def none_pending(desk: Desk) -> None:
    """Until every stored delivery is delivered or failed."""

    async def done() -> bool:
        return await pending(desk) == 0

    await wait_until(done)
