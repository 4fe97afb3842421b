"""Chats written into the real archive at chosen ages (through the archive's own batch write),
and counts of what a site has left, for the retention and export tests."""

from __future__ import annotations

import time

from component.archive import ArchiveBatch
from component.models import Chat, ChatState, Message, Sender, VisitorCard, VisitorKind, WebChat
from component.retention import DAY_SECONDS
from component.storage.archive import ArchiveRepository
from component.storage.web_chats import WebChatRepository
from tests.integration.helpdesk_fixtures import Desk

OPEN = (ChatState.QUEUED, ChatState.ASSIGNED)


async def add_site(desk: Desk, slug: str, retention_days: int = 0) -> int:
    if slug != "acme":
        await desk.admin.add_site(slug, slug.title())
    if retention_days:
        await desk.db.execute(
            "UPDATE sites SET retention_days = %s WHERE slug = %s", (retention_days, slug)
        )
    return await site_id(desk, slug)


async def site_id(desk: Desk, slug: str) -> int:
    return int((await desk.rows("SELECT id FROM sites WHERE slug = %s", slug))[0][0])


async def seed_chat(
    desk: Desk,
    site: int,
    number: int,
    *,
    age_days: float,
    state: ChatState = ChatState.CLOSED,
    closed_age_days: float | None = None,
    messages: int = 3,
    last_message_age_days: float | None = None,
    visitor_name: str = "",
    texts: tuple[str, ...] = (),
    card: VisitorCard | None = None,
) -> Chat:
    """A chat opened `age_days` ago (closed a minute later unless said), with `messages`
    messages a second apart (the last one `last_message_age_days` ago if given, or `texts`)."""
    now = time.time()
    opened = now - age_days * DAY_SECONDS
    closed = None
    if state not in OPEN:
        closed = opened + 60 if closed_age_days is None else now - closed_age_days * DAY_SECONDS
    kind = VisitorKind.WEB if card is not None else VisitorKind.XMPP
    visitor = f"v{number}@example.org" if card is None else f"web-{site}-{number}"
    chat = Chat(
        site, number, visitor, kind, visitor_name or f"Visitor {number}", state, opened,
        operator=None if state is ChatState.QUEUED else "alice@example.com",
        closed_at=closed, route_reason="seeded",
    )  # fmt: skip
    lines = texts or tuple(f"line {seq} of chat {number}" for seq in range(1, messages + 1))
    rows = []
    for seq, text in enumerate(lines, start=1):
        sender, author = (
            (Sender.VISITOR, visitor) if seq % 2 else (Sender.OPERATOR, "alice@example.com")
        )
        rows.append(Message(site, number, seq, opened + seq, sender, author, text))
    if last_message_age_days is not None and rows:
        last = rows[-1]
        at = now - last_message_age_days * DAY_SECONDS
        rows[-1] = Message(site, number, last.seq, at, last.sender, last.author, last.body)
    await ArchiveRepository(desk.db).write_batch(ArchiveBatch((chat,), tuple(rows)))
    if card is not None:
        token = f"{site:08x}{number:056x}"
        await WebChatRepository(desk.db).add_web_chat(WebChat(site, number, token, card))
    return chat


async def numbers(desk: Desk, site: int) -> list[int]:
    rows = await desk.rows("SELECT number FROM chats WHERE site_id = %s ORDER BY number", site)
    return [int(row[0]) for row in rows]


async def counts(desk: Desk) -> dict[str, int]:
    """Rows of every table a chat has, over all sites."""
    tables = ("chats", "messages", "web_chats", "feedback")
    return {t: int((await desk.rows(f"SELECT COUNT(*) FROM {t}"))[0][0]) for t in tables}
