"""The retention purge inside the running component: first `first_delay` seconds after the
start, then every `interval` seconds, each site's chats past its retention are purged (the same
purge as `helperchat archive purge`), the counts logged and given to the metrics.

What the desk keeps in memory cannot disagree with a purge: only open chats are held (never
purged), a closed web chat's event log lives 10 minutes (the shortest retention is a day), web
tokens are checked in the database, and a site's newest chat stays so numbers are not reused.
Wiring: it awaits; SQL stays in storage/.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from component.models import Site
from component.retention import PurgeCounts, PurgeInterrupted

log = logging.getLogger(__name__)


class SitePurge(Protocol):
    async def purge_site(self, site: Site, now: float, *, dry_run: bool = False) -> PurgeCounts: ...


class PurgeCounter(Protocol):
    def count_purged(self, site: str, chats: int, messages: int) -> None: ...


class RetentionTask:
    def __init__(
        self,
        purge: SitePurge,
        sites: Callable[[], Awaitable[list[Site]]],
        metrics: PurgeCounter,
        clock: Callable[[], float],
        *,
        interval: float,
        first_delay: float,
    ) -> None:
        self._purge = purge
        self._sites = sites
        self._metrics = metrics
        self._clock = clock
        self._interval = interval
        self._first_delay = first_delay
        self._task: asyncio.Task[None] | None = None
        self.runs = 0  # purges done since the start (tests wait for one)

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        """Cancel it, also in the middle of a purge (a cancelled transaction rolls back)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        await asyncio.sleep(self._first_delay)
        while True:
            await self.run_once()
            await asyncio.sleep(self._interval)

    async def run_once(self) -> None:
        """Purge every site with a retention; a failure is logged and the next run tries again."""
        try:
            sites = await self._sites()
        except Exception:
            log.exception("retention purge: the sites could not be read")
            return
        for site in sites:
            if site.settings.retention_days:
                await self._purge_one(site)
        self.runs += 1

    async def _purge_one(self, site: Site) -> None:
        try:
            counts = await self._purge.purge_site(site, self._clock())
        except PurgeInterrupted as error:  # what went before the failure is gone: counted
            self._metrics.count_purged(site.slug, error.counts.chats, error.counts.messages)
            log.exception(
                "retention purge failed part way, %s; the rest at the next run",
                error.counts.line(),
            )
            return
        except Exception:
            log.exception("retention purge of %s failed; tried again at the next run", site.slug)
            return
        self._metrics.count_purged(site.slug, counts.chats, counts.messages)
        log.info("retention purge: %s", counts.line())
