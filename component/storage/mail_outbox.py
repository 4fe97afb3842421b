"""The mail outbox's SQL (table `mail_outbox`): due mails read oldest first, and what became of
each try. Rows are written by the archive writer (storage/records.py); this reads and marks them.

Every mark is one short statement, guarded so that a mail sent or failed is never marked again.
"""

from __future__ import annotations

from component.mail import OutboxMail, OutboxStatus
from component.storage.columns import fit_chars
from component.storage.database import Database, Row, from_db_time, to_db_time

ERROR_CHARS = 500  # mail_outbox.last_error
_WAITING = "sent_at IS NULL AND failed_at IS NULL"
_DUE = (
    "SELECT id, site_id, mail_key, message_id, recipients, subject, reply_to, body_text,"
    f" body_html, created_at, attempts FROM mail_outbox WHERE {_WAITING}"
    " AND next_attempt_at <= %s ORDER BY next_attempt_at, id LIMIT %s"
)
_STATUS = f"SELECT COUNT(*), MIN(next_attempt_at) FROM mail_outbox WHERE {_WAITING}"
_SENT = (
    "UPDATE mail_outbox SET sent_at = %s, attempts = attempts + 1, last_error = %s"
    f" WHERE id = %s AND {_WAITING}"
)
_POSTPONED = (
    "UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = %s, last_error = %s"
    f" WHERE id = %s AND {_WAITING}"
)
_FAILED = (
    "UPDATE mail_outbox SET failed_at = %s, attempts = attempts + 1, last_error = %s"
    f" WHERE id = %s AND {_WAITING}"
)


class MailOutboxRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def due(self, now: float, limit: int) -> list[OutboxMail]:
        """Up to `limit` mails to send at `now`: neither sent nor failed, due, oldest first."""
        rows = await self._db.fetch_all(_DUE, (to_db_time(now), limit))
        return [_mail(row) for row in rows]

    async def status(self) -> OutboxStatus:
        rows = await self._db.fetch_all(_STATUS)
        count, next_due = rows[0]
        return OutboxStatus(int(count), from_db_time(next_due))

    async def mark_sent(self, mail_id: int, at: float, note: str = "") -> None:
        """The server took it (`note`: the recipients it refused, if some)."""
        await self._db.execute(_SENT, (to_db_time(at), _error(note), mail_id))

    async def postpone(self, mail_id: int, until: float, error: str) -> None:
        """A try failed for now: one more attempt counted, the next one not before `until`."""
        await self._db.execute(_POSTPONED, (to_db_time(until), _error(error), mail_id))

    async def mark_failed(self, mail_id: int, at: float, error: str) -> None:
        """Refused for good: never tried again."""
        await self._db.execute(_FAILED, (to_db_time(at), _error(error), mail_id))


def _error(text: str) -> str:
    return fit_chars(text, ERROR_CHARS)


def _mail(row: Row) -> OutboxMail:
    created_at = from_db_time(row[9])
    assert created_at is not None  # NOT NULL
    return OutboxMail(
        id=int(row[0]),
        site_id=int(row[1]),
        mail_key=str(row[2]),
        message_id=str(row[3]),
        recipients=str(row[4]),
        subject=str(row[5]),
        reply_to=str(row[6]),
        text=str(row[7]),
        html=str(row[8]),
        created_at=created_at,
        attempts=int(row[10]),
    )
