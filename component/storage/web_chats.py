"""Table web_chats: each web chat's token hash and what its visitor told about themselves."""

from __future__ import annotations

from component.models import WebChat
from component.storage.columns import fit_chars
from component.storage.database import Database

EMAIL_CHARS, URL_CHARS, LANG_CHARS = 254, 2000, 16


class WebChatRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add_web_chat(self, chat: WebChat) -> None:
        """Store a chat's token hash; the chat's row must be stored already (foreign key)."""
        await self._db.execute(
            "INSERT INTO web_chats (site_id, chat_number, token_hash, email, page, referrer, lang)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (
                chat.site_id,
                chat.number,
                chat.token_hash,
                fit_chars(chat.email, EMAIL_CHARS),
                fit_chars(chat.page, URL_CHARS),
                fit_chars(chat.referrer, URL_CHARS),
                fit_chars(chat.lang, LANG_CHARS),
            ),
        )

    async def token_hash_of(self, site_id: int, number: int) -> str | None:
        rows = await self._db.fetch_all(
            "SELECT token_hash FROM web_chats WHERE site_id = %s AND chat_number = %s",
            (site_id, number),
        )
        return str(rows[0][0]) if rows else None

    async def is_known_hash(self, token_hash: str) -> bool:
        """Whether some chat has this token (for telling 'not yours' from 'no such token')."""
        rows = await self._db.fetch_all(
            "SELECT 1 FROM web_chats WHERE token_hash = %s", (token_hash,)
        )
        return bool(rows)
