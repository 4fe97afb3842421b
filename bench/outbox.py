"""The persistent outboxes against a direct send, in the same run.

Mail: N feedback mails through the outbox (MailQueued records appended to an ArchiveWriter over
a throwaway MariaDB, as the feedback use case appends them; the real drainer, woken by the stored
rows, sends them into aiosmtpd and marks each sent), timed from the first record appended to the
last mail marked sent; against the same N mails sent directly, one aiosmtplib.send() call per
mail (connect, EHLO, MAIL, RCPT, DATA, QUIT; no database). Rounds alternate; the median is shown.
Both build their messages with the same code and talk to the same aiosmtpd in this process.
Goal: the outbox costs at most 20 % (ratio outbox / direct >= 0.8).

Webhooks: bench/outbox_webhooks.py's two figures (deliveries per second through the stored
outbox against direct POSTs; the chat relay with 1,000 deliveries due to a dead receiver against
none), run after the mail half.

    python bench/outbox.py [--quick] [--mails 1000] [--deliveries 3000] [--messages 3000]
                           [--rounds N] [--only mail|webhooks]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiosmtplib

from bench import outbox_webhooks
from component.admin import Admin
from component.archive import ArchiveWriter
from component.config import MysqlConfig, SmtpConfig
from component.mail import OutboxMail, mailbox_of
from component.metrics import Metrics
from component.records import MailQueued
from component.smtp import build_drainer
from component.smtp.message import build_message
from component.storage import Database, open_database
from component.storage.archive import ArchiveRepository
from component.storage.directory import DirectoryRepository
from component.storage.mail_outbox import MailOutboxRepository
from component.storage.schema import init_schema
from component.xmpp.jids import normalize_bare_jid
from devstack import MariaDB
from devstack.smtp import HOST, MailServer

FROM = "Acme desk <desk@helpdesk.test>"
RATIO_GOAL = 0.8
TEXT = "Здравствуйте! Заказ 123 не пришёл.\nАнна, anna@example.org\n" * 5
HTML = "<p>Здравствуйте! Заказ <b>123</b> не пришёл.</p>" * 5


@dataclass
class MailBench:
    db: Database
    site_id: int
    server: MailServer
    round: int = 0

    def mails(self, count: int) -> list[MailQueued]:
        self.round += 1
        return [
            MailQueued(
                self.site_id,
                f"feedback:{self.round}:{n}",
                f"<feedback.{self.round}.{n}@helpdesk.test>",
                "owner@acme.test",
                f"[Acme Inc.] Отзыв №{n}",
                TEXT,
                HTML,
                time.time(),
                reply_to="anna@example.org",
            )
            for n in range(count)
        ]

    def smtp(self) -> SmtpConfig:
        return SmtpConfig(host=HOST, port=self.server.port, from_=FROM, poll_interval=3600.0)


async def through_the_outbox(bench: MailBench, count: int) -> float:
    """Mails per second: appended as records, stored, drained, accepted, marked sent."""
    writer = ArchiveWriter(
        ArchiveRepository(bench.db), flush_interval=0.05, batch_size=500, retry_max_delay=1.0
    )
    outbox = MailOutboxRepository(bench.db)
    drainer = build_drainer(bench.smtp(), outbox, Metrics())
    writer.on_stored(drainer.on_stored)
    writer.start()
    drainer.start()
    before = len(bench.server.received)
    started = time.perf_counter()
    for mail in bench.mails(count):
        writer.add_record(mail)
    await bench.server.wait_for(before + count, 600)
    while (await outbox.status()).queued:
        await asyncio.sleep(0.005)
    elapsed = time.perf_counter() - started
    await drainer.stop()
    await writer.close()
    return count / elapsed


async def sent_directly(bench: MailBench, count: int) -> float:
    """Mails per second: one aiosmtplib.send() per mail, no outbox."""
    sender = mailbox_of(FROM)
    assert sender is not None
    before = len(bench.server.received)
    started = time.perf_counter()
    for n, mail in enumerate(bench.mails(count)):
        row = OutboxMail(
            n,
            mail.site_id,
            mail.mail_key,
            mail.message_id,
            mail.recipients,
            mail.subject,
            mail.reply_to,
            mail.text,
            mail.html,
            mail.created_at,
        )
        envelope = build_message(row, sender)
        await aiosmtplib.send(
            envelope.message,
            sender=envelope.sender,
            recipients=envelope.recipients,
            hostname=HOST,
            port=bench.server.port,
            start_tls=False,
        )
    await bench.server.wait_for(before + count, 600)
    return count / (time.perf_counter() - started)


async def mail_rates(bench: MailBench, count: int, rounds: int) -> dict[str, list[float]]:
    rates: dict[str, list[float]] = {"outbox": [], "direct": []}
    runs: list[tuple[str, Callable[[MailBench, int], Awaitable[float]]]] = [
        ("direct", sent_directly),
        ("outbox", through_the_outbox),
    ]
    await sent_directly(bench, min(count, 20))  # warm both paths up
    await through_the_outbox(bench, min(count, 20))
    for _ in range(rounds):
        for name, run in runs:
            rates[name].append(await run(bench, count))
        runs.reverse()
    return rates


async def mail_setup(mariadb: MariaDB) -> MailBench:
    mariadb.create_database("bench", "bench", "benchpw")
    config = MysqlConfig(
        host=mariadb.host, port=mariadb.port, user="bench", password="benchpw", database="bench"
    )
    db = await open_database(config)
    await init_schema(db)
    await Admin(DirectoryRepository(db), normalize_bare_jid).add_site("acme", "Acme Inc.")
    site_id = int((await db.fetch_all("SELECT id FROM sites WHERE slug = 'acme'"))[0][0])
    return MailBench(db, site_id, await MailServer().start())


async def bench(mails: int, rounds: int) -> None:
    base = Path(tempfile.mkdtemp(prefix="helperchat-bench-outbox-"))
    mariadb = MariaDB()
    try:  # whatever fails, no server outlives the bench
        mariadb.start(base / "mariadb")
        mail = await mail_setup(mariadb)
        try:
            rates = await mail_rates(mail, mails, rounds)
        finally:
            await mail.server.stop()
            await mail.db.close()
    finally:
        mariadb.stop()
        shutil.rmtree(base, ignore_errors=True)
    print("\n".join(mail_report(mails, rounds, rates)))


def mail_report(mails: int, rounds: int, rates: dict[str, list[float]]) -> list[str]:
    outbox, direct = statistics.median(rates["outbox"]), statistics.median(rates["direct"])
    ratio = f"{outbox / direct:8.2f}   (goal: >= {RATIO_GOAL})"
    return [
        f"mail: {mails} mails into aiosmtpd, {rounds} rounds (median shown)",
        f"  through the outbox (MariaDB, drainer): {outbox:8.0f} mails/s  {fmt(rates['outbox'])}",
        f"  direct (one aiosmtplib.send each):     {direct:8.0f} mails/s  {fmt(rates['direct'])}",
        f"  ratio outbox / direct:                 {ratio}",
    ]


def fmt(rates: list[float]) -> str:
    return "[" + ", ".join(f"{r:.0f}" for r in rates) + "]"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, for the smoke test")
    parser.add_argument("--mails", type=int)
    parser.add_argument("--deliveries", type=int)
    parser.add_argument("--messages", type=int, help="chat messages per relay round")
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--only", choices=("mail", "webhooks"), help="run one half")
    args = parser.parse_args()
    mails, rounds = (50, 1) if args.quick else (1000, 5)
    if args.only != "webhooks":
        asyncio.run(bench(args.mails or mails, args.rounds or rounds))
    if args.only != "mail":
        deliveries, messages, hook_rounds = (300, 300, 1) if args.quick else (3000, 3000, 3)
        asyncio.run(
            outbox_webhooks.bench(
                args.deliveries or deliveries,
                args.messages or messages,
                args.rounds or hook_rounds,
            )
        )


if __name__ == "__main__":
    main()
