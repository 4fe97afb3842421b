"""The archive reads behind `recent`, `transcript` and `search` (adhoc_archive.Browsing): the
writer's buffer flushed first, then the chats, the web cards and the messages from the database.
Wiring only; SQL stays in storage/."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from component.desk.ports import ChatSummary, SearchHit
from component.desk.search_view import SearchQuery
from component.models import Chat, ChatState, Message, VisitorCard
from component.storage.archive import ArchiveRepository
from component.storage.archive_search import ArchiveSearch
from component.storage.database import Database
from component.storage.recent_chats import RecentChats
from component.storage.web_chats import WebChatRepository


class ArchiveBrowsing:
    def __init__(self, db: Database, flush: Callable[[], Awaitable[None]]) -> None:
        self._flush = flush
        self._archive = ArchiveRepository(db)
        self._recent = RecentChats(db)
        self._search = ArchiveSearch(db)
        self._web = WebChatRepository(db)

    async def flush(self) -> None:
        await self._flush()

    async def recent(
        self,
        site_id: int,
        offset: int,
        limit: int,
        *,
        operator: str | None = None,
        state: ChatState | None = None,
    ) -> list[ChatSummary]:
        return await self._recent.recent(site_id, offset, limit, operator=operator, state=state)

    async def chat(self, site_id: int, number: int) -> Chat | None:
        return await self._archive.chat(site_id, number)

    async def card(self, site_id: int, number: int) -> VisitorCard | None:
        return await self._web.card(site_id, number)

    async def messages_between(
        self, site_id: int, number: int, after: int, through: int, limit: int
    ) -> list[Message]:
        return await self._archive.messages_between(site_id, number, after, through, limit)

    async def search(
        self, site_id: int, query: SearchQuery, operator: str | None, offset: int, limit: int
    ) -> list[SearchHit]:
        return await self._search.search(site_id, query, operator, offset, limit)
