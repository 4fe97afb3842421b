"""Per-chat event logs of web chats (SPEC §7.1): kept events in seq order, live ones passed by.

Kept events (`message`, `closed`) carry the archive's seq of the message they show, so the log
can be rebuilt from the archive; live events (`typing`, `receipt`) carry the latest kept seq and
are never stored (only waiters already there see them). Bounded: a cap per chat, and the logs of
closed chats are dropped after a grace period. Pure: no asyncio, no clock (`now` is a parameter).
"""

from __future__ import annotations

from bisect import bisect_right, insort
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

KEPT = frozenset({"message", "queue", "operator", "closed"})
MAX_EVENTS_PER_CHAT = 500
CLOSED_GRACE_SECONDS = 600.0

ChatKey = tuple[int, int]  # (site_id, chat number)


@dataclass(frozen=True, slots=True)
class Event:
    seq: int
    type: str
    at: float
    fields: Mapping[str, object] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        at = datetime.fromtimestamp(self.at, UTC).isoformat(timespec="milliseconds")
        return {"seq": self.seq, "type": self.type, "at": at.replace("+00:00", "Z"), **self.fields}


@dataclass(slots=True)
class ChatLog:
    events: list[Event] = field(default_factory=list)
    last_seq: int = 0
    closed_at: float | None = None

    def after(self, seq: int) -> list[Event]:
        return self.events[bisect_right(self.events, seq, key=_seq) :]


class ChatEvents:
    """The logs of web chats, by (site_id, number)."""

    def __init__(self, cap: int = MAX_EVENTS_PER_CHAT, grace: float = CLOSED_GRACE_SECONDS):
        self._logs: dict[ChatKey, ChatLog] = {}
        self._cap = cap
        self._grace = grace

    def log(self, key: ChatKey) -> ChatLog | None:
        return self._logs.get(key)

    def open(self, key: ChatKey) -> ChatLog:
        return self._logs.setdefault(key, ChatLog())

    def keep(self, key: ChatKey, seq: int, kind: str, at: float, **fields: object) -> Event:
        """A kept event with its own seq (the archive's), in seq order; the cap drops the oldest."""
        log = self.open(key)
        event = Event(seq, kind, at, fields)
        if not log.events or log.events[-1].seq <= seq:
            log.events.append(event)  # the usual case: the newest seq
        else:
            insort(log.events, event, key=_seq)  # after any event of the same seq
        del log.events[: -self._cap]
        log.last_seq = max(log.last_seq, seq)
        if kind == "closed":
            log.closed_at = at
        return event

    def close(self, key: ChatKey, last_archived: int, at: float) -> Event:
        """The `closed` event: after every archived message of the chat, so it takes the next seq
        (a rebuild from the archive gives it the same one)."""
        return self.keep(key, max(last_archived, self.open(key).last_seq) + 1, "closed", at)

    def live(self, key: ChatKey, kind: str, at: float, **fields: object) -> Event | None:
        """A live-only event (not stored): it carries the latest kept seq; None once closed."""
        log = self._logs.get(key)
        if log is None or log.closed_at is not None:
            return None
        return Event(log.last_seq, kind, at, fields)

    def expire(self, now: float) -> int:
        """Drop the logs of chats closed longer than the grace period; how many went."""
        gone = [k for k, v in self._logs.items() if v.closed_at is not None]
        gone = [k for k in gone if now - (self._logs[k].closed_at or now) >= self._grace]
        for key in gone:
            del self._logs[key]
        return len(gone)

    def __len__(self) -> int:
        return len(self._logs)


def _seq(event: Event) -> int:
    return event.seq
