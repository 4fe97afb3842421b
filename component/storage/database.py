"""Connection pool and the few primitives the repositories share (transactions, time conversion)."""

from __future__ import annotations

import asyncio
import logging
import math
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

import aiomysql
import pymysql

from component.archive import RejectedError
from component.config import MysqlConfig

log = logging.getLogger(__name__)

Row = tuple[Any, ...]


T = TypeVar("T")
DEADLOCK = 1213
"""MySQL/MariaDB's "Deadlock found when trying to get lock; try restarting transaction"."""
DEADLOCK_ATTEMPTS = 3


class StorageError(Exception):
    """The database could not do what was asked (unreachable, refused, inconsistent)."""


class RowsRejected(StorageError, RejectedError):
    """The database refused the data itself: retrying the same rows cannot succeed."""


# Server error codes about the values of the rows written: leaving a row out can help. Any other
# error (a missing table or column, no permission, a lock timeout, a deadlock, a lost connection)
# means the database is not ready: the same rows may be written later.
_ROW_ERRORS = frozenset(
    {
        1048,  # column cannot be null
        1062,  # duplicate entry for a unique key
        1263,  # NULL given to a NOT NULL column
        1264,  # out of range value
        1265,  # data truncated
        1292,  # incorrect date, time or number value
        1300,  # invalid character string
        1366,  # incorrect string or integer value
        1367,  # illegal value
        1406,  # data too long for the column
        1452,  # foreign key: no parent row
        1690,  # value out of range in an expression
        3819,  # MySQL: CHECK constraint violated
        4025,  # MariaDB: CONSTRAINT failed
    }
)
_QUOTED_VALUE = re.compile(r"((?:value|entry):? )'.*'( for)", re.DOTALL)


def _is_deadlock(error: StorageError) -> bool:
    args: tuple[Any, ...] = getattr(error.__cause__, "args", ())
    return bool(args) and args[0] == DEADLOCK


def storage_error(exc: pymysql.err.MySQLError) -> StorageError:
    """RowsRejected for an error about the rows' own values, else a StorageError (retry later).

    The message keeps the server's code and column but not the value (it may be a message body).
    """
    code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else 0
    text = str(exc.args[1]) if len(exc.args) > 1 else str(exc)
    text = _QUOTED_VALUE.sub(r"\1'...'\2", text)
    described = f"MySQL error {code}: {text}"
    return RowsRejected(described) if code in _ROW_ERRORS else StorageError(described)


class QueryTimeout(StorageError):
    """No answer in time: the connection was dropped; the database is treated as not ready."""


# Below the idle limits that drop connections silently (server wait_timeout, NAT and firewall idle
# timeouts, often 5 to 15 minutes); aiomysql also drops a connection the server has closed.
POOL_RECYCLE_SECONDS = 300


def to_db_time(value: float | None) -> datetime | None:
    """POSIX seconds -> naive UTC DATETIME(6)."""
    if value is None:
        return None
    return datetime.fromtimestamp(value, UTC).replace(tzinfo=None)


def from_db_time(value: datetime | None) -> float | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC).timestamp()


class Database:
    """A pool of connections; `transaction()` yields a cursor committed or rolled back as a unit.

    A transaction that gets no answer within `query_timeout` seconds (from taking a connection to
    the commit) raises QueryTimeout, and its connection is closed rather than returned to the pool.
    """

    def __init__(self, pool: Any, *, query_timeout: float = 10.0) -> None:
        self._pool = pool
        self._query_timeout = query_timeout

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Any]:
        try:
            async with (
                asyncio.timeout(self._query_timeout),
                self._pool.acquire() as conn,
                _unit_of_work(conn) as cursor,
            ):
                yield cursor
        except TimeoutError as exc:
            raise QueryTimeout(f"no answer within {self._query_timeout:g} s") from exc
        except pymysql.err.MySQLError as exc:
            raise storage_error(exc) from exc
        except OSError as exc:
            raise StorageError(str(exc) or type(exc).__name__) from exc

    async def in_transaction(self, work: Callable[[Any], Awaitable[T]]) -> T:
        """`work(cursor)` in one transaction, run again from the start (at most
        DEADLOCK_ATTEMPTS times) when the server rolled it back as a deadlock's victim, as the
        server asks; any other failure is raised at once."""
        for attempt in range(1, DEADLOCK_ATTEMPTS + 1):
            try:
                async with self.transaction() as cursor:
                    return await work(cursor)
            except StorageError as error:
                if attempt == DEADLOCK_ATTEMPTS or not _is_deadlock(error):
                    raise
                log.info("a transaction was a deadlock's victim; running it again")
        raise AssertionError("unreachable")

    async def fetch_all(self, sql: str, args: Sequence[Any] = ()) -> list[Row]:
        async with self.transaction() as cursor:
            await cursor.execute(sql, args)
            return list(await cursor.fetchall())

    async def execute(self, sql: str, args: Sequence[Any] = ()) -> int:
        async with self.transaction() as cursor:
            return int(await cursor.execute(sql, args))

    async def ping(self) -> None:
        """One cheap round trip (`SELECT 1`); StorageError when the database does not answer."""
        await self.fetch_all("SELECT 1")

    async def close(self) -> None:
        self._pool.close()
        await self._pool.wait_closed()


@asynccontextmanager
async def _unit_of_work(conn: Any) -> AsyncIterator[Any]:
    """Commit on success; roll back after an error the server reported; otherwise (cancelled,
    timed out, network error) close the connection, whose state is unknown, so the pool drops it.
    """
    try:
        async with conn.cursor() as cursor:
            yield cursor
        await conn.commit()
    except (asyncio.CancelledError, OSError):
        conn.close()
        raise
    except BaseException:
        await _rollback_or_close(conn)
        raise


async def open_database(config: MysqlConfig) -> Database:
    """Open the pool. Idle connections older than POOL_RECYCLE_SECONDS are replaced before use."""
    try:
        pool = await aiomysql.create_pool(
            host=config.host,
            port=config.port,
            user=config.user,
            password=config.password,
            db=config.database,
            minsize=1,
            maxsize=config.pool_size,
            charset="utf8mb4",
            autocommit=False,
            connect_timeout=config.connect_timeout,
            pool_recycle=POOL_RECYCLE_SECONDS,
            init_command=_session_settings(config.query_timeout),
        )
    except (pymysql.err.MySQLError, OSError) as exc:
        raise StorageError(
            f"cannot connect to MySQL at {config.host}:{config.port}: {exc}"
        ) from exc
    return Database(pool, query_timeout=config.query_timeout)


def _session_settings(query_timeout: float) -> str:
    """UTC, and lock waits bounded on the server too: a statement whose client gave up after
    `query_timeout` stops waiting for its locks soon after, instead of holding a thread for hours.
    """
    seconds = max(1, math.ceil(query_timeout))
    return (
        f"SET time_zone = '+00:00', lock_wait_timeout = {seconds},"
        f" innodb_lock_wait_timeout = {seconds}"
    )


async def _rollback_or_close(conn: Any) -> None:
    try:
        await conn.rollback()
    except (pymysql.err.MySQLError, OSError):
        conn.close()
    except asyncio.CancelledError:
        conn.close()
        raise
