"""The per-receiver bookkeeping of the drainer: limits, holds and probes, and a map that forgets
idle receivers (so it stays bounded)."""

from __future__ import annotations

import random

from component.deliveries import DueDelivery
from component.webhook_retry import RetryPolicy
from component.webhooks.gate import ReceiverGate

HOLDS = RetryPolicy(first_delay=10.0, max_delay=100.0, retry_for=1000.0)


def gate(queue: int = 4, max_receivers: int = 100) -> ReceiverGate:
    return ReceiverGate(
        per_receiver=2, queue=queue, holds=HOLDS, rng=random.Random(1), max_receivers=max_receivers
    )


def due(n: int, webhook: int = 1) -> DueDelivery:
    return DueDelivery(
        n, f"d-{n}", 1, webhook, "chat.started", "{}", 0.0, 0, "https://r.test/", "s"
    )


def test_a_receiver_takes_its_queue_and_sends_its_limit_at_once() -> None:
    g = gate()
    assert [g.offer("r", due(n), 0.0) for n in range(1, 6)] == [True] * 4 + [False]
    assert g.blocked(0.0) == {(1, 1)}  # full: not worth fetching for
    sent = [g.next_to_send("r", 0.0), g.next_to_send("r", 0.0), g.next_to_send("r", 0.0)]
    assert [d.row_id if d else None for d in sent] == [1, 2, None]
    assert g.done("r", True, 0.0) == []
    assert g.next_to_send("r", 0.0) == due(3)


def test_a_failure_holds_the_receiver_gives_back_its_queue_and_then_only_probes() -> None:
    g = gate()
    for n in range(1, 5):
        g.offer("r", due(n), 0.0)
    g.next_to_send("r", 0.0)
    g.next_to_send("r", 0.0)
    released = g.done("r", False, 1.0)
    assert [d.row_id for d in released] == [3, 4]
    held = g.held_until("r")
    assert 6.0 <= held <= 11.0
    assert g.done("r", False, 1.5) == [] and g.held_until("r") == held  # one hold per failure
    assert g.next_release(1.5) == held and g.blocked(1.5) == {(1, 1)}
    assert not g.offer("r", due(5), held - 0.1)
    assert g.room(held) == 2  # a probe, not a whole queue
    assert [g.offer("r", due(n), held) for n in (5, 6, 7)] == [True, True, False]
    g.next_to_send("r", held)
    g.done("r", True, held + 1)  # back: free again, a whole queue
    assert g.held_until("r") == 0.0 and g.room(held + 1) == 4 - 1


def test_idle_receivers_are_forgotten_and_the_map_is_bounded() -> None:
    g = gate(max_receivers=3)
    for origin in ("a", "b", "c", "d", "e"):
        g.offer(origin, due(1), 0.0)
        g.next_to_send(origin, 0.0)
        g.done(origin, True, 0.0)
    assert len(g) == 0  # delivered and idle: nothing kept
    for origin in ("a", "b", "c", "d", "e"):
        g.offer(origin, due(1), 0.0)
        g.next_to_send(origin, 0.0)
        g.done(origin, False, 0.0)  # failed: kept, held
    assert len(g) == 3
