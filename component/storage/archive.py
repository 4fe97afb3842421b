"""Chats and messages: idempotent batch writes for the archive writer, and the open-chat restore."""

from __future__ import annotations

import logging
from typing import Any

from component.archive import ArchiveBatch, OperatorUpdate
from component.chat_events import SHOWN_NOTICES, ChatHistory
from component.chats import OpenChat
from component.models import Chat, ChatState, Message, Notice, Sender, VisitorKind
from component.storage import columns
from component.storage.columns import fit_bytes, fit_chars, fits_chars
from component.storage.database import Database, Row, from_db_time, to_db_time

log = logging.getLogger(__name__)

_UPSERT_CHATS = (
    "INSERT INTO chats (site_id, number, visitor, visitor_kind, visitor_name, state, operator_jid,"
    " opened_at, assigned_at, closed_at, route_reason)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    " ON DUPLICATE KEY UPDATE state = VALUES(state), operator_jid = VALUES(operator_jid),"
    " assigned_at = VALUES(assigned_at), closed_at = VALUES(closed_at),"
    " route_reason = VALUES(route_reason)"
)
_INSERT_MESSAGES = (
    "INSERT INTO messages (site_id, chat_number, seq, at, sender, author, body, notice,"
    " notice_detail) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON DUPLICATE KEY UPDATE seq = seq"
)
_MESSAGE_COLUMNS = "site_id, chat_number, seq, at, sender, author, body, notice, notice_detail"
_CHAT_COLUMNS = (
    "site_id, number, visitor, visitor_kind, visitor_name, state, operator_jid, opened_at,"
    " assigned_at, closed_at, route_reason"
)
_OPEN_STATES = (ChatState.QUEUED.value, ChatState.ASSIGNED.value)


class ArchiveRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def write_batch(self, batch: ArchiveBatch) -> None:
        """Store a batch in one transaction; re-storing the same rows changes nothing."""
        async with self._db.transaction() as cursor:
            if batch.chats:
                await cursor.executemany(_UPSERT_CHATS, [_chat_row(c) for c in batch.chats])
            if batch.messages:
                await cursor.executemany(
                    _INSERT_MESSAGES, [_message_row(m) for m in batch.messages]
                )
            for update in batch.operators:
                await _apply_operator_update(cursor, update)

    async def last_numbers(self) -> dict[int, int]:
        rows = await self._db.fetch_all("SELECT site_id, MAX(number) FROM chats GROUP BY site_id")
        return {int(site_id): int(number) for site_id, number in rows}

    async def open_chats(self) -> list[OpenChat]:
        """Chats still queued or assigned, with their transcripts, in number order."""
        rows = await self._db.fetch_all(
            f"SELECT {_CHAT_COLUMNS} FROM chats WHERE state IN (%s, %s) ORDER BY site_id, number",
            _OPEN_STATES,
        )
        entries = {(int(r[0]), int(r[1])): OpenChat(_chat(r)) for r in rows}
        if not entries:
            return []
        messages = await self._db.fetch_all(
            "SELECT m.site_id, m.chat_number, m.seq, m.at, m.sender, m.author, m.body, m.notice,"
            " m.notice_detail FROM messages m"
            " JOIN chats c ON c.site_id = m.site_id AND c.number = m.chat_number"
            " WHERE c.state IN (%s, %s) ORDER BY m.site_id, m.chat_number, m.seq",
            _OPEN_STATES,
        )
        for row in messages:
            entry = entries[(int(row[0]), int(row[1]))]
            message = _message(row)
            entry.transcript.append(message)
            entry.next_seq = message.seq + 1
        for entry in entries.values():
            entry.answered = any(
                m.sender is Sender.OPERATOR and m.at >= (entry.chat.assigned_at or 0)
                for m in entry.transcript
            )
        return list(entries.values())

    async def chat(self, site_id: int, number: int) -> Chat | None:
        rows = await self._db.fetch_all(
            f"SELECT {_CHAT_COLUMNS} FROM chats WHERE site_id = %s AND number = %s",
            (site_id, number),
        )
        return _chat(rows[0]) if rows else None

    async def messages(self, site_id: int, number: int) -> list[Message]:
        rows = await self._db.fetch_all(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages"
            " WHERE site_id = %s AND chat_number = %s ORDER BY seq",
            (site_id, number),
        )
        return [_message(row) for row in rows]

    async def web_history(
        self, site_id: int, number: int, limit: int, after: int | None = None
    ) -> ChatHistory:
        """The newest `limit` messages of a chat its web visitor was shown (with `after`, the
        first `limit` after that seq), the seq of its last message of all, and when it ended
        (SPEC §7.1: a web chat's log rebuilt, or read in pages from before what it holds)."""
        key = (site_id, number)
        shown = tuple(notice.value for notice in SHOWN_NOTICES)
        of_chat = (
            f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE site_id = %s AND chat_number = %s"
            " AND (sender <> %s OR notice IN (%s, %s, %s))"
        )
        of_key = (*key, Sender.SYSTEM.value, *shown)
        if after is None:
            newest = await self._db.fetch_all(
                f"{of_chat} ORDER BY seq DESC LIMIT %s", (*of_key, limit)
            )
            rows = list(reversed(newest))
        else:
            rows = await self._db.fetch_all(
                f"{of_chat} AND seq > %s ORDER BY seq LIMIT %s", (*of_key, after, limit)
            )
        ends = await self._db.fetch_all(
            "SELECT c.closed_at, (SELECT COALESCE(MAX(m.seq), 0) FROM messages m"
            " WHERE m.site_id = c.site_id AND m.chat_number = c.number)"
            " FROM chats c WHERE c.site_id = %s AND c.number = %s",
            key,
        )
        closed_at, last_seq = (from_db_time(ends[0][0]), int(ends[0][1])) if ends else (None, 0)
        return ChatHistory([_message(row) for row in rows], last_seq, closed_at)


