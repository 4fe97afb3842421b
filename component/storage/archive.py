"""Chats and messages: idempotent batch writes for the archive writer, the open-chat restore (the
tails and counts the desk keeps, never whole transcripts) and reads of a chat in pages."""

from __future__ import annotations

import logging
from typing import Any

from component.archive import ArchiveBatch, OperatorUpdate
from component.chat_events import SHOWN_NOTICES, ChatHistory, ChatKey
from component.chat_tail import DEFAULT_LIMITS, ChatTail, TailLimits
from component.chats import OpenChat
from component.models import Chat, ChatState, Message, Notice, Sender, VisitorKind
from component.storage import columns
from component.storage.columns import fit_bytes, fit_chars, fits_chars
from component.storage.database import Database, Row, from_db_time, to_db_time
from component.storage.records import write_records

log = logging.getLogger(__name__)

_UPSERT_CHATS = (
    "INSERT INTO chats (site_id, number, visitor, visitor_kind, visitor_name, state, operator_jid,"
    " opened_at, assigned_at, closed_at, route_reason, lang)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
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
    " assigned_at, closed_at, route_reason, lang"
)
_OPEN_STATES = (ChatState.QUEUED.value, ChatState.ASSIGNED.value)
_OF_OPEN_CHATS = (
    " FROM messages x JOIN chats c ON c.site_id = x.site_id AND c.number = x.chat_number"
    " WHERE c.state IN (%s, %s)"
)
_OPEN_CHAT_COUNTS = (
    "SELECT x.site_id, x.chat_number, MAX(x.seq), COALESCE(SUM(x.sender = %s), 0),"
    " COALESCE(SUM(x.sender = %s), 0),"
    " MAX(x.sender = %s AND x.at >= COALESCE(c.assigned_at, x.at)),"
    " MAX(CASE WHEN x.sender IN (%s, %s) THEN x.at END)"
    f"{_OF_OPEN_CHATS} GROUP BY x.site_id, x.chat_number"
)
_OPEN_CHAT_TAILS = (
    "SELECT m.site_id, m.chat_number, m.seq, m.at, m.sender, m.author, m.body, m.notice,"
    " m.notice_detail FROM messages m JOIN (SELECT x.site_id, x.chat_number, MAX(x.seq) AS last"
    f"{_OF_OPEN_CHATS} GROUP BY x.site_id, x.chat_number) t"
    " ON t.site_id = m.site_id AND t.chat_number = m.chat_number"
    " WHERE m.seq + %s > t.last ORDER BY m.site_id, m.chat_number, m.seq"
)
_OPEN_CHAT_FIRSTS = (
    "SELECT m.site_id, m.chat_number, m.seq, m.at, m.sender, m.author, m.body, m.notice,"
    " m.notice_detail FROM messages m JOIN (SELECT x.site_id, x.chat_number, MIN(x.seq) AS seq"
    f"{_OF_OPEN_CHATS} AND x.sender = %s GROUP BY x.site_id, x.chat_number) f"
    " ON f.site_id = m.site_id AND f.chat_number = m.chat_number AND f.seq = m.seq"
)


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
            if batch.records:
                await write_records(cursor, batch.records)

    async def last_numbers(self) -> dict[int, int]:
        rows = await self._db.fetch_all("SELECT site_id, MAX(number) FROM chats GROUP BY site_id")
        return {int(site_id): int(number) for site_id, number in rows}

    async def open_chats(self, tail: TailLimits = DEFAULT_LIMITS) -> list[OpenChat]:
        """Chats still queued or assigned, in number order, with what the desk keeps of them: the
        newest `tail.messages` messages, the counts, the visitor's first message and whether
        the operator answered since the assignment (whole transcripts stay in the database)."""
        rows = await self._db.fetch_all(
            f"SELECT {_CHAT_COLUMNS} FROM chats WHERE state IN (%s, %s) ORDER BY site_id, number",
            _OPEN_STATES,
        )
        entries = {(int(r[0]), int(r[1])): OpenChat(_chat(r)) for r in rows}
        if entries:
            await self._restore_counts(entries)
            await self._restore_tails(entries, tail)
            await self._restore_first_messages(entries)
        return list(entries.values())

    async def _restore_counts(self, entries: dict[ChatKey, OpenChat]) -> None:
        """Per chat: the next seq, messages by sender, answered since its assignment, when its
        visitor or an operator last wrote."""
        visitor_op = (Sender.VISITOR.value, Sender.OPERATOR.value)
        senders = (*visitor_op, Sender.OPERATOR.value, *visitor_op)
        rows = await self._db.fetch_all(_OPEN_CHAT_COUNTS, (*senders, *_OPEN_STATES))
        for site_id, number, last, visitor, operator, answered, words_at in rows:
            entry = entries[(int(site_id), int(number))]
            entry.next_seq = int(last) + 1
            entry.visitor_messages, entry.operator_messages = int(visitor), int(operator)
            entry.answered = bool(answered)
            entry.last_words_at = from_db_time(words_at)

    async def _restore_tails(self, entries: dict[ChatKey, OpenChat], limits: TailLimits) -> None:
        """Per chat its newest messages, by seq (the PRIMARY KEY range), cut to the limits."""
        rows = await self._db.fetch_all(_OPEN_CHAT_TAILS, (*_OPEN_STATES, limits.messages))
        newest: dict[ChatKey, list[Message]] = {}
        for row in rows:
            newest.setdefault((int(row[0]), int(row[1])), []).append(_message(row))
        for key, messages in newest.items():
            entries[key].tail = ChatTail.restored(messages, messages[0].seq - 1, limits)

    async def _restore_first_messages(self, entries: dict[ChatKey, OpenChat]) -> None:
        """Per chat its visitor's first message (a first operator's header shows it)."""
        rows = await self._db.fetch_all(_OPEN_CHAT_FIRSTS, (*_OPEN_STATES, Sender.VISITOR.value))
        for row in rows:
            entries[(int(row[0]), int(row[1]))].first_visitor = _message(row)

    async def messages_between(
        self, site_id: int, number: int, after: int, through: int, limit: int
    ) -> list[Message]:
        """The chat's messages after the seq `after` up to `through`, the first `limit` of them
        in seq order (read a long transcript in pages: the next one after the last seq got)."""
        rows = await self._db.fetch_all(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE site_id = %s AND chat_number = %s"
            " AND seq > %s AND seq <= %s ORDER BY seq LIMIT %s",
            (site_id, number, after, through, limit),
        )
        return [_message(row) for row in rows]

    async def chat(self, site_id: int, number: int) -> Chat | None:
        rows = await self._db.fetch_all(
            f"SELECT {_CHAT_COLUMNS} FROM chats WHERE site_id = %s AND number = %s",
            (site_id, number),
        )
        return _chat(rows[0]) if rows else None

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
        chat.lang if fits_chars(chat.lang, columns.LANG_CHARS) and chat.lang.isascii() else "",
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
        lang=row[11],
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
