"""The mail outbox over real parts: a fresh MariaDB database with site `acme`, an aiosmtpd server
in this process, an ArchiveWriter over the real ArchiveRepository (mails are queued the way the
feedback use case queues them: MailQueued records appended to the archive writer) and drainers
built as the composition root builds them."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from component.admin import Admin
from component.archive import ArchiveWriter
from component.config import SmtpConfig
from component.metrics import Metrics
from component.records import MailQueued
from component.smtp import MailDrainer, build_drainer
from component.storage import Database
from component.storage.archive import ArchiveRepository
from component.storage.directory import DirectoryRepository
from component.storage.mail_outbox import MailOutboxRepository
from component.storage.schema import init_schema
from component.xmpp.jids import normalize_bare_jid
from devstack.smtp import HOST, MailServer
from tests.integration.schema_fixtures import NewDatabase

FROM = "Acme desk <desk@helpdesk.test>"
_numbers = itertools.count(1)


@dataclass
class Outbox:
    db: Database
    site_id: int
    writer: ArchiveWriter
    server: MailServer
    metrics: Metrics = field(default_factory=Metrics)
    drainers: list[MailDrainer] = field(default_factory=list)

    def smtp(self, **changes: Any) -> SmtpConfig:
        """The test server; short back-off; a poll so long that only wakes and due times count."""
        config = SmtpConfig(
            host=HOST,
            port=self.server.port,
            from_=FROM,
            timeout=2.0,
            retry_min_delay=0.2,
            retry_max_delay=1.0,
            poll_interval=3600.0,
        )
        return replace(config, **changes)

    def drainer(self, **changes: Any) -> MailDrainer:
        """A drainer woken by the writer's stored mails, as in the application (not started)."""
        drainer = build_drainer(self.smtp(**changes), MailOutboxRepository(self.db), self.metrics)
        self.writer.on_stored(drainer.on_stored)
        self.drainers.append(drainer)
        return drainer

    def queue(self, **fields: Any) -> MailQueued:
        """Append a mail as the feedback side does (stored by the writer's next batch)."""
        number = next(_numbers)
        values: dict[str, Any] = {
            "site_id": self.site_id,
            "mail_key": f"feedback:{self.site_id}:{number}",
            "message_id": f"<feedback.{self.site_id}.{number}@helpdesk.test>",
            "recipients": "owner@acme.test",
            "subject": f"[Acme Inc.] Feedback #{number}",
            "text": f"Feedback number {number}",
            "html": f"<p>Feedback number {number}</p>",
            "created_at": time.time(),
            "feedback_number": number,
        }
        mail = MailQueued(**(values | fields))
        self.writer.add_record(mail)
        return mail

    async def row(self, mail: MailQueued) -> dict[str, Any]:
        await self.writer.flush()
        rows = await self.db.fetch_all(
            "SELECT attempts, sent_at IS NOT NULL, failed_at IS NOT NULL, last_error,"
            " next_attempt_at FROM mail_outbox WHERE mail_key = %s",
            (mail.mail_key,),
        )
        assert rows, f"{mail.mail_key} is not in the outbox"
        names = ("attempts", "sent", "failed", "last_error", "next_attempt_at")
        return dict(zip(names, rows[0], strict=True))

    async def wait_row(
        self, mail: MailQueued, condition: Callable[[dict[str, Any]], bool], timeout: float = 60
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while not condition(row := await self.row(mail)):
            assert time.monotonic() < deadline, f"{mail.mail_key} still {row}"
            await asyncio.sleep(0.05)
        return row

    def metric(self, name: str) -> float:
        """A sample's value from /metrics' text (0 when absent)."""
        for line in self.metrics.render().decode().splitlines():
            if line.startswith(f"{name} "):
                return float(line.split()[1])
        return 0.0


async def acme_database(new_database: NewDatabase) -> tuple[Database, int]:
    db = await new_database()
    await init_schema(db)
    await Admin(DirectoryRepository(db), normalize_bare_jid).add_site("acme", "Acme Inc.")
    rows = await db.fetch_all("SELECT id FROM sites WHERE slug = 'acme'")
    return db, int(rows[0][0])


@pytest.fixture
async def outbox(new_database: NewDatabase) -> AsyncIterator[Outbox]:
    """Database, writer (running) and mail server (running); drainers stopped at the end."""
    db, site_id = await acme_database(new_database)
    repo = ArchiveRepository(db)
    writer = ArchiveWriter(repo, flush_interval=0.01, batch_size=100, retry_max_delay=0.2)
    writer.start()
    server = await MailServer().start()
    world = Outbox(db, site_id, writer, server)
    try:
        yield world
    finally:
        for drainer in world.drainers:
            await drainer.stop()
        await writer.close()
        await server.stop()
