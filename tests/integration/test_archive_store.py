"""The archive writer over the real MariaDB with a table missing: its rows wait, and are stored
exactly once when it is back."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from component.archive import ArchiveWriter
from component.models import Chat, ChatState, Message, Sender, VisitorKind
from component.storage.archive import ArchiveRepository
from tests.integration.helpdesk_fixtures import Desk

BODY = "private body"


async def acme_id(desk: Desk) -> int:
    return int((await desk.rows("SELECT id FROM sites WHERE slug = 'acme'"))[0][0])


def a_chat(site_id: int, number: int = 1, **changes: object) -> Chat:
    chat = Chat(site_id, number, "v@x", VisitorKind.XMPP, "V", ChatState.QUEUED, opened_at=1e9)
    return replace(chat, **changes)


def a_message(site_id: int, seq: int, number: int = 1) -> Message:
    return Message(site_id, number, seq, 1e9 + seq, Sender.VISITOR, "v@x", f"{BODY} {seq}")


def writer_for(repo: ArchiveRepository) -> ArchiveWriter:
    return ArchiveWriter(repo, flush_interval=0.01, batch_size=50, retry_max_delay=0.1)


async def stored(desk: Desk, number: int = 1) -> list[tuple[int, str]]:
    return [
        (int(seq), str(body))
        for seq, body in await desk.rows(
            "SELECT seq, body FROM messages WHERE chat_number = %s ORDER BY seq", number
        )
    ]


async def test_rows_wait_for_a_missing_table_and_are_stored_once_it_is_back(desk: Desk) -> None:
    site_id = await acme_id(desk)
    writer = writer_for(ArchiveRepository(desk.db))
    writer.add_chat(a_chat(site_id))
    writer.add_message(a_message(site_id, 1))
    await writer.flush()
    await desk.db.execute("RENAME TABLE messages TO messages_away")
    writer.start()
    try:
        for seq in range(2, 21):
            writer.add_message(a_message(site_id, seq))
        writer.add_chat(a_chat(site_id, state=ChatState.CLOSED, closed_at=1e9 + 30))
        await desk.wait_for(lambda: writer.failures >= 2, timeout=10)
        assert writer.backlog == 20
    finally:
        await desk.db.execute("RENAME TABLE messages_away TO messages")
    await asyncio.wait_for(writer.flush(), 30)
    await writer.close()
    assert await stored(desk) == [(seq, f"{BODY} {seq}") for seq in range(1, 21)]
    assert await desk.rows("SELECT state FROM chats") == [("closed",)]
