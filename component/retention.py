"""Retention: which chats a purge may take, and what one purge took. Pure: no I/O, no clock
(`now` is a parameter); the batched deletes are in storage/purge.py.

A chat is purged when it is over (closed, or turned into feedback: never queued or assigned,
however old) and nothing happened in it for the site's retention: it opened, closed and had its
last message before the cutoff. A site's newest chat is kept whatever its age: chat numbers
continue from the highest one stored, so a purged newest chat would hand its number out again
after a restart (to a new chat, under the JID the operators' clients already know).
"""

from __future__ import annotations

from dataclasses import dataclass

DAY_SECONDS = 86_400.0
CHATS_PER_BATCH = 500
"""Chats deleted in one transaction (their messages went before, in batches of their own)."""
MESSAGES_PER_BATCH = 5_000
"""Messages deleted in one transaction: short ones, so chats keep flowing during a purge."""


def purge_cutoff(now: float, retention_days: int) -> float | None:
    """Chats whose last activity is before this time are purged; None: the site keeps all."""
    if retention_days <= 0:
        return None
    return now - retention_days * DAY_SECONDS


@dataclass(frozen=True, slots=True)
class PurgeCounts:
    """What a purge of one site deleted (or, dry, would delete)."""

    slug: str
    chats: int = 0
    messages: int = 0
    retention_days: int = 0

    def __add__(self, other: PurgeCounts) -> PurgeCounts:
        return PurgeCounts(
            self.slug,
            self.chats + other.chats,
            self.messages + other.messages,
            self.retention_days,
        )

    def line(self, *, dry_run: bool = False) -> str:
        """One line for the command and the log."""
        if not self.retention_days:
            return f"{self.slug}: retention 0 (chats kept for ever): nothing purged"
        verb = "would purge" if dry_run else "purged"
        return (
            f"{self.slug}: {verb} {self.chats} chats and {self.messages} messages"
            f" (retention {self.retention_days} days)"
        )


class PurgeInterrupted(Exception):
    """A purge failed part way: `counts` is what it deleted before (gone for good, so counted);
    the chats left are purged by the next run."""

    def __init__(self, counts: PurgeCounts, reason: str) -> None:
        super().__init__(reason)
        self.counts = counts
