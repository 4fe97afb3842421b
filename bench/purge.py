"""The retention purge on a big archive while chats flow, in one run on a throwaway MariaDB.

Fills site acme with CHATS closed chats 60 days old, MESSAGES messages each (batched inserts),
plus the same number of messages in chats kept; then a writer stores new chats the way the
archive writer does (one batch every 50 ms: a chat row and a few messages) for a few seconds
alone, and again during `ChatPurge.purge_site` of the old chats. Shows the purge's rate and the
writer's batch latency (p50, p95, max) without and with the purge running; then the same
archive again deleted the naive way, one `DELETE FROM chats` (cascading to the messages) in one
transaction, with the writer running, for comparison. Before the purge, the whole archive is
read as `helperchat archive export` reads it (rows per second).

    python bench/purge.py [--quick] [--chats 20000] [--messages 10]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from component.admin import Admin
from component.archive import ArchiveBatch
from component.archive_export import jsonl_line
from component.config import MysqlConfig
from component.models import Chat, ChatState, Message, Sender, VisitorKind
from component.storage import Database, open_database
from component.storage.archive import ArchiveRepository
from component.storage.database import to_db_time
from component.storage.directory import DirectoryRepository
from component.storage.export import ArchiveExport
from component.storage.purge import ChatPurge
from component.storage.schema import init_schema
from component.xmpp.jids import normalize_bare_jid
from devstack import MariaDB

DAY = 86_400.0
WRITER_PAUSE = 0.05


async def fill(db: Database, site: int, chats: int, messages: int, first: int, age: float) -> None:
    """`chats` closed chats numbered from `first`, `age` seconds old, by multi-row inserts."""
    opened = time.time() - age
    for start in range(first, first + chats, 1000):
        numbers = range(start, min(start + 1000, first + chats))
        chat_rows = [
            (site, n, f"v{n}@example.org", "xmpp", f"Visitor {n}", "closed", to_db_time(opened),
             to_db_time(opened + 600), "bench")
            for n in numbers
        ]  # fmt: skip
        message_rows = [
            (site, n, seq, to_db_time(opened + seq), "visitor", f"v{n}@example.org",
             f"words of chat {n}, line {seq}: " + "lorem ipsum " * 8)
            for n in numbers
            for seq in range(1, messages + 1)
        ]  # fmt: skip
        async with db.transaction() as cursor:
            await cursor.executemany(
                "INSERT INTO chats (site_id, number, visitor, visitor_kind, visitor_name, state,"
                " opened_at, closed_at, route_reason) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                chat_rows,
            )
            await cursor.executemany(
                "INSERT INTO messages (site_id, chat_number, seq, at, sender, author, body)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s)",
                message_rows,
            )


class Writer:
    """New chats stored as the archive writer stores them, timing each batch."""

    def __init__(self, db: Database, site: int, first: int) -> None:
        self.archive = ArchiveRepository(db)
        self.site, self.number = site, first
        self.latencies: list[float] = []

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.number += 1
            now = time.time()
            chat = Chat(self.site, self.number, "n@x", VisitorKind.XMPP, "New", ChatState.QUEUED,
                        now)  # fmt: skip
            lines = tuple(
                Message(self.site, self.number, seq, now, Sender.VISITOR, "n@x", "hello")
                for seq in range(1, 4)
            )
            started = time.perf_counter()
            await self.archive.write_batch(ArchiveBatch((chat,), lines))
            self.latencies.append(time.perf_counter() - started)
            await asyncio.sleep(WRITER_PAUSE)


def figures(latencies: list[float]) -> str:
    ms = sorted(x * 1000 for x in latencies)
    p95 = ms[int(0.95 * (len(ms) - 1))]
    return f"p50 {statistics.median(ms):6.1f} ms  p95 {p95:6.1f} ms  max {ms[-1]:6.1f} ms"


async def bench(chats: int, messages: int, baseline_seconds: float) -> list[str]:
    base = Path(tempfile.mkdtemp(prefix="helperchat-bench-purge-"))
    mariadb = MariaDB()
    try:  # whatever fails, no server outlives the bench
        mariadb.start(base / "mariadb")
        mariadb.create_database("bench", "bench", "benchpw")
        config = MysqlConfig(
            host=mariadb.host, port=mariadb.port, user="bench", password="benchpw",
            database="bench", query_timeout=60,
        )  # fmt: skip
        db = await open_database(config)
        try:
            return await measure(db, chats, messages, baseline_seconds)
        finally:
            await db.close()
    finally:
        mariadb.stop()
        shutil.rmtree(base, ignore_errors=True)


async def measure(db: Database, chats: int, messages: int, baseline_seconds: float) -> list[str]:
    await init_schema(db)
    await Admin(DirectoryRepository(db), normalize_bare_jid).add_site("acme", "Acme Inc.")
    await db.execute("UPDATE sites SET retention_days = 30 WHERE slug = 'acme'")
    site = int((await db.fetch_all("SELECT id FROM sites WHERE slug = 'acme'"))[0][0])
    started = time.perf_counter()
    await fill(db, site, chats, messages, 1, 60 * DAY)
    await fill(db, site, chats // 4, messages * 4, chats + 1, 5 * DAY)  # kept
    filled = time.perf_counter() - started
    exported, export_took = await export_all(db, site)
    writer = Writer(db, site, chats + chats // 4)
    stop = asyncio.Event()
    task = asyncio.create_task(writer.run(stop))
    await asyncio.sleep(baseline_seconds)
    alone = list(writer.latencies)
    writer.latencies.clear()
    acme = await DirectoryRepository(db).get_site("acme")
    started = time.perf_counter()
    counts = await ChatPurge(db).purge_site(acme, time.time())
    took = time.perf_counter() - started
    stop.set()
    await task
    during = writer.latencies
    assert counts.chats == chats and counts.messages == chats * messages, counts
    one_took, one_during = await one_delete(db, site, chats, messages, writer.number + 1)
    return [
        f"purge: {chats} chats x {messages} messages past retention, {chats // 4} chats x"
        f" {messages * 4} kept (filled in {filled:.1f} s)",
        f"  export of every message (keyset pages of 1,000, as JSON lines): {exported} rows in"
        f" {export_took:.2f} s, {exported / export_took:.0f} rows/s",
        f"  purge took {took:6.2f} s: {chats / took:8.0f} chats/s  {counts.messages / took:8.0f}"
        " messages/s",
        f"  writer alone  ({len(alone):4d} batches): {figures(alone)}",
        f"  writer during ({len(during):4d} batches): {figures(during)}",
        f"  one DELETE instead: {one_took:6.2f} s; writer during ({len(one_during):4d} batches):"
        f" {figures(one_during)}",
    ]


async def export_all(db: Database, site: int) -> tuple[int, float]:
    """Every message of the site read as `archive export` reads it, formatted, not written."""
    started, rows = time.perf_counter(), 0
    async for page in ArchiveExport(db).pages(site):
        rows += len([jsonl_line(row) for row in page])
    return rows, time.perf_counter() - started


async def one_delete(
    db: Database, site: int, chats: int, messages: int, first: int
) -> tuple[float, list[float]]:
    """The same old chats again (numbered from `first`), deleted by one cascading DELETE."""
    await fill(db, site, chats, messages, first, 60 * DAY)
    writer = Writer(db, site, first + chats + 10)
    stop = asyncio.Event()
    task = asyncio.create_task(writer.run(stop))
    await asyncio.sleep(0.5)
    writer.latencies.clear()
    started = time.perf_counter()
    await db.execute(
        "DELETE FROM chats WHERE site_id = %s AND number >= %s AND number < %s",
        (site, first, first + chats),
    )
    took = time.perf_counter() - started
    stop.set()
    await task
    return took, writer.latencies


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, for the smoke test")
    parser.add_argument("--chats", type=int)
    parser.add_argument("--messages", type=int)
    args = parser.parse_args()
    chats, messages, baseline = (2000, 5, 1.0) if args.quick else (20_000, 10, 5.0)
    lines = asyncio.run(bench(args.chats or chats, args.messages or messages, baseline))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
