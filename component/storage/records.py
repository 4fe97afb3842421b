"""The records of component/records.py written in the archive writer's transaction.

Every write is keyed (an insert of a key already there changes nothing; other errors still
surface, unlike INSERT IGNORE): a record written again (a batch retried after a lost commit, a spool
written back) changes nothing. Values are cut to their columns first, as the archive's are; a
record whose key cannot be stored unchanged is a refusal (the writer leaves it out, by its key),
since a cut key could name another row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from component.records import (
    DeliveryQueued,
    FeedbackDone,
    FeedbackLeft,
    MailQueued,
    Record,
    SiteEventRecorded,
)
from component.storage import columns
from component.storage.columns import fit_bytes, fit_chars, fits_chars
from component.storage.database import RowsRejected, to_db_time

_INSERT_FEEDBACK = (
    "INSERT INTO feedback (site_id, number, left_at, source, name, contact, email,"
    " visitor, body, page, lang, chat_number) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
    " %s) ON DUPLICATE KEY UPDATE number = number"
)
_FEEDBACK_DONE = (
    "UPDATE feedback SET done_at = %s, done_by = %s"
    " WHERE site_id = %s AND number = %s AND done_at IS NULL"
)
_INSERT_MAIL = (
    "INSERT INTO mail_outbox (site_id, mail_key, message_id, recipients, subject,"
    " reply_to, body_text, body_html, feedback_number, created_at, next_attempt_at)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON DUPLICATE KEY UPDATE id = id"
)
_INSERT_DELIVERY = (
    "INSERT INTO webhook_deliveries (delivery_id, site_id, webhook_number, event, body,"
    " created_at, next_attempt_at) VALUES (%s, %s, %s, %s, %s, %s, %s)"
    " ON DUPLICATE KEY UPDATE id = id"
)
_INSERT_SITE_EVENT = (
    "INSERT INTO site_events (event_key, site_id, at, category, body, url, audience,"
    " delivered_to) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON DUPLICATE KEY UPDATE id = id"
)
KEY_CHARS = 100  # mail_outbox.mail_key, site_events.event_key
RECIPIENTS_CHARS = 2000  # mail_outbox.recipients
DELIVERY_ID_CHARS = 36


def _key(value: str, limit: int, record: Record) -> str:
    if not value or not fits_chars(value, limit) or not value.isascii():
        raise RowsRejected(f"{record.key}: its key cannot be stored as it is")
    return value


def _feedback(row: FeedbackLeft) -> tuple[Any, ...]:
    return (
        row.site_id,
        row.number,
        to_db_time(row.left_at),
        row.source.value,
        fit_chars(row.name, 200),
        fit_chars(row.contact, 254),
        fit_chars(row.email, 254),
        fit_chars(row.visitor, columns.VISITOR_CHARS),
        fit_bytes(row.text, columns.MEDIUMTEXT_BYTES),
        fit_chars(row.page, 2000),
        fit_chars(row.lang, 16) if row.lang.isascii() else "",
        row.chat_number,
    )


def _done(row: FeedbackDone) -> tuple[Any, ...]:
    done_by = row.done_by if fits_chars(row.done_by, columns.OPERATOR_JID_CHARS) else ""
    return (to_db_time(row.done_at), done_by or None, row.site_id, row.number)


def _mail(row: MailQueued) -> tuple[Any, ...]:
    at = to_db_time(row.created_at)
    return (
        row.site_id,
        _key(row.mail_key, KEY_CHARS, row),
        _key(row.message_id, 255, row),
        _recipients(row.recipients),
        fit_chars(row.subject, 500),
        fit_chars(row.reply_to, 254),
        fit_bytes(row.text, columns.MEDIUMTEXT_BYTES),
        fit_bytes(row.html, columns.MEDIUMTEXT_BYTES),
        row.feedback_number,
        at,
        at,
    )


def _recipients(value: str) -> str:
    """The comma-separated recipients, those that do not fit the column left out whole: a cut
    address could be another one, perhaps at another domain."""
    fitted = fit_chars(value, RECIPIENTS_CHARS)
    if len(value) <= RECIPIENTS_CHARS or value[len(fitted)] == ",":
        return fitted
    return fitted.rpartition(",")[0]


def _delivery(row: DeliveryQueued) -> tuple[Any, ...]:
    at = to_db_time(row.created_at)
    return (
        _key(row.delivery_id, DELIVERY_ID_CHARS, row),
        row.site_id,
        row.webhook_number,
        _key(row.event, 32, row),
        fit_bytes(row.body, columns.MEDIUMTEXT_BYTES),
        at,
        at,
    )


def _site_event(row: SiteEventRecorded) -> tuple[Any, ...]:
    return (
        _key(row.event_key, KEY_CHARS, row),
        row.site_id,
        to_db_time(row.at),
        _key(row.category, 32, row),
        fit_bytes(row.text, columns.TEXT_BYTES),
        fit_chars(row.url, 2000),
        fit_chars(row.audience, 8),
        max(0, row.delivered_to),
    )


_Rows = Callable[[Any], tuple[Any, ...]]
_WRITERS: dict[type, tuple[str, _Rows]] = {
    FeedbackLeft: (_INSERT_FEEDBACK, _feedback),
    FeedbackDone: (_FEEDBACK_DONE, _done),
    MailQueued: (_INSERT_MAIL, _mail),
    DeliveryQueued: (_INSERT_DELIVERY, _delivery),
    SiteEventRecorded: (_INSERT_SITE_EVENT, _site_event),
}


async def write_records(cursor: Any, records: Sequence[Record]) -> None:
    """Write `records` in their order, consecutive ones of a kind in one statement."""
    start = 0
    while start < len(records):
        kind = type(records[start])
        end = start
        while end < len(records) and type(records[end]) is kind:
            end += 1
        sql, row_of = _WRITERS[kind]
        await cursor.executemany(sql, [row_of(record) for record in records[start:end]])
        start = end
