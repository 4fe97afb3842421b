"""The webhook HTTP client against a real receiver (an aiohttp server on loopback): what one
site's receiver does never holds another site's deliveries, even at the same host and port."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from component.deliveries import DueDelivery
from component.webhooks.client import WebhookClient
from tests.integration.webhook_fixtures import wait_until
from tests.integration.webhook_receiver import Receiver

pytestmark = pytest.mark.integration

PER_RECEIVER = 2


def due(n: int, site_id: int, url: str, secret: str) -> DueDelivery:
    body = f'{{"id":"d-{n}","event":"chat.started","site":"s{site_id}","at":"","data":{{}}}}'
    return DueDelivery(n, f"d-{n}", site_id, 1, "chat.started", body, 0.0, 0, url, secret)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    started = await Receiver().start()
    yield started
    await started.stop()


@pytest.fixture
async def client() -> AsyncIterator[WebhookClient]:
    made = WebhookClient(timeout=60.0, allow_private=True, max_connections=32)
    await made.start()
    yield made
    await made.close()


async def test_a_sites_hanging_receiver_never_holds_another_sites_at_the_same_origin(
    receiver: Receiver, client: WebhookClient
) -> None:
    receiver.expect("acme", "s1", answer="hang")
    receiver.expect("globex", "s2")
    hung = [
        asyncio.create_task(client.post(due(n, 1, receiver.url("acme"), "s1"), time.time()))
        for n in range(PER_RECEIVER)  # as many as acme's receiver may have in flight
    ]
    await wait_until(lambda: asyncio.sleep(0, receiver.hanging == PER_RECEIVER))
    other = asyncio.create_task(client.post(due(9, 2, receiver.url("globex"), "s2"), time.time()))
    try:
        await wait_until(lambda: asyncio.sleep(0, other.done()), timeout=10.0)
        assert other.result().delivered
        (got,) = receiver.of("globex")
        assert got.signed
        assert receiver.hanging == PER_RECEIVER  # acme's still hang: globex did not wait
    finally:
        receiver.release.set()
        await asyncio.gather(*hung, other, return_exceptions=True)
