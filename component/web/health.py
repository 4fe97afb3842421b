"""What GET /healthz reports: the XMPP stream connected, the database answering `SELECT 1`.

The database's answer is kept for `cache_seconds` and concurrent checks share one ping, so a
load balancer polling hard costs the database at most one round trip a second. No aiohttp here.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class HealthReport:
    xmpp: bool
    database: bool

    @property
    def ok(self) -> bool:
        return self.xmpp and self.database

    def as_json(self) -> dict[str, str]:
        return {"xmpp": _word(self.xmpp), "database": _word(self.database)}


def _word(up: bool) -> str:
    return "up" if up else "down"


class Health:
    """`xmpp_up` is read on every check; `ping_database` raises (or hangs) when it is down."""

    def __init__(
        self,
        xmpp_up: Callable[[], bool],
        ping_database: Callable[[], Awaitable[None]],
        *,
        timeout: float = 2.0,
        cache_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._xmpp_up = xmpp_up
        self._ping = ping_database
        self._timeout = timeout
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._lock = asyncio.Lock()
        self._database: tuple[float, bool] | None = None  # (checked at, up)

    async def report(self) -> HealthReport:
        return HealthReport(xmpp=self._xmpp_up(), database=await self._database_up())

    async def _database_up(self) -> bool:
        async with self._lock:  # later callers find the fresh answer of the first one
            cached = self._database
            if cached is not None and self._clock() - cached[0] < self._cache_seconds:
                return cached[1]
            up = await self._ping_once()
            if cached is not None and cached[1] != up:
                log.log(logging.INFO if up else logging.WARNING, "database: %s", _word(up))
            self._database = (self._clock(), up)
            return up

    async def _ping_once(self) -> bool:
        try:
            async with asyncio.timeout(self._timeout):
                await self._ping()
        except Exception as exc:  # whatever the reason, the answer is "down"
            log.debug("database ping failed: %s", exc)
            return False
        return True
