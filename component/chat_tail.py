"""The newest messages of an open chat, bounded by count and by characters; the archive has all.

What the desk keeps in memory of a chat's words while it is open: enough for a short chat's
hand-over, backlog and web history without a database read, and never more than the bound however
long the chat or its messages. Pure: no I/O, no clock, no asyncio.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from component.models import Message

TAIL_MESSAGES = 20
"""Newest messages kept per open chat: a short chat (most are) is held whole."""
TAIL_CHARS = 4_000
"""Characters of message bodies kept per open chat, at most (4-16 KB of text in CPython); a
message longer than that alone is not kept at all (the archive has it)."""


@dataclass(frozen=True, slots=True)
class TailLimits:
    messages: int = TAIL_MESSAGES
    chars: int = TAIL_CHARS


DEFAULT_LIMITS = TailLimits()


@dataclass(slots=True)
class ChatTail:
    """The chat's newest messages in seq order; `dropped_to` is the highest seq left out, so the
    tail holds every message after it (0: it holds the whole chat)."""

    limits: TailLimits = DEFAULT_LIMITS
    messages: list[Message] = field(default_factory=list)
    chars: int = 0
    dropped_to: int = 0

    @classmethod
    def restored(
        cls, newest: Iterable[Message], dropped_to: int, limits: TailLimits | None = None
    ) -> ChatTail:
        """A tail from the newest stored messages (seq order), all after the seq `dropped_to`."""
        tail = cls(limits or DEFAULT_LIMITS, dropped_to=dropped_to)
        for message in newest:
            tail.add(message)
        return tail

    def add(self, message: Message) -> None:
        """Keep the newest message, letting the oldest go past either bound."""
        self.messages.append(message)
        self.chars += len(message.body)
        self._trim()

    def holds_after(self, seq: int) -> bool:
        """True when every message after the seq `seq` is here."""
        return self.dropped_to <= seq

    def after(self, seq: int) -> list[Message]:
        return [m for m in self.messages if m.seq > seq]

    def limit_to(self, limits: TailLimits) -> None:
        self.limits = limits
        self._trim()

    def _trim(self) -> None:
        limits, messages = self.limits, self.messages
        cut = 0
        while cut < len(messages) and (
            len(messages) - cut > limits.messages or self.chars > limits.chars
        ):
            self.chars -= len(messages[cut].body)
            cut += 1
        if cut:
            self.dropped_to = max(self.dropped_to, messages[cut - 1].seq)
            del messages[:cut]
