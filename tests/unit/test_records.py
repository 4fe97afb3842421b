"""Records (feedback, mail, deliveries, site events) travel the archive writer's path: batched,
retried, handed back at a stop for the spool, and told once stored; every kind round-trips a
spool line exactly."""

from __future__ import annotations

import asyncio
from dataclasses import fields

import pytest

from component.archive import ArchiveBatch, ArchiveWriter
from component.models import VisitorKind
from component.records import (
    RECORD_KINDS,
    DeliveryQueued,
    FeedbackDone,
    FeedbackLeft,
    MailQueued,
    Record,
    SiteEventRecorded,
)
from component.spool.lines import decode_row, decode_spool, encode_row, encode_spool
from component.storage import records as records_sql
from tests.unit.fakes import DownStore, FlakyStore
from tests.unit.test_spool_lines import OWNER

AT = 1_767_225_600.123456

RECORDS: tuple[Record, ...] = (
    FeedbackLeft(1, 3, AT, VisitorKind.WEB, "Call me\nplease «Ω»", name="Ann", contact="+1 555"),
    FeedbackLeft(
        1, 4, AT, VisitorKind.XMPP, "hi", visitor="v@x.test", chat_number=9, lang="ru", email="v@x"
    ),
    FeedbackDone(1, 3, AT + 1, "alice@x.test"),
    MailQueued(
        1,
        "feedback:1:3",
        "<f3@helpdesk>",
        "a@x,b@y",
        "[Acme] Feedback",
        "t",
        "<p>t</p>",
        AT,
        reply_to="ann@x.test",
        feedback_number=3,
    ),
    DeliveryQueued("0b3c1d9e-2f4a-4b5c-8d6e-7f8091a2b3c4", 1, 2, "chat.started", '{"a": 1}', AT),
    SiteEventRecorded(
        "notify:1:k1", 1, AT, "notify", "Order #123", url="https://x", audience="all"
    ),
)


def test_every_record_kind_is_known_to_the_spool() -> None:
    assert {type(record) for record in RECORDS} == set(RECORD_KINDS.values())


@pytest.mark.parametrize("record", RECORDS, ids=repr)
def test_every_record_round_trips_a_spool_line_exactly(record: Record) -> None:
    line = encode_row(record)
    assert line.isascii() and line.count(b"\n") == 1
    assert decode_row(line.rstrip(b"\n")) == record


def test_a_spool_file_keeps_the_records_in_their_order() -> None:
    batch = ArchiveBatch(records=RECORDS)
    assert decode_spool(encode_spool(OWNER, batch)).batch == batch


def writer_for(store: FlakyStore, batch_size: int = 50) -> ArchiveWriter:
    return ArchiveWriter(store, flush_interval=0.001, batch_size=batch_size, retry_max_delay=0.01)


async def test_records_are_written_in_batches_in_order_and_retried() -> None:
    store = FlakyStore(failures=2)
    writer = writer_for(store, batch_size=4)
    stored: list[ArchiveBatch] = []
    writer.on_stored(stored.append)
    writer.start()
    for record in RECORDS * 3:
        writer.add_record(record)
        await asyncio.sleep(0)
    await writer.flush()
    assert not len(await writer.close())
    written = [record for batch in store.batches for record in batch.records]
    assert written == list(RECORDS * 3)
    assert all(len(batch.records) <= 4 for batch in store.batches)
    assert [r for b in stored for r in b.records] == written  # told of each, once stored


async def test_a_stop_with_the_database_down_hands_every_record_back_for_the_spool() -> None:
    writer = writer_for(DownStore(), batch_size=2)
    told: list[ArchiveBatch] = []
    writer.on_stored(told.append)
    writer.start()
    for record in RECORDS:
        writer.add_record(record)
    await asyncio.sleep(0.02)
    left = await writer.close(timeout=0.1)
    assert left.records == RECORDS
    assert told == []


async def test_a_failing_callback_is_logged_and_the_writer_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = FlakyStore()
    writer = writer_for(store)

    def broken(batch: ArchiveBatch) -> None:
        raise RuntimeError("a drainer broke")

    writer.on_stored(broken)
    writer.start()
    writer.add_record(RECORDS[0])
    await writer.flush()
    writer.add_record(RECORDS[2])
    await writer.flush()
    assert not len(await writer.close())
    assert [r for b in store.batches for r in b.records] == [RECORDS[0], RECORDS[2]]
    assert "a callback on stored rows failed" in caplog.text


def test_no_record_has_a_field_the_spool_uses_for_the_kind() -> None:
    for cls in RECORD_KINDS.values():
        assert "kind" not in {f.name for f in fields(cls)}, cls


@pytest.mark.parametrize(
    ("recipients", "stored"),
    [
        ("a@x.test,b@y.test", "a@x.test,b@y.test"),
        ("a" * 1990 + "@x.test,b@y.test", "a" * 1990 + "@x.test"),  # ends at the column's edge
        ("a" * 1995 + "@x.test,b@y.test", ""),  # the only one that would fit is cut: none
        ("a@x.test," + "b" * 1980 + "@example.com", "a@x.test"),  # not `bbb…@exam`
    ],
)
def test_a_mail_stores_whole_recipients_only(recipients: str, stored: str) -> None:
    mail = MailQueued(1, "feedback:1:1", "<m@h>", recipients, "s", "t", "", AT)
    assert records_sql._mail(mail)[3] == stored
