"""The latest page of a web chat, saved so that a restart gives it back to the visitor's card.

One `PageSaver` per live WebSocket: it writes at most one page per SAVE_SECONDS, and the latest
unsaved one when the socket ends, so a burst of `page` frames costs one or two writes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

log = logging.getLogger(__name__)

SAVE_SECONDS = 10.0


class PageStore(Protocol):
    async def set_page(self, site_id: int, number: int, page: str, title: str) -> None: ...


class PageSaver:
    def __init__(
        self, store: PageStore, site_id: int, number: int, clock: Callable[[], float]
    ) -> None:
        self._store, self._key, self._clock = store, (site_id, number), clock
        self._saved_at: float | None = None
        self._unsaved: tuple[str, str] | None = None

    async def saw(self, page: tuple[str, str]) -> None:
        """The chat's card now has `page` (URL, title): saved now, or kept for the next write."""
        self._unsaved = page
        now = self._clock()
        if self._saved_at is None or now >= self._saved_at + SAVE_SECONDS:
            self._saved_at = now
            await self.flush()

    async def flush(self) -> None:
        """Save the latest page if it is not saved yet; a failure is logged, not raised."""
        page, self._unsaved = self._unsaved, None
        if page is None:
            return
        try:
            await self._store.set_page(*self._key, *page)
        except Exception:
            log.warning("the latest page of a web chat could not be saved", exc_info=True)
