"""Per-chat event logs of web chats (SPEC §7.1): kept events in seq order, live ones passed by.

Kept events (`message`, `queue`, `operator`, `closed`) carry the archive's seq of the message
they show (`event_of` maps one), so a log can be rebuilt from the archive (`events_of` a
ChatHistory) and equals the one built live; live events (`typing`, `receipt`) carry the latest
kept seq and are never stored (only waiters already there see them). A log built from live events
alone (after a restart) is incomplete until rebuilt once (`restore`). Bounded: a cap per chat on
its events and on their text (the oldest go; the log remembers up to which seq it may lack
events, `missing_to`, so a reader from before that is answered from the chat's history in pages,
`first_events`), and the logs of closed chats are dropped after a grace period. Pure: no asyncio,
no clock.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from component.models import Message, Notice, Sender

KEPT = frozenset({"message", "queue", "operator", "closed"})
MAX_EVENTS_PER_CHAT = 500
MAX_CHARS_PER_CHAT = 20_000
"""Characters of message text a chat's log keeps, at most (beyond its newest event): 500 events of
limits.max_body_chars would be 5 million; older ones are read from the chat's history."""
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


SHOWN_NOTICES = frozenset({Notice.TEXT, Notice.QUEUE, Notice.ASSIGNED})
"""The system messages a web visitor is shown (as a `message`, `queue` or `operator` event)."""

OperatorName = Callable[[str], str]
"""An operator's JID -> their name (on the chat's site)."""


def shown_on_web(message: Message) -> bool:
    return message.sender is not Sender.SYSTEM or message.notice in SHOWN_NOTICES


def event_of(message: Message, operator_name: OperatorName, avatar: str | None) -> Event | None:
    """The kept event a web visitor sees for an archived message; None when not for them."""
    if not shown_on_web(message):
        return None
    if message.notice is Notice.QUEUE:
        return Event(message.seq, "queue", message.at, {"position": int(message.detail)})
    if message.notice is Notice.ASSIGNED:
        fields = {"name": message.detail, "avatar": avatar}
        return Event(message.seq, "operator", message.at, fields)
    said: dict[str, object] = {"from": message.sender.value, "text": message.body}
    if message.sender is Sender.OPERATOR:
        said["operator"] = operator_name(message.author)
    return Event(message.seq, "message", message.at, said)


@dataclass(frozen=True, slots=True)
class ChatHistory:
    """What the archive holds of a chat for its web visitor: messages shown to them (seq order;
    the newest ones, or the first ones after a seq), the seq of its last message of all, and when
    it ended (None while open)."""

    shown: Sequence[Message]
    last_seq: int
    closed_at: float | None = None

    @classmethod
    def of_tail(
        cls,
        tail: Sequence[Message],
        held_after: int,
        last_seq: int,
        limit: int,
        after: int | None = None,
    ) -> ChatHistory | None:
        """An open chat's history from the newest messages in memory (every one after the seq
        `held_after`): the newest `limit` shown ones, or with `after` the first `limit` after that
        seq; None when the tail does not hold what is asked (read the archive instead)."""
        shown = [m for m in tail if shown_on_web(m)]
        if after is None:
            return cls(shown[-limit:], last_seq) if held_after == 0 or len(shown) >= limit else None
        if held_after > after:
            return None
        return cls([m for m in shown if m.seq > after][:limit], last_seq)

    def missing_to(self, limit: int) -> int:
        """The highest seq of a shown message a read of the newest `limit` may have left out:
        below its oldest when the limit cut it, else none (0)."""
        return self.shown[0].seq - 1 if self.shown and len(self.shown) >= limit else 0


def events_of(history: ChatHistory, operator_name: OperatorName, avatar: str | None) -> list[Event]:
    """The kept events of a chat rebuilt from its history: what the live log had."""
    events = [e for m in history.shown if (e := event_of(m, operator_name, avatar)) is not None]
    if history.closed_at is not None:
        events.append(Event(history.last_seq + 1, "closed", history.closed_at))
    return events


