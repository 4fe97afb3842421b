"""Connection pool and the few primitives the repositories share (transactions, time conversion)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import aiomysql
import pymysql

from component.archive import RejectedError
from component.config import MysqlConfig

log = logging.getLogger(__name__)

Row = tuple[Any, ...]


class StorageError(Exception):
    """The database could not do what was asked (unreachable, refused, inconsistent)."""


class RowsRejected(StorageError, RejectedError):
    """The database refused the data itself: retrying the same rows cannot succeed."""


_REJECTIONS = (
    pymysql.err.DataError,
    pymysql.err.IntegrityError,
    pymysql.err.ProgrammingError,
    pymysql.err.NotSupportedError,
)


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
    """A pool of connections; `transaction()` yields a cursor committed or rolled back as a unit."""

    def __init__(self, pool: Any) -> None:
        self._pool = pool

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Any]:
        try:
            async with self._pool.acquire() as conn:
                try:
                    async with conn.cursor() as cursor:
                        yield cursor
                    await conn.commit()
                except BaseException:
                    await _rollback_quietly(conn)
                    raise
        except _REJECTIONS as exc:
            raise RowsRejected(str(exc)) from exc
        except (pymysql.err.MySQLError, OSError) as exc:
            raise StorageError(str(exc)) from exc

    async def fetch_all(self, sql: str, args: Sequence[Any] = ()) -> list[Row]:
        async with self.transaction() as cursor:
            await cursor.execute(sql, args)
            return list(await cursor.fetchall())

    async def execute(self, sql: str, args: Sequence[Any] = ()) -> int:
        async with self.transaction() as cursor:
            return int(await cursor.execute(sql, args))

    async def close(self) -> None:
        self._pool.close()
        await self._pool.wait_closed()


async def open_database(config: MysqlConfig) -> Database:
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
            pool_recycle=300,
            init_command="SET time_zone = '+00:00'",
        )
    except (pymysql.err.MySQLError, OSError) as exc:
        raise StorageError(
            f"cannot connect to MySQL at {config.host}:{config.port}: {exc}"
        ) from exc
    return Database(pool)


async def _rollback_quietly(conn: Any) -> None:
    try:
        await conn.rollback()
    except (pymysql.err.MySQLError, OSError):
        conn.close()
