"""Per receiver (a URL's origin, for one site) bookkeeping, so one slow or dead receiver never
delays another: at most `per_receiver` deliveries in flight and `queue` taken in hand; after a
failed attempt the receiver is held (nothing sent to it) for a back-off that grows with the
failures in a row, and a success ends the hold. The map of receivers forgets idle ones, so it
stays bounded.

Plain bookkeeping over `now` parameters: no I/O, no asyncio.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Collection
from dataclasses import dataclass, field

from component.deliveries import DueDelivery
from component.webhook_retry import RetryPolicy

Webhook = tuple[int, int]


@dataclass(slots=True)
class _Receiver:
    waiting: deque[DueDelivery] = field(default_factory=deque)
    running: int = 0
    failures: int = 0  # failed attempts in a row
    held_until: float = 0.0
    webhooks: set[Webhook] = field(default_factory=set)

    def idle(self) -> bool:
        return not self.running and not self.waiting


class ReceiverGate:
    def __init__(
        self,
        *,
        per_receiver: int,
        queue: int,
        holds: RetryPolicy,
        rng: random.Random,
        max_receivers: int = 10_000,
    ) -> None:
        """`queue`: deliveries taken in hand per receiver, those in flight included; `holds`:
        the back-off of a receiver that failed (its first_delay and max_delay)."""
        self._per_receiver = per_receiver
        self._queue = max(queue, per_receiver)
        self._holds = holds
        self._rng = rng
        self._max_receivers = max_receivers
        self._receivers: dict[str, _Receiver] = {}

    def offer(self, origin: str, delivery: DueDelivery, now: float) -> bool:
        """Take the delivery in hand (True), unless its receiver is held or has enough."""
        receiver = self._receivers.get(origin)
        if receiver is None:
            self._make_room()
            receiver = self._receivers[origin] = _Receiver()
        receiver.webhooks.add(delivery.webhook)
        if now < receiver.held_until or self._room_of(receiver) <= 0:
            return False
        receiver.waiting.append(delivery)
        return True

    def next_to_send(self, origin: str, now: float) -> DueDelivery | None:
        """The receiver's next delivery if it may have one more in flight now (counted)."""
        receiver = self._receivers.get(origin)
        if receiver is None or not receiver.waiting or now < receiver.held_until:
            return None
        if receiver.running >= self._per_receiver:
            return None
        receiver.running += 1
        return receiver.waiting.popleft()

    def done(self, origin: str, delivered: bool, now: float) -> list[DueDelivery]:
        """One in flight ended. A failure holds the receiver (unless held already) and gives
        back what waited for it (those stay due in the database)."""
        receiver = self._receivers[origin]
        receiver.running -= 1
        if delivered:
            receiver.failures, receiver.held_until = 0, 0.0
        elif now >= receiver.held_until:
            receiver.failures += 1
            receiver.held_until = now + self._holds.delay(receiver.failures, self._rng)
        released: list[DueDelivery] = []
        if now < receiver.held_until:
            released, receiver.waiting = list(receiver.waiting), deque()
        if receiver.idle() and not receiver.failures:
            del self._receivers[origin]
        return released

    def drop_all_but(self, webhooks: Collection[Webhook]) -> list[DueDelivery]:
        """Forget what waits for any webhook but these (removed ones); what was forgotten."""
        dropped: list[DueDelivery] = []
        for receiver in self._receivers.values():
            kept = deque(d for d in receiver.waiting if d.webhook in webhooks)
            dropped += (d for d in receiver.waiting if d.webhook not in webhooks)
            receiver.waiting = kept
            receiver.webhooks &= set(webhooks)
        return dropped

    def held_until(self, origin: str) -> float:
        receiver = self._receivers.get(origin)
        return 0.0 if receiver is None else receiver.held_until

    def blocked(self, now: float) -> set[Webhook]:
        """The webhooks whose receiver is held or has enough in hand: not worth fetching."""
        blocked: set[Webhook] = set()
        for receiver in self._receivers.values():
            full = self._room_of(receiver) <= 0
            if full or now < receiver.held_until:
                blocked |= receiver.webhooks
        return blocked

    def room(self, now: float) -> int:
        """The most one receiver can take in hand now: a new receiver's whole queue, or that of
        the known one with most room (a fetch bigger than this would read rows for nothing)."""
        rooms = [self._room_of(r) for r in self._receivers.values() if now >= r.held_until]
        return max((room for room in rooms if room > 0), default=self._queue)

    def next_release(self, now: float) -> float | None:
        """When the next hold ends (None: no receiver is held)."""
        ends = [r.held_until for r in self._receivers.values() if r.held_until > now]
        return min(ends, default=None)

    def _room_of(self, receiver: _Receiver) -> int:
        """What more it may take in hand: a whole queue, or, failing, only a probe (what it may
        have in flight): the rest would be given back at its next failure anyway."""
        queue = self._per_receiver if receiver.failures else self._queue
        return queue - receiver.running - len(receiver.waiting)

    def _make_room(self) -> None:
        """Past max_receivers, forget the idle receiver whose hold ends first."""
        if len(self._receivers) < self._max_receivers:
            return
        idle = [(r.held_until, o) for o, r in self._receivers.items() if r.idle()]
        if idle:
            del self._receivers[min(idle)[1]]

    def __len__(self) -> int:
        return len(self._receivers)
