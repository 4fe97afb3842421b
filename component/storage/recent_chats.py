"""A site's latest chats for the `recent` command: one row per chat with its message count and
its visitor's first words, newest first, optionally one operator's or one state's only."""

from __future__ import annotations

from component.desk.ports import ChatSummary
from component.models import ChatState, Sender
from component.storage.database import Database, from_db_time

FIRST_WORDS_CHARS = 60

_RECENT = (
    "SELECT c.number, c.opened_at, c.visitor_name, c.visitor, c.operator_jid, c.state,"
    " (SELECT COUNT(*) FROM messages m WHERE m.site_id = c.site_id AND m.chat_number = c.number"
    " AND m.sender <> %s),"
    " (SELECT LEFT(m.body, %s) FROM messages m WHERE m.site_id = c.site_id"
    " AND m.chat_number = c.number AND m.sender = %s ORDER BY m.seq LIMIT 1)"
    " FROM chats c WHERE c.site_id = %s"
)


class RecentChats:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def recent(
        self,
        site_id: int,
        offset: int,
        limit: int,
        *,
        operator: str | None = None,
        state: ChatState | None = None,
    ) -> list[ChatSummary]:
        """Up to `limit` chats from `offset` on, newest first; `operator`, `state`: only those."""
        sql, params = _RECENT, [Sender.SYSTEM.value, FIRST_WORDS_CHARS, Sender.VISITOR.value]
        params.append(site_id)
        if operator is not None:
            sql += " AND c.operator_jid = %s"
            params.append(operator)
        if state is not None:
            sql += " AND c.state = %s"
            params.append(state.value)
        sql += " ORDER BY c.number DESC LIMIT %s OFFSET %s"
        rows = await self._db.fetch_all(sql, (*params, limit, offset))
        return [
            ChatSummary(
                number=int(row[0]),
                opened_at=from_db_time(row[1]) or 0.0,
                visitor_name=str(row[2]),
                visitor=str(row[3]),
                operator=None if row[4] is None else str(row[4]),
                state=ChatState(row[5]),
                messages=int(row[6]),
                first_words=str(row[7] or ""),
            )
            for row in rows
        ]