async def _apply_operator_update(cursor: Any, update: OperatorUpdate) -> None:
    if not fits_chars(update.jid, columns.OPERATOR_JID_CHARS):
        log.warning("archive: operator update for a JID no operator row can hold, skipped")
        return  # it names no stored operator; a cut JID could name another one
    key = (update.site_id, update.jid)
    if update.last_assigned_at is not None:
        await cursor.execute(
            "UPDATE operators SET last_assigned_at = GREATEST(COALESCE(last_assigned_at, %s), %s)"
            " WHERE site_id = %s AND jid = %s",
            (to_db_time(update.last_assigned_at), to_db_time(update.last_assigned_at), *key),
        )
    if update.subscribed_at is not None or update.unsubscribed:
        await cursor.execute(
            "UPDATE operators SET subscribed_at = %s WHERE site_id = %s AND jid = %s",
            (to_db_time(update.subscribed_at), *key),
        )
    if update.paused is not None:
        await cursor.execute(
            "UPDATE operators SET paused = %s WHERE site_id = %s AND jid = %s",
            (update.paused, *key),
        )


def _chat_row(chat: Chat) -> tuple[Any, ...]:
    """The chat's column values, each cut to fit its column."""
    operator = chat.operator
    return (
        chat.site_id,
        chat.number,
        fit_chars(chat.visitor, columns.VISITOR_CHARS),
        chat.visitor_kind.value,
        fit_chars(chat.visitor_name, columns.VISITOR_NAME_CHARS),
        chat.state.value,
        None if operator is None else fit_chars(operator, columns.OPERATOR_JID_CHARS),
        to_db_time(chat.opened_at),
        to_db_time(chat.assigned_at),
        to_db_time(chat.closed_at),
        fit_bytes(chat.route_reason, columns.TEXT_BYTES),
    )


def _message_row(message: Message) -> tuple[Any, ...]:
    """The message's column values, each cut to fit its column."""
    return (
        message.site_id,
        message.chat_number,
        message.seq,
        to_db_time(message.at),
        message.sender.value,
        fit_chars(message.author, columns.AUTHOR_CHARS),
        fit_bytes(message.body, columns.MEDIUMTEXT_BYTES),
        message.notice.value,
        fit_chars(message.detail, columns.NOTICE_DETAIL_CHARS),
    )


def _chat(row: Row) -> Chat:
    return Chat(
        site_id=int(row[0]),
        number=int(row[1]),
        visitor=row[2],
        visitor_kind=VisitorKind(row[3]),
        visitor_name=row[4],
        state=ChatState(row[5]),
        operator=row[6],
        opened_at=from_db_time(row[7]) or 0.0,
        assigned_at=from_db_time(row[8]),
        closed_at=from_db_time(row[9]),
        route_reason=row[10],
    )


def _message(row: Row) -> Message:
    return Message(
        site_id=int(row[0]),
        chat_number=int(row[1]),
        seq=int(row[2]),
        at=from_db_time(row[3]) or 0.0,
        sender=Sender(row[4]),
        author=row[5],
        body=row[6],
        notice=Notice(row[7]),
        detail=row[8],
    )
