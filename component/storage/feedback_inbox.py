"""The reads and the marking behind the `feedback` command (adhoc_feedback.FeedbackInbox): the
archive writer's buffer flushed first (feedback just left is in it until then), then the
feedback repository, whose mark_done is the same call as `helperchat feedback done`. Wiring
only; SQL stays in storage/feedback.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from component.feedback import DoneOutcome, FeedbackEntry
from component.storage.database import Database
from component.storage.feedback import FeedbackRepository


class FeedbackInbox:
    def __init__(self, db: Database, flush: Callable[[], Awaitable[None]]) -> None:
        self._flush = flush
        self._feedback = FeedbackRepository(db)

    async def flush(self) -> None:
        await self._flush()

    async def page(
        self, site_id: int, offset: int, limit: int, *, only_open: bool = True
    ) -> list[FeedbackEntry]:
        return await self._feedback.page(site_id, offset, limit, only_open=only_open)

    async def entry(self, site_id: int, number: int) -> FeedbackEntry | None:
        return await self._feedback.entry(site_id, number)

    async def mark_done(self, site_id: int, number: int, at: float, by: str) -> DoneOutcome:
        return await self._feedback.mark_done(site_id, number, at, by)
