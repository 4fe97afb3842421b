"""The retention purge's SQL: a site's chats past its retention deleted with their messages and
web rows, in short transactions (messages MESSAGES_PER_BATCH at a time, then their chats, at
most CHATS_PER_BATCH a transaction), so the tables are never locked for long while chats flow.

Which chats: see component/retention.py. Feedback rows are not touched: feedback is the site's
inbox, kept until someone deals with it, and its own `chat_number` stays a number never handed
out again (a site's newest chat is never purged).
"""

from __future__ import annotations

from datetime import datetime

from component.models import ChatState, Site
from component.retention import (
    CHATS_PER_BATCH,
    MESSAGES_PER_BATCH,
    PurgeCounts,
    PurgeInterrupted,
    purge_cutoff,
)
from component.storage.database import Database, StorageError, to_db_time

_OPEN_STATES = (ChatState.QUEUED.value, ChatState.ASSIGNED.value)
# FORCE INDEX: (site_id, opened_at, number) is the keyset's order, read up to the cutoff and
# stopped at the LIMIT; left alone, MariaDB scans the PRIMARY KEY and sorts every candidate left
# for each batch.
_PAST = (
    " FROM chats c FORCE INDEX (chats_site_time) WHERE c.site_id = %s AND c.opened_at < %s"
    " AND c.state NOT IN (%s, %s)"
    " AND COALESCE(c.closed_at, c.opened_at) < %s AND c.number < %s"
    " AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.site_id = c.site_id"
    " AND m.chat_number = c.number AND m.at >= %s)"
)
_NEXT_BATCH = (
    f"SELECT c.number, c.opened_at{_PAST}"
    " AND (c.opened_at > %s OR (c.opened_at = %s AND c.number > %s))"
    " ORDER BY c.opened_at, c.number LIMIT %s"
)
_EPOCH = datetime(1970, 1, 1)


class PurgeFailed(StorageError, PurgeInterrupted):
    """The database failed part way through a purge; `counts`: what was deleted before."""


class _Tally:
    """What one purge has deleted so far, statement by statement."""

    def __init__(self, slug: str, days: int) -> None:
        self.counts = PurgeCounts(slug, retention_days=days)

    def add(self, chats: int = 0, messages: int = 0) -> None:
        self.counts += PurgeCounts(self.counts.slug, chats, messages)


class ChatPurge:
    def __init__(
        self,
        db: Database,
        chats_per_batch: int = CHATS_PER_BATCH,
        messages_per_batch: int = MESSAGES_PER_BATCH,
    ) -> None:
        self._db = db
        self._chats_per_batch = chats_per_batch
        self._messages_per_batch = messages_per_batch

    async def purge_site(self, site: Site, now: float, *, dry_run: bool = False) -> PurgeCounts:
        """Delete the site's chats past its retention (with dry_run: count them only).

        PurgeFailed (a StorageError) when the database fails part way, with the counts of what
        was deleted before: those batches are gone whatever happens next."""
        tally = _Tally(site.slug, site.settings.retention_days)
        try:
            await self._purge(site, now, dry_run, tally)
        except StorageError as error:
            raise PurgeFailed(tally.counts, str(error)) from error
        return tally.counts

    async def _purge(self, site: Site, now: float, dry_run: bool, tally: _Tally) -> None:
        cutoff = purge_cutoff(now, site.settings.retention_days)
        if cutoff is None:
            return
        past = await self._past_args(site.id, cutoff)
        if past is None:
            return
        after: tuple[datetime, int] = (_EPOCH, 0)
        while True:  # page by page, the same for a dry run: no query reads the whole archive
            rows = await self._db.fetch_all(
                _NEXT_BATCH, (*past, after[0], after[0], after[1], self._chats_per_batch)
            )
            if not rows:
                return
            numbers = [int(row[0]) for row in rows]
            if dry_run:
                tally.add(len(numbers), await self._count(site, numbers))
            else:
                await self._delete(site, numbers, tally)
            after = (rows[-1][1], numbers[-1])

    async def _past_args(self, site_id: int, cutoff: float) -> tuple[object, ...] | None:
        """The parameters of _PAST; None when the site has no chat at all."""
        rows = await self._db.fetch_all(
            "SELECT MAX(number) FROM chats WHERE site_id = %s", (site_id,)
        )
        newest = rows[0][0]
        if newest is None:
            return None
        at = to_db_time(cutoff)
        return (site_id, at, *_OPEN_STATES, at, int(newest), at)

    async def _count(self, site: Site, numbers: list[int]) -> int:
        listed = ", ".join(["%s"] * len(numbers))
        rows = await self._db.fetch_all(
            f"SELECT COUNT(*) FROM messages WHERE site_id = %s AND chat_number IN ({listed})",
            (site.id, *numbers),
        )
        return int(rows[0][0])

    async def _delete(self, site: Site, numbers: list[int], tally: _Tally) -> None:
        """These chats' messages in short transactions, then the chats and their web rows in one
        (chats over are never written again: closed and offline are final states); each
        statement's count goes into `tally` as soon as it is committed."""
        listed = ", ".join(["%s"] * len(numbers))
        while True:
            deleted = await self._db.execute(
                f"DELETE FROM messages WHERE site_id = %s AND chat_number IN ({listed}) LIMIT %s",
                (site.id, *numbers, self._messages_per_batch),
            )
            tally.add(messages=deleted)
            if deleted < self._messages_per_batch:
                break
        async with self._db.transaction() as cursor:
            await cursor.execute(
                f"DELETE FROM web_chats WHERE site_id = %s AND chat_number IN ({listed})",
                (site.id, *numbers),
            )
            chats = await cursor.execute(
                f"DELETE FROM chats WHERE site_id = %s AND number IN ({listed})"
                " AND state NOT IN (%s, %s)",
                (site.id, *numbers, *_OPEN_STATES),
            )
        tally.add(chats=int(chats))
