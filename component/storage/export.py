"""A site's archive read for `helperchat archive export`: every message with its chat's fields,
in (chat number, seq) order, a page at a time by keyset (never the whole archive in memory, and
no OFFSET that grows with the archive). STRAIGHT_JOIN keeps the messages' PRIMARY KEY as the
driving order: joined from the chats first, MariaDB sorts the site's rest in a temporary table
for every page."""

from __future__ import annotations

from collections.abc import AsyncIterator

from component.archive_export import ExportRow, iso_utc
from component.storage.database import Database, Row, to_db_time

PAGE_ROWS = 1_000

_PAGE = (
    "SELECT STRAIGHT_JOIN m.chat_number, c.opened_at, c.closed_at, c.state, c.operator_jid,"
    " c.visitor_kind, c.visitor, c.visitor_name, w.email, w.page, m.seq, m.at, m.sender,"
    " m.author, m.body"
    " FROM messages m JOIN chats c ON c.site_id = m.site_id AND c.number = m.chat_number"
    " LEFT JOIN web_chats w ON w.site_id = m.site_id AND w.chat_number = m.chat_number"
    " WHERE m.site_id = %s AND c.opened_at >= %s"
    " AND (m.chat_number > %s OR (m.chat_number = %s AND m.seq > %s))"
    " ORDER BY m.chat_number, m.seq LIMIT %s"
)


class ArchiveExport:
    def __init__(self, db: Database, page_rows: int = PAGE_ROWS) -> None:
        self._db = db
        self._page_rows = page_rows

    async def pages(self, site_id: int, since: float = 0.0) -> AsyncIterator[list[ExportRow]]:
        """The site's messages of chats opened at or after `since`, page by page."""
        opened = to_db_time(since)
        first = await self._db.fetch_all(
            "SELECT MIN(number) FROM chats WHERE site_id = %s AND opened_at >= %s",
            (site_id, opened),
        )
        if first[0][0] is None:
            return
        chat, seq = int(first[0][0]) - 1, 0  # numbers grow with time: start where `since` does
        while True:
            rows = await self._db.fetch_all(
                _PAGE, (site_id, opened, chat, chat, seq, self._page_rows)
            )
            if not rows:
                return
            page = [_row(row) for row in rows]
            yield page
            chat, seq = page[-1].chat, page[-1].seq


def _row(row: Row) -> ExportRow:
    return ExportRow(
        chat=int(row[0]),
        opened_at=iso_utc(row[1]),
        closed_at=iso_utc(row[2]),
        state=str(row[3]),
        operator=row[4] or "",
        visitor_kind=str(row[5]),
        visitor=str(row[6]),
        visitor_name=str(row[7]),
        visitor_email=row[8] or "",
        visitor_page=row[9] or "",
        seq=int(row[10]),
        at=iso_utc(row[11]),
        sender=str(row[12]),
        author=str(row[13]),
        text=str(row[14]),
    )