def first_events(
    page: ChatHistory, operator_name: OperatorName, avatar: str | None, limit: int
) -> list[Event]:
    """A page of kept events from the first `limit` shown messages after a seq: `closed` only
    once no shown message is left out (the reader asks again after the last seq it got)."""
    return events_of(page, operator_name, avatar)[:limit]


@dataclass(slots=True)
class ChatLog:
    events: list[Event] = field(default_factory=list)
    last_seq: int = 0
    closed_at: float | None = None
    complete: bool = False  # rebuilt from the chat's history once: nothing before is missing
    missing_to: int = 0  # the highest seq it may lack (the cap dropped it, or the rebuild's limit)
    chars: int = 0  # characters of message text in `events`

    def after(self, seq: int) -> list[Event]:
        return self.events[bisect_right(self.events, seq, key=_seq) :]

    def holds(self, after: int) -> bool:
        """True when every kept event after the seq `after` is in the log."""
        return after >= self.missing_to


class ChatEvents:
    """The logs of web chats, by (site_id, number)."""

    def __init__(
        self,
        cap: int | None = None,
        grace: float = CLOSED_GRACE_SECONDS,
        max_chars: int = MAX_CHARS_PER_CHAT,
    ):
        self._logs: dict[ChatKey, ChatLog] = {}
        self.cap = MAX_EVENTS_PER_CHAT if cap is None else cap
        self.max_chars = max_chars
        self._grace = grace

    def log(self, key: ChatKey) -> ChatLog | None:
        return self._logs.get(key)

    def open(self, key: ChatKey) -> ChatLog:
        return self._logs.setdefault(key, ChatLog())

    def keep(self, key: ChatKey, seq: int, kind: str, at: float, **fields: object) -> Event:
        """A kept event with its own seq (the archive's), in seq order; the cap drops the oldest."""
        return self.add(key, Event(seq, kind, at, fields))

    def add(self, key: ChatKey, event: Event) -> Event:
        """Keep `event`; one with the same seq is the same archived message, kept once."""
        log = self.open(key)
        if log.events and log.events[-1].seq >= event.seq:
            self._merge(log, [event])  # late or again: merged in its place
        else:
            log.events.append(event)  # the usual case, the newest seq: no sorting
            log.chars += _text_size(event)
            self._settle(log, [event])
        return event

    def restore(self, key: ChatKey, rebuilt: Iterable[Event], missing_to: int = 0) -> ChatLog:
        """Merge the events rebuilt from the chat's history into its log (live ones that came
        meanwhile stay, none twice); the log is complete from now on, but for what the history
        read left out (up to the seq `missing_to`)."""
        log = self.open(key)
        self._merge(log, rebuilt)
        log.complete = True
        log.missing_to = max(log.missing_to, missing_to)
        return log

    def _merge(self, log: ChatLog, events: Iterable[Event]) -> None:
        by_seq = {e.seq: e for e in log.events}
        by_seq.update((e.seq, e) for e in events)
        log.events = sorted(by_seq.values(), key=lambda e: e.seq)
        log.chars = sum(_text_size(e) for e in log.events)
        self._settle(log, log.events)

    def _settle(self, log: ChatLog, added: Sequence[Event]) -> None:
        """Cap the log, noting the highest seq it drops, and take its latest seq and end from the
        events just `added`."""
        self._cap(log)
        for event in added:
            log.last_seq = max(log.last_seq, event.seq)
            if event.type == "closed":
                log.closed_at = event.at

    def _cap(self, log: ChatLog) -> None:
        """Drop the oldest events past the cap on events, then past the cap on text (the newest
        event stays, however long)."""
        events = log.events
        cut = max(len(events) - self.cap, 0)
        chars = log.chars - sum(_text_size(e) for e in events[:cut])
        while cut < len(events) - 1 and chars > self.max_chars:
            chars -= _text_size(events[cut])
            cut += 1
        if cut:
            log.missing_to = max(log.missing_to, events[cut - 1].seq)
            del events[:cut]
        log.chars = chars

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


def _text_size(event: Event) -> int:
    text = event.fields.get("text")
    return len(text) if isinstance(text, str) else 0
