"""Table web_chats: each web chat's token hash and its visitor's card (what they told about
themselves, and what the site's signed identity vouched for)."""

from __future__ import annotations

from component.models import ChatState, VisitorCard, WebChat
from component.storage import columns
from component.storage.columns import fit_chars
from component.storage.database import Database, Row

EMAIL_CHARS, URL_CHARS, LANG_CHARS, CUSTOMER_ID_CHARS, TITLE_CHARS = 254, 2000, 16, 200, 200
_OPEN_STATES = (ChatState.QUEUED.value, ChatState.ASSIGNED.value)


class WebChatRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add_web_chat(self, chat: WebChat) -> None:
        """Store a chat's token hash and card; the chat's row must be stored already."""
        card, chosen = chat.card, chat.card.chosen_operator
        await self._db.execute(
            "INSERT INTO web_chats (site_id, chat_number, token_hash, email, page, referrer, lang,"
            " verified, target, customer_id, chosen_operator, page_title)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                chat.site_id,
                chat.number,
                chat.token_hash,
                fit_chars(card.email, EMAIL_CHARS),
                fit_chars(card.page, URL_CHARS),
                fit_chars(card.referrer, URL_CHARS),
                fit_chars(card.lang, LANG_CHARS),
                card.verified,
                card.target,
                fit_chars(card.customer_id, CUSTOMER_ID_CHARS),
                None if chosen is None else fit_chars(chosen, columns.OPERATOR_JID_CHARS),
                fit_chars(card.page_title, TITLE_CHARS),
            ),
        )

    async def set_page(self, site_id: int, number: int, page: str, title: str) -> None:
        """The page the chat's visitor is on now (a `page` frame), for the card after a restart."""
        await self._db.execute(
            "UPDATE web_chats SET page = %s, page_title = %s"
            " WHERE site_id = %s AND chat_number = %s",
            (fit_chars(page, URL_CHARS), fit_chars(title, TITLE_CHARS), site_id, number),
        )

    async def open_cards(self) -> dict[tuple[int, int], VisitorCard]:
        """The cards of web chats still queued or assigned, by (site id, chat number): what a
        restart gives back to the open chats it restores."""
        rows = await self._db.fetch_all(
            "SELECT w.site_id, w.chat_number, w.email, w.page, w.referrer, w.lang, w.verified,"
            " w.target, w.customer_id, w.chosen_operator, w.page_title"
            " FROM web_chats w JOIN chats c ON c.site_id = w.site_id AND c.number = w.chat_number"
            " WHERE c.state IN (%s, %s)",
            _OPEN_STATES,
        )
        return {(int(row[0]), int(row[1])): _card(row) for row in rows}

    async def card(self, site_id: int, number: int) -> VisitorCard | None:
        """One web chat's card, open or closed (a transcript's header); None for other chats."""
        rows = await self._db.fetch_all(
            "SELECT w.site_id, w.chat_number, w.email, w.page, w.referrer, w.lang, w.verified,"
            " w.target, w.customer_id, w.chosen_operator, w.page_title"
            " FROM web_chats w WHERE w.site_id = %s AND w.chat_number = %s",
            (site_id, number),
        )
        return _card(rows[0]) if rows else None

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


def _card(row: Row) -> VisitorCard:
    return VisitorCard(
        email=str(row[2]),
        page=str(row[3]),
        referrer=str(row[4]),
        lang=str(row[5]),
        verified=bool(row[6]),
        target=bool(row[7]),
        customer_id=str(row[8]),
        chosen_operator=None if row[9] is None else str(row[9]),
        page_title=str(row[10]),
    )
