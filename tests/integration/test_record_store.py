"""Records (feedback, mail, deliveries, site events) written by the archive writer into the real
MariaDB: each kind stored, written twice stored once, a refused one left out by its key."""

from __future__ import annotations

import logging

import pytest

from component.archive import ArchiveBatch, ArchiveWriter
from component.models import VisitorKind
from component.records import (
    DeliveryQueued,
    FeedbackDone,
    FeedbackLeft,
    MailQueued,
    SiteEventRecorded,
)
from component.storage.archive import ArchiveRepository
from tests.integration.helpdesk_fixtures import Desk
from tests.integration.test_archive_store import acme_id

AT = 1_767_225_600.123456
DELIVERY = "0b3c1d9e-2f4a-4b5c-8d6e-7f8091a2b3c4"


def every_kind(site: int) -> tuple[object, ...]:
    return (
        FeedbackLeft(site, 1, AT, VisitorKind.WEB, "Привет, call me", name="Ann", contact="+1 5"),
        FeedbackLeft(site, 2, AT, VisitorKind.XMPP, "hi", visitor="v@x.test", chat_number=4),
        FeedbackDone(site, 1, AT + 60, "alice@x.test"),
        MailQueued(
            site,
            f"feedback:{site}:1",
            "<f1@hc>",
            "a@x,b@y",
            "[Acme] Feedback",
            "t",
            "<p>t</p>",
            AT,
            reply_to="ann@x.test",
            feedback_number=1,
        ),
        SiteEventRecorded(f"notify:{site}:k", site, AT, "notify", "Order #1", audience="all"),
    )


def writer_for(desk: Desk) -> ArchiveWriter:
    repo = ArchiveRepository(desk.db)
    return ArchiveWriter(repo, flush_interval=0.01, batch_size=50, retry_max_delay=0.1)


async def test_every_record_kind_is_stored_once_however_often_it_is_written(desk: Desk) -> None:
    site = await acme_id(desk)
    await desk.db.execute(
        "INSERT INTO webhooks (site_id, number, url, secret, events, created_at)"
        " VALUES (%s, 1, 'https://hooks.test/x', 's', 'chat.started', NOW(6))",
        (site,),
    )
    records = (*every_kind(site), DeliveryQueued(DELIVERY, site, 1, "chat.started", "{}", AT))
    writer = writer_for(desk)
    writer.start()
    for _ in range(2):  # a batch retried after a lost commit, a spool written back
        writer.add_batch(ArchiveBatch(records=records))  # type: ignore[arg-type]
        await writer.flush()
    assert not len(await writer.close())
    feedback = await desk.rows(
        "SELECT number, source, name, contact, visitor, body, chat_number, done_at IS NOT NULL,"
        " done_by FROM feedback ORDER BY number"
    )
    assert feedback == [
        (1, "web", "Ann", "+1 5", "", "Привет, call me", None, 1, "alice@x.test"),
        (2, "xmpp", "", "", "v@x.test", "hi", 4, 0, None),
    ]
    mails = await desk.rows(
        "SELECT mail_key, recipients, reply_to, feedback_number, attempts, sent_at,"
        " next_attempt_at = created_at FROM mail_outbox"
    )
    assert mails == [(f"feedback:{site}:1", "a@x,b@y", "ann@x.test", 1, 0, None, 1)]
    deliveries = await desk.rows(
        "SELECT delivery_id, event, webhook_number FROM webhook_deliveries"
    )
    assert deliveries == [(DELIVERY, "chat.started", 1)]
    events = await desk.rows("SELECT event_key, category, body, audience FROM site_events")
    assert events == [(f"notify:{site}:k", "notify", "Order #1", "all")]


async def test_a_record_the_database_refuses_is_left_out_by_its_key_and_the_rest_stored(
    desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    site = await acme_id(desk)
    orphan = DeliveryQueued(DELIVERY, site, 99, "chat.started", "{}", AT)  # no webhook 99
    writer = writer_for(desk)
    writer.start()
    writer.add_batch(ArchiveBatch(records=(*every_kind(site), orphan)))  # type: ignore[arg-type]
    with caplog.at_level(logging.ERROR, logger="component.archive"):
        await writer.flush()
    assert not len(await writer.close())
    assert f"delivery {DELIVERY} refused by the database, left out" in caplog.text
    assert len(await desk.rows("SELECT number FROM feedback")) == 2
    assert await desk.rows("SELECT delivery_id FROM webhook_deliveries") == []
