"""Feedback as stored (tables feedback, feedback_reminders, and mail_outbox's state of each one's
mail): the highest numbers at start-up, the list (whole, or a page newest first), one by its
number, marking done, and the claims of IM reminders. Every query names its site: one site never
reads another's feedback."""

from __future__ import annotations

from typing import Any

from component.feedback import DoneOutcome, FeedbackEntry, MailState
from component.models import VisitorKind
from component.records import FeedbackLeft
from component.storage.database import Database, Row, from_db_time, to_db_time

_COLUMNS = (
    "f.site_id, f.number, f.left_at, f.source, f.body, f.name, f.contact, f.email, f.page,"
    " f.lang, f.visitor, f.chat_number"
)
_SELECT = (
    f"SELECT {_COLUMNS}, f.done_at, f.done_by, m.sent_at, m.failed_at, m.last_error, m.id"
    " FROM feedback f LEFT JOIN mail_outbox m"
    " ON m.site_id = f.site_id AND m.feedback_number = f.number"
    " WHERE f.site_id = %s"
)
_LIST = _SELECT + "{open} ORDER BY f.number"
_PAGE = _SELECT + "{open} ORDER BY f.number DESC LIMIT %s OFFSET %s"
_ONE = _SELECT + " AND f.number = %s"
_OPEN = " AND f.done_at IS NULL"
_UNREMINDED = (
    " FROM feedback f WHERE f.site_id = %s AND f.done_at IS NULL AND NOT EXISTS"
    " (SELECT 1 FROM feedback_reminders r WHERE r.site_id = f.site_id"
    " AND r.feedback_number = f.number AND r.operator_jid = %s)"
)


class FeedbackRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def last_numbers(self) -> dict[int, int]:
        """The highest feedback number of each site that has feedback."""
        sql = "SELECT site_id, MAX(number) FROM feedback GROUP BY site_id"
        rows = await self._db.fetch_all(sql)
        return {int(site_id): int(number) for site_id, number in rows}

    async def list_feedback(self, site_id: int, *, only_open: bool = False) -> list[FeedbackEntry]:
        """The site's feedback by number, each with its state and its mail's."""
        sql = _LIST.format(open=_OPEN if only_open else "")
        return [_entry(row) for row in await self._db.fetch_all(sql, (site_id,))]

    async def page(
        self, site_id: int, offset: int, limit: int, *, only_open: bool = True
    ) -> list[FeedbackEntry]:
        """At most `limit` of the site's feedback, newest first, from the `offset`-th on."""
        sql = _PAGE.format(open=_OPEN if only_open else "")
        rows = await self._db.fetch_all(sql, (site_id, limit, offset))
        return [_entry(row) for row in rows]

    async def entry(self, site_id: int, number: int) -> FeedbackEntry | None:
        """Feedback `number` of the site, or None when the site has none by that number."""
        rows = await self._db.fetch_all(_ONE, (site_id, number))
        return _entry(rows[0]) if rows else None

    async def mark_done(self, site_id: int, number: int, at: float, by: str = "") -> DoneOutcome:
        """Mark feedback `number` of the site done; marking it again changes nothing."""
        async with self._db.transaction() as cursor:
            marked = await cursor.execute(
                "UPDATE feedback SET done_at = %s, done_by = %s"
                " WHERE site_id = %s AND number = %s AND done_at IS NULL",
                (to_db_time(at), by or None, site_id, number),
            )
            if marked:
                return DoneOutcome.MARKED
            await cursor.execute(
                "SELECT 1 FROM feedback WHERE site_id = %s AND number = %s", (site_id, number)
            )
            return DoneOutcome.ALREADY if await cursor.fetchone() else DoneOutcome.UNKNOWN

    async def claim_reminders(
        self, site_id: int, jid: str, limit: int, at: float
    ) -> tuple[list[FeedbackLeft], int]:
        """The site's oldest open feedback `jid` was not reminded of, at most `limit`, each
        claimed for them in the same transaction (a claim is never given twice, also to two
        callers at once: the feedback rows are locked while claiming); and how many such remain."""
        async with self._db.transaction() as cursor:
            await cursor.execute(
                f"SELECT {_COLUMNS}{_UNREMINDED} ORDER BY f.number LIMIT %s FOR UPDATE",
                (site_id, jid, limit),
            )
            claimed = [_feedback(row) for row in await cursor.fetchall()]
            if claimed:
                await cursor.executemany(
                    "INSERT INTO feedback_reminders (site_id, feedback_number, operator_jid,"
                    " reminded_at) VALUES (%s, %s, %s, %s)",
                    [(site_id, f.number, jid, to_db_time(at)) for f in claimed],
                )
            await cursor.execute(f"SELECT COUNT(*){_UNREMINDED}", (site_id, jid))
            (remaining,) = await cursor.fetchone()
        return claimed, int(remaining)


def _feedback(row: Row) -> FeedbackLeft:
    left_at = from_db_time(row[2])
    assert left_at is not None  # NOT NULL
    return FeedbackLeft(
        site_id=int(row[0]),
        number=int(row[1]),
        left_at=left_at,
        source=VisitorKind(row[3]),
        text=row[4],
        name=row[5],
        contact=row[6],
        email=row[7],
        page=row[8],
        lang=row[9],
        visitor=row[10],
        chat_number=None if row[11] is None else int(row[11]),
    )


def _entry(row: Row) -> FeedbackEntry:
    done_at, done_by, sent_at, failed_at, error, mail_id = row[12:18]
    return FeedbackEntry(
        feedback=_feedback(row),
        done_at=from_db_time(done_at),
        done_by=done_by or "",
        mail=_mail_state(mail_id, sent_at, failed_at),
        mail_error=error or "",
    )


def _mail_state(mail_id: Any, sent_at: Any, failed_at: Any) -> MailState:
    if mail_id is None:
        return MailState.NONE
    if sent_at is not None:
        return MailState.SENT
    return MailState.FAILED if failed_at is not None else MailState.QUEUED
