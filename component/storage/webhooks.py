"""Webhooks (table `webhooks`): added, listed with their deliveries' state, removed, and read for
the running component. Every statement names the site: one site never sees another's webhooks.

A removed webhook stays as a row without its secret (`removed_at` set): its number is never given
again, and a delivery the running component made before it heard of the removal still has its
parent (it is not sent, and deleted, by the drainer)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pymysql

from component.storage.database import Database, Row, StorageError, from_db_time, to_db_time
from component.storage.directory import NotFoundError
from component.webhook_events import EVENTS, WebhookTarget, events_of, stored_events

_NEXT_NUMBER = (
    "INSERT INTO webhooks (site_id, number, url, secret, events, created_at)"
    " SELECT %s, COALESCE(MAX(number), 0) + 1, %s, %s, %s, %s FROM webhooks WHERE site_id = %s"
)
_LIST = (
    "SELECT w.number, w.url, w.events, w.created_at,"
    " (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.site_id = w.site_id"
    "  AND d.webhook_number = w.number AND d.delivered_at IS NULL AND d.failed_at IS NULL),"
    " (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.site_id = w.site_id"
    "  AND d.webhook_number = w.number AND d.failed_at IS NOT NULL)"
    " FROM webhooks w WHERE w.site_id = %s AND w.removed_at IS NULL ORDER BY w.number"
)
_LAST_ERROR = (
    "SELECT last_status, last_attempt_at FROM webhook_deliveries"
    " WHERE site_id = %s AND webhook_number = %s AND delivered_at IS NULL"
    " AND last_attempt_at IS NOT NULL ORDER BY last_attempt_at DESC LIMIT 1"
)
_REMOVE = (
    "UPDATE webhooks SET removed_at = %s, secret = ''"
    " WHERE site_id = %s AND number = %s AND removed_at IS NULL"
)
_PENDING = (
    "SELECT COUNT(*) FROM webhook_deliveries WHERE site_id = %s AND webhook_number = %s"
    " AND delivered_at IS NULL AND failed_at IS NULL"
)


@dataclass(frozen=True, slots=True)
class WebhookSummary:
    """One webhook as `webhook list` shows it (never its secret): how many deliveries wait and
    failed for good, and the last error of one not delivered (status text and when)."""

    number: int
    url: str
    events: tuple[str, ...]
    created_at: float
    pending: int
    failed: int
    last_error: tuple[str, float] | None


class WebhookRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add_webhook(
        self, site_id: int, url: str, secret: str, events: tuple[str, ...]
    ) -> int:
        """Store a webhook as the site's next number; its number."""
        try:
            return await self._insert(site_id, url, secret, events)
        except StorageError as exc:
            if not isinstance(exc.__cause__, pymysql.err.IntegrityError):
                raise
        return await self._insert(site_id, url, secret, events)  # another add took the number

    async def _insert(self, site_id: int, url: str, secret: str, events: tuple[str, ...]) -> int:
        now = to_db_time(time.time())
        async with self._db.transaction() as cursor:
            args = (site_id, url, secret, stored_events(events), now, site_id)
            await cursor.execute(_NEXT_NUMBER, args)
            await cursor.execute("SELECT MAX(number) FROM webhooks WHERE site_id = %s", (site_id,))
            (number,) = await cursor.fetchone()
        return int(number)

    async def list_webhooks(self, site_id: int) -> list[WebhookSummary]:
        rows = await self._db.fetch_all(_LIST, (site_id,))
        return [await self._summary(site_id, row) for row in rows]

    async def _summary(self, site_id: int, row: Row) -> WebhookSummary:
        number, url, events, created, pending, failed = row
        errors = await self._db.fetch_all(_LAST_ERROR, (site_id, number))
        last_error = (str(errors[0][0]), from_db_time(errors[0][1]) or 0.0) if errors else None
        named = events_of(str(events))
        return WebhookSummary(
            int(number),
            str(url),
            tuple(event for event in EVENTS if event in named),
            from_db_time(created) or 0.0,
            int(pending),
            int(failed),
            last_error,
        )

    async def remove_webhook(self, site_id: int, number: int) -> int:
        """Remove the site's webhook `number` (its secret forgotten) with its deliveries; how
        many were still pending. NotFoundError when the site has no such webhook."""
        async with self._db.transaction() as cursor:
            removed = await cursor.execute(_REMOVE, (to_db_time(time.time()), site_id, number))
            if not removed:
                raise NotFoundError(f"no webhook {number} at this site")
            await cursor.execute(_PENDING, (site_id, number))
            (pending,) = await cursor.fetchone()
            await cursor.execute(
                "DELETE FROM webhook_deliveries WHERE site_id = %s AND webhook_number = %s",
                (site_id, number),
            )
        return int(pending)

    async def all_targets(self) -> list[WebhookTarget]:
        """Every webhook of every site with its events, for the running component."""
        rows = await self._db.fetch_all(
            "SELECT site_id, number, events FROM webhooks WHERE removed_at IS NULL"
        )
        return [WebhookTarget(int(s), int(n), events_of(str(e))) for s, n, e in rows]
