"""Stanzas held back per (sender, recipient) behind a gate, so a late transcript is not overtaken.

A gate opens where a transcript belongs in the stream to one recipient from one chat JID; what is
sent on that pair afterwards waits behind it, in order, and goes once the gate is released (its own
pages go through it first). Gates on the same pair queue in the order they were opened. Pure: the
outbox that writes the items owns one `Holds`; no I/O, no asyncio.
"""

from __future__ import annotations

from collections import deque
from typing import Generic, TypeVar

_T = TypeVar("_T")
Pair = tuple[str, str]  # (sender, recipient)


class Gate(Generic[_T]):
    """One transcript's place in a pair's stream; `ahead` holds its pages while a gate opened
    before it is still shut."""

    __slots__ = ("ahead", "pair", "released")

    def __init__(self, pair: Pair) -> None:
        self.pair = pair
        self.released = False
        self.ahead: list[_T] = []


class Holds(Generic[_T]):
    def __init__(self) -> None:
        self._queues: dict[Pair, deque[Gate[_T] | _T]] = {}

    def __bool__(self) -> bool:
        return bool(self._queues)

    def open(self, pair: Pair) -> Gate[_T]:
        gate: Gate[_T] = Gate(pair)
        self._queues.setdefault(pair, deque()).append(gate)
        return gate

    def admit(self, pair: Pair, item: _T) -> bool:
        """True when `item` may be written now; False when it waits behind a gate."""
        queue = self._queues.get(pair)
        if queue is None:
            return True
        queue.append(item)
        return False

    def through(self, gate: Gate[_T], item: _T) -> list[_T]:
        """A page of the gate's own: what to write now (nothing while an earlier gate is shut)."""
        queue = self._queues.get(gate.pair)
        if queue is not None and queue[0] is gate:
            return [item]
        gate.ahead.append(item)
        return []

    def release(self, gate: Gate[_T]) -> list[_T]:
        """The gate is done: what may be written now, in order (its pages, then what waited)."""
        gate.released = True
        queue = self._queues.get(gate.pair)
        if queue is None:
            return []
        ready: list[_T] = []
        while queue:
            head = queue[0]
            if isinstance(head, Gate):
                if not head.released:
                    ready.extend(head.ahead)
                    head.ahead = []
                    break
                ready.extend(head.ahead)
            else:
                ready.append(head)
            queue.popleft()
        if not queue:
            del self._queues[gate.pair]
        return ready

    def held(self) -> int:
        """Items waiting behind gates (for tests and logs)."""
        queues = self._queues.values()
        return sum(1 for queue in queues for item in queue if not isinstance(item, Gate))
