"""Webhook deliveries (table `webhook_deliveries`) for the drainer: which are due, what came of
each attempt, the backlog, those whose retry window is over, and old ones purged. The rows
themselves are written by the archive writer (storage/records.py), before any attempt."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from itertools import groupby
from typing import Any

from component.deliveries import AttemptResult, DueDelivery, Outcome
from component.storage.columns import fit_chars
from component.storage.database import Database, Row, from_db_time, to_db_time
from component.webhook_events import OPERATOR_OFFLINE, OPERATOR_ONLINE

STATUS_CHARS = 200  # webhook_deliveries.last_status
_PENDING = "d.delivered_at IS NULL AND d.failed_at IS NULL"
_DUE = (  # alone, not joined with webhooks: then it reads the due index in order (no filesort)
    "SELECT d.id, d.delivery_id, d.site_id, d.webhook_number, d.event, d.body, d.created_at,"
    f" d.attempts FROM webhook_deliveries d WHERE {_PENDING} AND d.next_attempt_at <= %s"
)
_WEBHOOKS = "SELECT site_id, number, url, secret FROM webhooks WHERE removed_at IS NULL AND"
_DELIVERED = (
    "UPDATE webhook_deliveries SET delivered_at = %s, last_attempt_at = %s, last_status = %s,"
    " attempts = attempts + 1 WHERE delivered_at IS NULL AND failed_at IS NULL AND id IN "
)
_RETRY = (
    "UPDATE webhook_deliveries SET attempts = %s, next_attempt_at = %s, last_attempt_at = %s,"
    " last_status = %s WHERE id = %s AND delivered_at IS NULL AND failed_at IS NULL"
)
_FAILED = (
    "UPDATE webhook_deliveries SET attempts = %s, failed_at = %s, last_attempt_at = %s,"
    " last_status = %s WHERE id = %s AND delivered_at IS NULL AND failed_at IS NULL"
)
_OF_REMOVED = (
    "DELETE d FROM webhook_deliveries d JOIN webhooks w"
    " ON w.site_id = d.site_id AND w.number = d.webhook_number WHERE w.removed_at IS NOT NULL"
)
_LAST_OPERATOR_EVENTS = (
    "SELECT d.site_id, JSON_EXTRACT(d.body, '$.data.operator.id'), d.event"
    " FROM webhook_deliveries d JOIN (SELECT MAX(id) AS id FROM webhook_deliveries"
    "  WHERE event IN (%s, %s) GROUP BY site_id, JSON_EXTRACT(body, '$.data.operator.id')) last"
    " ON last.id = d.id"
)


class DeliveryRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def due(
        self,
        now: float,
        limit: int,
        busy: Collection[int] = (),
        blocked: Collection[tuple[int, int]] = (),
    ) -> list[DueDelivery]:
        """Deliveries due by `now`, oldest due first, but for the rows in `busy` (in the
        drainer's hands) and the webhooks in `blocked` ((site id, number): their receiver
        waits or is full); those of removed webhooks are left out (the purge deletes them)."""
        sql = _DUE
        if busy:
            sql += f" AND d.id NOT IN ({_numbers(busy)})"
        if blocked:
            pairs = ", ".join(f"({_numbers(pair)})" for pair in blocked)
            sql += f" AND (d.site_id, d.webhook_number) NOT IN ({pairs})"
        async with self._db.transaction() as cursor:
            sql += " ORDER BY d.next_attempt_at, d.id LIMIT %s"
            await cursor.execute(sql, (to_db_time(now), limit))
            rows = list(await cursor.fetchall())
            webhooks = {(int(r[2]), int(r[3])) for r in rows}
            targets = await _targets(cursor, webhooks) if webhooks else {}
        found = ((row, targets.get((int(row[2]), int(row[3])))) for row in rows)
        return [_due(row, *target) for row, target in found if target is not None]

    async def save(self, results: Sequence[AttemptResult]) -> None:
        """Store what came of these attempts, in one transaction (a row removed meanwhile, with
        its webhook, is left alone)."""
        delivered = sorted((r for r in results if r.outcome is Outcome.DELIVERED), key=_status)
        async with self._db.transaction() as cursor:
            for status, group in groupby(delivered, key=_status):
                taken = list(group)
                at = to_db_time(max(r.at for r in taken))
                ids = _numbers(r.row_id for r in taken)
                await cursor.execute(f"{_DELIVERED}({ids})", (at, at, status))
            for outcome, sql in ((Outcome.RETRY, _RETRY), (Outcome.FAILED, _FAILED)):
                rows = [_attempt_row(r) for r in results if r.outcome is outcome]
                if rows:
                    await cursor.executemany(sql, rows)

    async def backlog(self) -> int:
        """Deliveries neither delivered nor failed."""
        rows = await self._db.fetch_all(
            f"SELECT COUNT(*) FROM webhook_deliveries d WHERE {_PENDING}"
        )
        return int(rows[0][0])

    async def expire(self, made_before: float, now: float, busy: Collection[int] = ()) -> int:
        """Mark failed the pending deliveries made before `made_before` (their retry window is
        over; their receiver was unreachable), but for the rows in `busy`; how many."""
        sql = (
            "UPDATE webhook_deliveries d SET d.failed_at = %s"
            f" WHERE {_PENDING} AND d.created_at < %s"
        )
        args: list[Any] = [to_db_time(now), to_db_time(made_before)]
        if busy:
            sql += f" AND d.id NOT IN ({_numbers(busy)})"
        return await self._db.execute(sql, args)

    async def purge(self, before: float | None, limit: int) -> int:
        """Delete the deliveries of removed webhooks (made while they were being removed), and
        up to `limit` delivered or failed before `before` (None: keep those); how many."""
        removed = await self._db.execute(_OF_REMOVED)
        if before is None:
            return removed
        at = to_db_time(before)
        return removed + await self._db.execute(
            "DELETE FROM webhook_deliveries WHERE delivered_at < %s OR failed_at < %s LIMIT %s",
            (at, at, limit),
        )

    async def last_operator_events(self) -> dict[tuple[int, int], bool]:
        """For each (site id, operator id), whether the operator event last queued said online
        (what the debouncing of operator events starts from after a restart)."""
        rows = await self._db.fetch_all(_LAST_OPERATOR_EVENTS, (OPERATOR_ONLINE, OPERATOR_OFFLINE))
        last: dict[tuple[int, int], bool] = {}
        for site_id, operator_id, event in rows:
            try:
                last[(int(site_id), int(json.loads(operator_id)))] = event == OPERATOR_ONLINE
            except (TypeError, ValueError):
                continue  # a body without an operator id: nothing to start from
        return last


async def _targets(cursor: Any, webhooks: set[tuple[int, int]]) -> dict[tuple[int, int], Row]:
    """URL and secret of each of these webhooks that is not removed."""
    pairs = ", ".join(["(%s, %s)"] * len(webhooks))
    await cursor.execute(
        f"{_WEBHOOKS} (site_id, number) IN ({pairs})", [v for pair in webhooks for v in pair]
    )
    return {
        (int(s), int(n)): (str(url), str(secret)) for s, n, url, secret in await cursor.fetchall()
    }


def _numbers(values: Iterable[int]) -> str:
    """Integers as SQL text (int() makes sure nothing else gets in): long id lists cost the
    driver's escaping more than the query."""
    return ", ".join(str(int(value)) for value in values)


def _due(row: Row, url: str, secret: str) -> DueDelivery:
    row_id, delivery_id, site_id, number, event, body, created, attempts = row
    return DueDelivery(
        int(row_id),
        str(delivery_id),
        int(site_id),
        int(number),
        str(event),
        str(body),
        from_db_time(created) or 0.0,
        int(attempts),
        str(url),
        str(secret),
    )


def _status(result: AttemptResult) -> str:
    return fit_chars(result.status, STATUS_CHARS)


def _attempt_row(result: AttemptResult) -> tuple[Any, ...]:
    at = to_db_time(result.at)
    if result.outcome is Outcome.RETRY:
        return (
            result.attempts,
            to_db_time(result.next_attempt_at),
            at,
            _status(result),
            result.row_id,
        )
    return (result.attempts, at, at, _status(result), result.row_id)
