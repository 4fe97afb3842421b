"""Database over a fake aiomysql pool: errors that refuse rows, errors that mean "not ready",
timeouts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from pymysql import err

from component.archive import RejectedError
from component.storage import Database, StorageError


class FakeConnection:
    """Raises `error` or never answers (`hang`) on execute, like a broken server or network."""

    def __init__(self, error: Exception | None = None, hang: bool = False) -> None:
        self.error, self.hang = error, hang
        self.closed = False
        self.commits = self.rollbacks = 0

    @asynccontextmanager
    async def cursor(self) -> AsyncIterator[FakeConnection]:
        yield self

    async def execute(self, sql: str, args: Any = ()) -> int:
        if self.hang:
            await asyncio.Event().wait()
        if self.error is not None:
            raise self.error
        return 1

    async def commit(self) -> None:
        self.commits += 1

    async def rollback(self) -> None:
        if self.hang:
            await asyncio.Event().wait()
        self.rollbacks += 1

    def close(self) -> None:
        self.closed = True


class FakePool:
    """Hands out the given connections in turn; a released connection returns unless closed."""

    def __init__(self, *connections: FakeConnection) -> None:
        self.fresh = list(connections)
        self.free: list[FakeConnection] = []

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[FakeConnection]:
        conn = self.free.pop() if self.free else self.fresh.pop(0)
        try:
            yield conn
        finally:
            if not conn.closed:
                self.free.append(conn)


def server_error(code: int, message: str) -> Exception:
    """The exception pymysql raises for this server error code."""
    return err.error_map.get(code, err.InternalError)(code, message)


@pytest.mark.parametrize(
    ("code", "message", "rejected"),
    [
        (1406, "Data too long for column 'visitor_name' at row 1", True),
        (1366, "Incorrect string value: '\\xF0' for column `body` at row 1", True),
        (1264, "Out of range value for column 'seq' at row 1", True),
        (1292, "Incorrect datetime value: '0000' for column `at` at row 1", True),
        (1048, "Column 'body' cannot be null", True),
        (1452, "Cannot add or update a child row: a foreign key constraint fails", True),
        (4025, "CONSTRAINT `x` failed for `chats`", True),
        (1146, "Table 'hc.messages' doesn't exist", False),
        (1054, "Unknown column 'body' in 'field list'", False),
        (1142, "INSERT command denied to user", False),
        (1205, "Lock wait timeout exceeded; try restarting transaction", False),
        (1213, "Deadlock found when trying to get lock", False),
        (1064, "You have an error in your SQL syntax", False),
        (2003, "Can't connect to MySQL server", False),
        (2006, "MySQL server has gone away", False),
        (2013, "Lost connection to MySQL server during query", False),
    ],
)
async def test_only_errors_about_a_rows_own_values_refuse_the_rows(
    code: int, message: str, rejected: bool
) -> None:
    conn = FakeConnection(server_error(code, message))
    with pytest.raises(StorageError) as caught:
        await Database(FakePool(conn)).execute("INSERT INTO t VALUES (%s)", ("x",))
    assert isinstance(caught.value, RejectedError) is rejected


async def test_a_lost_client_connection_does_not_refuse_the_rows() -> None:
    conn = FakeConnection(err.InterfaceError(0, ""))
    with pytest.raises(StorageError) as caught:
        await Database(FakePool(conn)).execute("INSERT INTO t VALUES (%s)", ("x",))
    assert not isinstance(caught.value, RejectedError)


@pytest.mark.parametrize(
    ("code", "message", "named"),
    [
        (1366, "Incorrect string value: '\\xF0 secret' for column `body` at row 1", "`body`"),
        (1062, "Duplicate entry 'secret' for key 'PRIMARY'", "'PRIMARY'"),
    ],
)
async def test_a_refusal_names_the_column_but_not_the_value(
    code: int, message: str, named: str
) -> None:
    conn = FakeConnection(server_error(code, message))
    with pytest.raises(RejectedError) as caught:
        await Database(FakePool(conn)).execute("INSERT INTO t VALUES (%s)", ("x",))
    assert str(code) in str(caught.value) and named in str(caught.value)
    assert "secret" not in str(caught.value) and "F0" not in str(caught.value)


async def test_a_query_without_answer_times_out_and_its_connection_is_discarded() -> None:
    hung, healthy = FakeConnection(hang=True), FakeConnection()
    pool = FakePool(hung, healthy)
    db = Database(pool, query_timeout=0.05)
    with pytest.raises(StorageError) as caught:
        await asyncio.wait_for(db.execute("INSERT INTO t VALUES (1)"), 5)
    assert not isinstance(caught.value, RejectedError)
    assert hung.closed and hung not in pool.free
    assert await db.execute("INSERT INTO t VALUES (1)") == 1
    assert pool.free == [healthy]


async def test_a_transaction_cancelled_from_outside_discards_its_connection() -> None:
    hung = FakeConnection(hang=True)
    pool = FakePool(hung)

    async def attempt() -> None:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.05):
                await Database(pool).execute("INSERT INTO t VALUES (1)")

    await asyncio.wait_for(attempt(), 5)
    assert hung.closed and pool.free == []
