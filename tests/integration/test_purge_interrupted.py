"""A retention purge that fails part way, on the real MariaDB: the batches deleted before the
failure are gone for good, so they are counted (in /metrics through the periodic task's counter,
in its log line, and on the command line's output) rather than dropped with the error."""

from __future__ import annotations

import argparse
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from component.archive_admin import run_archive_command
from component.retention_task import RetentionTask
from component.storage.database import Database, StorageError
from component.storage.purge import ChatPurge
from tests.integration.helpdesk_fixtures import Desk
from tests.integration.retention_fixtures import add_site, numbers, seed_chat

pytestmark = pytest.mark.integration


class FailingBatch(Database):
    """The real database, whose `fail_at`-th transaction (that batch's chats) fails; the
    messages of that batch went before it, in statements of their own."""

    def __init__(self, real: Database, fail_at: int = 2) -> None:
        self._real = real
        self._fail_at = fail_at
        self.transactions = 0

    async def fetch_all(self, sql: str, args: Any = ()) -> list[tuple[Any, ...]]:
        return await self._real.fetch_all(sql, args)

    async def execute(self, sql: str, args: Any = ()) -> int:
        return await self._real.execute(sql, args)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Any]:
        self.transactions += 1
        if self.transactions == self._fail_at:
            raise StorageError("MySQL error 2013: Lost connection to server during query")
        async with self._real.transaction() as cursor:
            yield cursor


class Counter:
    def __init__(self) -> None:
        self.counted: list[tuple[str, int, int]] = []

    def count_purged(self, site: str, chats: int, messages: int) -> None:
        self.counted.append((site, chats, messages))


async def seed(desk: Desk) -> int:
    acme = await add_site(desk, "acme", 1)
    for number in range(1, 6):
        await seed_chat(desk, acme, number, age_days=100)
    return acme


async def test_the_periodic_purge_counts_what_it_deleted_before_failing(
    desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    acme = await seed(desk)
    counter = Counter()

    async def sites() -> list[Any]:
        return [await desk.admin.show_site("acme")]

    purge = ChatPurge(FailingBatch(desk.db), chats_per_batch=2)
    task = RetentionTask(purge, sites, counter, time.time, interval=3600, first_delay=3600)
    await task.run_once()
    assert await numbers(desk, acme) == [3, 4, 5], "the first batch is deleted"
    left = await desk.rows("SELECT chat_number, COUNT(*) FROM messages GROUP BY chat_number")
    assert left == [(5, 3)], "and the second batch's messages"
    assert counter.counted == [("acme", 2, 12)], "what was deleted is counted"
    assert "acme: purged 2 chats and 12 messages (retention 1 days)" in caplog.text
    assert "failed" in caplog.text and "Lost connection" in caplog.text
    await task.run_once()  # the next run finishes the job
    assert await numbers(desk, acme) == [5]
    assert counter.counted[1:] == [("acme", 2, 0)]


async def test_the_command_line_prints_what_it_purged_before_failing(
    desk: Desk, capsys: pytest.CaptureFixture[str]
) -> None:
    await seed(desk)
    args = argparse.Namespace(action="purge", slug="acme", dry_run=False)
    with pytest.raises(StorageError, match="Lost connection"):
        await run_archive_command(args, FailingBatch(desk.db, fail_at=1), desk.config)
    assert capsys.readouterr().out == "acme: purged 0 chats and 12 messages (retention 1 days)\n"
