"""The archive writer over the real MariaDB: values cut to their columns, refused rows, a missing
table, a blocked table and an ambiguous commit: every row stored exactly once, none dropped."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace

import aiomysql
import pytest

from component.archive import ArchiveBatch, ArchiveWriter
from component.models import Chat, ChatState, Message, Notice, Sender, VisitorKind
from component.storage import Database, StorageError, open_database
from component.storage.archive import ArchiveRepository
from tests.integration.helpdesk_fixtures import Desk

BODY = "private body"


async def acme_id(desk: Desk) -> int:
    return int((await desk.rows("SELECT id FROM sites WHERE slug = 'acme'"))[0][0])


def a_chat(site_id: int, number: int = 1, **changes: object) -> Chat:
    chat = Chat(site_id, number, "v@x", VisitorKind.XMPP, "V", ChatState.QUEUED, opened_at=1e9)
    return replace(chat, **changes)


def a_message(site_id: int, seq: int, number: int = 1) -> Message:
    return Message(site_id, number, seq, 1e9 + seq, Sender.VISITOR, "v@x", f"{BODY} {seq}")


def writer_for(repo: ArchiveRepository, write_timeout: float = 10.0) -> ArchiveWriter:
    return ArchiveWriter(
        repo, flush_interval=0.01, batch_size=50, retry_max_delay=0.1, write_timeout=write_timeout
    )


async def stored(desk: Desk, number: int = 1) -> list[tuple[int, str]]:
    return [
        (int(seq), str(body))
        for seq, body in await desk.rows(
            "SELECT seq, body FROM messages WHERE chat_number = %s ORDER BY seq", number
        )
    ]


def bodies_logged_above_debug(caplog: pytest.LogCaptureFixture) -> list[str]:
    messages = [r.getMessage() for r in caplog.records if r.levelno > logging.DEBUG]
    return [m for m in messages if BODY in m]


async def test_overlong_values_are_cut_to_their_columns_and_the_chat_keeps_its_messages(
    desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    site_id = await acme_id(desk)
    chat = a_chat(
        site_id,
        visitor="v" * 4000,
        visitor_name="é" * 3000,
        operator="o" * 300,
        route_reason="ü" * 40000,  # 80,000 bytes for a 65,535-byte TEXT
        lang="x" * 17,  # no language a catalogue has: none (the site's)
        state=ChatState.ASSIGNED,
        assigned_at=1e9 + 1,
    )
    writer = writer_for(ArchiveRepository(desk.db))
    writer.add_chat(chat)
    for seq in range(1, 6):
        writer.add_message(replace(a_message(site_id, seq), author="a" * 4000))
    await asyncio.wait_for(writer.flush(), 30)

    rows = await desk.rows(
        "SELECT CHAR_LENGTH(visitor), visitor_name, operator_jid, OCTET_LENGTH(route_reason),"
        " lang FROM chats WHERE number = 1"
    )
    assert rows == [(3071, "é" * 200, "o" * 255, 65534, "")]
    assert await stored(desk) == [(seq, f"{BODY} {seq}") for seq in range(1, 6)]
    assert await desk.rows("SELECT DISTINCT CHAR_LENGTH(author) FROM messages") == [(3071,)]
    assert bodies_logged_above_debug(caplog) == []


async def test_a_chat_row_the_database_refuses_is_stored_with_placeholders_and_keeps_messages(
    desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await desk.db.execute(
        "ALTER TABLE chats ADD CONSTRAINT no_refused_names CHECK (visitor_name <> 'refuse me')"
    )
    site_id = await acme_id(desk)
    writer = writer_for(ArchiveRepository(desk.db))
    writer.add_chat(a_chat(site_id, 1, visitor_name="refuse me"))
    writer.add_chat(a_chat(site_id, 2, visitor_name="fine"))
    for seq in range(1, 4):
        writer.add_message(a_message(site_id, seq, number=1))
        writer.add_message(a_message(site_id, seq, number=2))
    await asyncio.wait_for(writer.flush(), 30)

    chats = await desk.rows("SELECT number, visitor, state FROM chats ORDER BY number")
    assert chats == [(1, "v@x", "queued"), (2, "v@x", "queued")]
    assert (await desk.rows("SELECT visitor_name FROM chats WHERE number = 2")) == [("fine",)]
    for number in (1, 2):
        assert await stored(desk, number) == [(seq, f"{BODY} {seq}") for seq in range(1, 4)]
    assert bodies_logged_above_debug(caplog) == []
    assert any("site" in r.getMessage() and "chat 1" in r.getMessage() for r in caplog.records)


async def test_text_that_is_not_valid_unicode_is_stored_with_replacement_marks(desk: Desk) -> None:
    site_id = await acme_id(desk)
    writer = writer_for(ArchiveRepository(desk.db))
    writer.add_chat(a_chat(site_id, visitor_name="half \ud800 a pair"))
    writer.add_message(replace(a_message(site_id, 1), body="lone \udc80 surrogate"))
    await asyncio.wait_for(writer.flush(), 30)
    assert await desk.rows("SELECT visitor_name FROM chats") == [("half ? a pair",)]
    assert await stored(desk) == [(1, "lone ? surrogate")]


async def test_rows_wait_for_a_missing_table_and_are_stored_once_it_is_back(desk: Desk) -> None:
    site_id = await acme_id(desk)
    writer = writer_for(ArchiveRepository(desk.db))
    writer.add_chat(a_chat(site_id))
    writer.add_message(a_message(site_id, 1))
    await writer.flush()
    await desk.db.execute("RENAME TABLE messages TO messages_away")
    writer.start()
    try:
        for seq in range(2, 21):
            writer.add_message(a_message(site_id, seq))
        writer.add_chat(a_chat(site_id, state=ChatState.CLOSED, closed_at=1e9 + 30))
        await desk.wait_for(lambda: writer.failures >= 2, timeout=10)
        assert writer.backlog == 20
    finally:
        await desk.db.execute("RENAME TABLE messages_away TO messages")
    await asyncio.wait_for(writer.flush(), 30)
    await writer.close()
    assert await stored(desk) == [(seq, f"{BODY} {seq}") for seq in range(1, 21)]
    assert await desk.rows("SELECT state FROM chats") == [("closed",)]


@asynccontextmanager
async def table_locked(desk: Desk, table: str) -> AsyncIterator[None]:
    """Another session holds `LOCK TABLES <table> WRITE` until the block ends."""
    mysql = desk.config.mysql
    conn = await aiomysql.connect(
        host=mysql.host,
        port=mysql.port,
        user=mysql.user,
        password=mysql.password,
        db=mysql.database,
    )
    try:
        async with conn.cursor() as cursor:
            await cursor.execute(f"LOCK TABLES {table} WRITE")
        yield
        async with conn.cursor() as cursor:
            await cursor.execute("UNLOCK TABLES")
    finally:
        conn.close()


async def test_a_blocked_write_times_out_keeps_its_rows_and_stores_them_once_unblocked(
    desk: Desk,
) -> None:
    db: Database = await open_database(replace(desk.config.mysql, query_timeout=0.5))
    site_id = await acme_id(desk)
    writer = writer_for(ArchiveRepository(db), write_timeout=30.0)
    try:
        lock_waits = "SELECT @@lock_wait_timeout, @@innodb_lock_wait_timeout"
        assert await db.fetch_all(lock_waits) == [(1, 1)]  # abandoned statements end soon
        async with table_locked(desk, "messages"):
            writer.start()
            writer.add_chat(a_chat(site_id))
            for seq in range(1, 11):
                writer.add_message(a_message(site_id, seq))
            await desk.wait_for(lambda: writer.failures >= 2, timeout=10)
            assert writer.backlog == 11
        await asyncio.wait_for(writer.flush(), 30)
        await writer.close()
    finally:
        await db.close()
    assert await stored(desk) == [(seq, f"{BODY} {seq}") for seq in range(1, 11)]


class CommitsThenFails(ArchiveRepository):
    """Commits the first `failures` batches for real, then reports a lost connection; rows added
    by `meanwhile` arrive while the first commit is in doubt."""

    def __init__(self, db: Database, failures: int) -> None:
        super().__init__(db)
        self.failures = failures
        self.batches: list[ArchiveBatch] = []
        self.meanwhile: list[Callable[[], None]] = []

    async def write_batch(self, batch: ArchiveBatch) -> None:
        await super().write_batch(batch)
        self.batches.append(batch)
        if self.failures:
            self.failures -= 1
            if self.meanwhile:
                self.meanwhile.pop()()
            raise StorageError("lost the connection during commit")


async def test_a_batch_committed_but_reported_failed_is_stored_exactly_once(desk: Desk) -> None:
    site_id = await acme_id(desk)
    repo = CommitsThenFails(desk.db, failures=2)
    writer = writer_for(repo)

    def newer_rows() -> None:
        writer.add_chat(a_chat(site_id, state=ChatState.CLOSED, closed_at=1e9 + 9))
        for seq in range(6, 11):
            writer.add_message(a_message(site_id, seq))

    repo.meanwhile.append(newer_rows)
    writer.add_chat(a_chat(site_id))
    for seq in range(1, 6):
        writer.add_message(a_message(site_id, seq))
    await asyncio.wait_for(writer.flush(), 30)

    assert len(repo.batches) == 3  # committed three times, reported failed twice
    retried = repo.batches[1]
    assert [m.seq for m in retried.messages] == list(range(1, 11))
    assert [c.state for c in retried.chats] == [ChatState.CLOSED]
    assert await stored(desk) == [(seq, f"{BODY} {seq}") for seq in range(1, 11)]
    assert await desk.rows("SELECT state FROM chats") == [("closed",)]
    assert writer.backlog == 0


async def test_a_web_chats_history_is_what_its_visitor_was_shown_newest_last(desk: Desk) -> None:
    site_id = await acme_id(desk)
    repo = ArchiveRepository(desk.db)
    system = Sender.SYSTEM
    rows = [
        a_message(site_id, 1),
        Message(site_id, 1, 2, 1e9 + 2, system, "acme@d", "Assigned", Notice.ASSIGNED, "Zoë"),
        Message(site_id, 1, 3, 1e9 + 3, system, "acme@d", "note", Notice.NONE),
        Message(site_id, 1, 4, 1e9 + 4, system, "acme@d", "You are 2", Notice.QUEUE, "2"),
        Message(site_id, 1, 5, 1e9 + 5, system, "acme@d", "Now Zoë", Notice.NEW_OPERATOR),
        Message(site_id, 1, 6, 1e9 + 6, Sender.OPERATOR, "zoe@x", "hello", Notice.NONE),
        Message(site_id, 1, 7, 1e9 + 7, system, "zoe@x", "closed by Zoë", Notice.NONE),
    ]
    closed = a_chat(site_id, state=ChatState.CLOSED, closed_at=1e9 + 8)
    await repo.write_batch(ArchiveBatch(chats=(closed,), messages=tuple(rows)))
    history = await repo.web_history(site_id, 1, 500)
    assert history.shown == [rows[0], rows[1], rows[3], rows[5]]  # notices kept as stored
    assert (history.last_seq, history.closed_at) == (7, 1e9 + 8)
    newest = await repo.web_history(site_id, 1, 2)
    assert [m.seq for m in newest.shown] == [4, 6]
    assert (await repo.web_history(site_id, 99, 500)).shown == []
