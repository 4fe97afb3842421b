"""Table notify_requests: the notification API's Idempotency-Keys, per site, with the hash of the
request each was first used for and, once answered, its answer (component/idempotency.py).

`claim` takes a key for a request in one transaction (a row lock), so two requests with one key
at the same moment cannot both be answered: the second finds the first's claim."""

from __future__ import annotations

from typing import Any

from component.idempotency import Seen, StoredRequest, seen
from component.storage.database import Database, from_db_time, to_db_time

_INSERT = (
    "INSERT INTO notify_requests (site_id, idempotency_key, request_hash, answer, created_at)"
    " VALUES (%s, %s, %s, '', %s) ON DUPLICATE KEY UPDATE site_id = site_id"
)
_LOCKED = (
    "SELECT request_hash, answer, created_at FROM notify_requests"
    " WHERE site_id = %s AND idempotency_key = %s FOR UPDATE"
)
_TAKE_OVER = (
    "UPDATE notify_requests SET request_hash = %s, answer = '', created_at = %s"
    " WHERE site_id = %s AND idempotency_key = %s"
)
PURGE_BATCH = 10_000


class NotifyRequestRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def claim(
        self, site_id: int, key: str, request_hash: str, now: float
    ) -> StoredRequest | None:
        """Take `key` for the request with this hash: None when it is this request's now (new,
        expired, or abandoned by an earlier one), else what the key holds (see `seen`)."""
        async with self._db.transaction() as cursor:
            if await cursor.execute(_INSERT, (site_id, key, request_hash, to_db_time(now))) == 1:
                return None  # a new row: affected-rows is 1 (0 for a duplicate left alone)
            await cursor.execute(_LOCKED, (site_id, key))
            stored = _stored(await cursor.fetchone())
            if seen(stored, request_hash, now) is not Seen.NEW:
                return stored
            await cursor.execute(_TAKE_OVER, (request_hash, to_db_time(now), site_id, key))
            return None

    async def complete(self, site_id: int, key: str, answer: str) -> None:
        """The claimed key's request was answered `answer`: a repeat gets the same."""
        await self._db.execute(
            "UPDATE notify_requests SET answer = %s WHERE site_id = %s AND idempotency_key = %s",
            (answer, site_id, key),
        )

    async def release(self, site_id: int, key: str, request_hash: str) -> None:
        """The claimed key's request was refused and sent nothing: the key is free again."""
        await self._db.execute(
            "DELETE FROM notify_requests WHERE site_id = %s AND idempotency_key = %s"
            " AND request_hash = %s AND answer = ''",
            (site_id, key, request_hash),
        )

    async def purge(self, before: float) -> int:
        """Forget keys created before `before` (expired), in batches; how many went."""
        total = 0
        while True:
            gone = await self._db.execute(
                "DELETE FROM notify_requests WHERE created_at < %s LIMIT %s",
                (to_db_time(before), PURGE_BATCH),
            )
            total += gone
            if gone < PURGE_BATCH:
                return total


def _stored(row: Any) -> StoredRequest | None:
    if row is None:
        return None
    return StoredRequest(row[0], row[1], from_db_time(row[2]) or 0.0)
