"""Webhooks when receivers misbehave, over the real stack: a receiver down for a while, a restart
of HelperChat with deliveries waiting, a receiver that hangs while chats go on, one that always
fails (given up at the end of the window), and a private address refused by default."""

from __future__ import annotations

import statistics
import time

import pytest

from component.storage.webhooks import WebhookRepository
from component.webhook_events import EVENTS
from tests.integration.clients import Client
from tests.integration.helpdesk_fixtures import Desk
from tests.integration.test_archive_store import acme_id
from tests.integration.webhook_fixtures import (
    add_webhook,
    deliveries,
    none_pending,
    quick_webhooks,
    wait_until,
)
from tests.integration.webhook_receiver import Receiver

pytestmark = pytest.mark.integration


async def tried(desk: Desk, times: int) -> None:
    """Until every stored delivery was attempted at least `times` times."""

    async def check() -> bool:
        rows = await deliveries(desk)
        return bool(rows) and all(row["attempts"] >= times for row in rows)

    await wait_until(check)


async def test_a_receiver_down_for_a_while_then_up_gets_everything(desk: Desk) -> None:
    quick_webhooks(desk)
    receiver = Receiver()  # its port stays closed for now: connections are refused
    await add_webhook(desk, receiver, "later", EVENTS)
    await desk.open_chat()
    await tried(desk, 2)
    statuses = {row["status"] for row in await deliveries(desk)}
    assert all("connect" in status or "refused" in status for status in statuses), statuses
    await receiver.start()
    try:
        await none_pending(desk)
        stored = await deliveries(desk)
        assert all(row["delivered"] for row in stored)
        assert {d.id for d in receiver.got} == {row["id"] for row in stored}  # dups: same id
        assert all(d.signed for d in receiver.got)
    finally:
        await receiver.stop()


async def test_deliveries_waiting_at_a_restart_arrive_after_the_start(desk: Desk) -> None:
    quick_webhooks(desk)
    receiver = Receiver()
    await add_webhook(desk, receiver, "restart", EVENTS)
    _, alice, visitor = await desk.open_chat()
    await tried(desk, 1)
    await visitor.stop()
    await alice.stop()
    waiting = {row["id"] for row in await deliveries(desk) if not row["delivered"]}
    assert waiting
    await desk.stop_component()
    await receiver.start()
    try:
        await desk.start_component()
        await none_pending(desk)
        assert waiting <= {d.id for d in receiver.got}
        assert all(d.signed for d in receiver.got)
    finally:
        await receiver.stop()


async def relay_latencies(desk: Desk, visitor: Client, operator: Client, label: str) -> list[float]:
    """Seconds from the visitor's message to its arrival at the operator, for 8 messages."""
    taken = []
    for i in range(8):
        text = f"{label} {i}"
        sent = time.perf_counter()
        visitor.send(desk.desk_jid(), text)
        await operator.expect_from(desk.chat_jid(1), text)
        taken.append(time.perf_counter() - sent)
    return taken


async def test_a_receiver_that_hangs_delays_neither_the_chat_nor_another_receiver(
    desk: Desk,
) -> None:
    timeout = 6.0
    quick_webhooks(desk, timeout=timeout)
    receiver, other = await Receiver().start(), await Receiver().start()
    try:
        await add_webhook(desk, receiver, "slow", ("chat.message",))
        await add_webhook(desk, other, "fast", ("chat.message",))
        _, alice, visitor = await desk.open_chat()
        without = await relay_latencies(desk, visitor, alice, "before")
        await desk.wait_for(lambda: len(receiver.of("slow")) == 9)  # hello + 8
        receiver.answers["slow"] = "hang"
        with_hanging = await relay_latencies(desk, visitor, alice, "during")
        await desk.wait_for(lambda: receiver.hanging == 2)  # 2 in flight there, no more
        await desk.wait_for(lambda: len(other.of("fast")) == 17)  # the other one goes on
        print(f"relay latency (s), median/max: without {statistics.median(without):.4f}/"
              f"{max(without):.4f}, with a hanging receiver {statistics.median(with_hanging):.4f}"
              f"/{max(with_hanging):.4f}")  # fmt: skip
        assert max(with_hanging) < max(without) + timeout / 2
        assert receiver.hanging == 2
    finally:
        await receiver.stop()
        await other.stop()


async def test_a_delivery_that_always_fails_is_given_up_at_the_end_of_its_window(
    desk: Desk,
) -> None:
    quick_webhooks(desk, retry_for=2.0)
    receiver = await Receiver().start()
    try:
        number = await add_webhook(desk, receiver, "broken", ("chat.started",), answer="fail")
        await desk.open_chat()

        async def failed() -> bool:
            return any(row["failed"] for row in await deliveries(desk))

        await wait_until(failed)
        (row,) = await deliveries(desk)
        assert row["attempts"] >= 2 and row["status"] == "HTTP 500"
        (summary,) = await WebhookRepository(desk.db).list_webhooks(await acme_id(desk))
        assert (summary.number, summary.pending, summary.failed) == (number, 0, 1)
        assert summary.last_error is not None and summary.last_error[0] == "HTTP 500"
        assert {d.id for d in receiver.got} == {row["id"]}  # tried, with its one id
    finally:
        await receiver.stop()


async def test_a_private_address_is_refused_unless_allowed(desk: Desk) -> None:
    quick_webhooks(desk, allow_private_addresses=False)
    receiver = await Receiver().start()
    try:
        await add_webhook(desk, receiver, "inside", ("chat.started",))
        await desk.open_chat()
        await tried(desk, 1)
        (row,) = await deliveries(desk)
        assert "127.0.0.1 is not a public address" in row["status"]
        assert not row["delivered"]
        assert receiver.got == []
    finally:
        await receiver.stop()


async def test_a_removed_webhook_gets_nothing_more_than_what_was_in_flight(desk: Desk) -> None:
    quick_webhooks(desk, timeout=60.0)  # what hangs stays in flight until released
    receiver = await Receiver().start()
    try:
        number = await add_webhook(desk, receiver, "gone", ("chat.message",), answer="hang")
        _, alice, visitor = await desk.open_chat()
        for i in range(10):
            visitor.send(desk.desk_jid(), f"words {i}")
            await alice.expect_from(desk.chat_jid(1), f"words {i}")
        assert desk.app is not None and desk.app.webhooks.drainer is not None
        drainer = desk.app.webhooks.drainer
        await desk.wait_for(lambda: drainer.in_hand == 11)  # 2 in flight, 9 waiting in hand
        assert receiver.hanging == 2
        await WebhookRepository(desk.db).remove_webhook(await acme_id(desk), number)
        await desk.wait_for(lambda: desk.app is not None and len(desk.app.webhooks.book) == 0)
        receiver.release.set()  # the two in flight end
        await desk.wait_for(lambda: drainer.in_hand == 0)
        assert len(receiver.of("gone")) == 2
        assert await deliveries(desk) == []
    finally:
        await receiver.stop()
