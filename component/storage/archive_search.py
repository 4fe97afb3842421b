"""Full-text search over a site's messages for the `search` command (MariaDB FULLTEXT, InnoDB):
one row per chat with its latest matching message, newest chat first.

The site, the days and the operator are conditions in SQL; the user's text is always a bound
parameter (in boolean mode a malformed expression is InvalidInput, not a storage failure; in
natural mode the one text MariaDB cannot parse, a lone `*`, has no word and finds nothing).
A one-word query is first looked for by walking the site's newest messages (search_walk.py):
fast exactly when the word is common, which is when the index is slow; a page the walk cannot
fill is the index's to answer, with the same rows either way.
"""

from __future__ import annotations

from typing import Any

from component.desk.ports import SearchHit
from component.desk.search_view import SearchQuery
from component.errors import HelpDeskError, InvalidInput
from component.storage import search_walk
from component.storage.database import (
    Database,
    QueryTimeout,
    StorageError,
    from_db_time,
)
from component.storage.search_walk import (
    Pattern,
    first_chat_sql,
    hits_sql,
    walk_pattern,
    walk_sql,
)

BODY_CHARS = 4000
"""Of each matching message, what is read (its matching line is cut from this)."""
AGAINST = {
    "natural": "MATCH (m.body) AGAINST (%s IN NATURAL LANGUAGE MODE)",
    "boolean": "MATCH (m.body) AGAINST (%s IN BOOLEAN MODE)",
}
PARSE_ERROR = 1064
"""What MariaDB says of a boolean expression it cannot parse (`+`, `word)`, `--`)."""


class SearchTooSlow(HelpDeskError):
    """The database gave no answer in time (words in a great many messages)."""

    condition = "resource-constraint"


def search_sql(
    site_id: int, query: SearchQuery, operator: str | None, offset: int, limit: int
) -> tuple[str, list[Any]]:
    """The statement and its parameters: `operator`'s chats only when given."""
    return hits_sql(
        site_id, AGAINST[query.mode], [query.text], query, operator, offset, limit, BODY_CHARS
    )


class ArchiveSearch:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def search(
        self, site_id: int, query: SearchQuery, operator: str | None, offset: int, limit: int
    ) -> list[SearchHit]:
        """Up to `limit` chats from `offset` on whose messages match, newest chat first."""
        try:
            return _hits(await self._rows(site_id, query, operator, offset, limit))
        except QueryTimeout:
            raise SearchTooSlow(
                "the search took too long: its words are in too many messages;"
                " try rarer words (boolean mode: +word +word)"
            ) from None
        except StorageError as error:
            if query.mode == "natural" and _code(error) == PARSE_ERROR:
                return []  # a lone `*`: MariaDB's parser wants a word after it; none is there
            if query.mode == "boolean" and _code(error) == PARSE_ERROR:
                raise InvalidInput(
                    f"not a boolean search MariaDB can read: {_text(error)}"
                ) from None
            raise

    async def _rows(
        self, site_id: int, query: SearchQuery, operator: str | None, offset: int, limit: int
    ) -> list[Any]:
        pattern = walk_pattern(query)
        if pattern is not None:
            wanted = offset + limit
            probe = await self._walk(
                site_id, search_walk.PROBE_MESSAGES, query, pattern, operator, 0, wanted
            )
            if len(probe) == wanted:  # a full page among the newest messages: the same rows
                return probe[offset:]
            walked, probed = search_walk.WALK_MESSAGES, search_walk.PROBE_MESSAGES
            if len(probe) * walked >= wanted * probed:  # common enough to fill the longer walk
                rows = await self._walk(site_id, walked, query, pattern, operator, offset, limit)
                if len(rows) == limit:
                    return rows
        sql, params = search_sql(site_id, query, operator, offset, limit)
        return await self._db.fetch_all(sql, params)

    async def _walk(
        self,
        site_id: int,
        messages: int,
        query: SearchQuery,
        pattern: Pattern,
        operator: str | None,
        offset: int,
        limit: int,
    ) -> list[Any]:
        first = await self._db.fetch_all(*first_chat_sql(site_id, messages))
        first_chat = int(first[0][0]) if first else 0
        sql, params = walk_sql(
            site_id, first_chat, query, pattern, operator, offset, limit, BODY_CHARS
        )
        return await self._db.fetch_all(sql, params)


def _hits(rows: list[Any]) -> list[SearchHit]:
    return [
        SearchHit(
            number=int(row[0]),
            at=from_db_time(row[1]) or 0.0,
            visitor_name=str(row[2]),
            visitor=str(row[3]),
            operator=None if row[4] is None else str(row[4]),
            body=str(row[5]),
        )
        for row in rows
    ]


def _code(error: StorageError) -> int:
    args: tuple[Any, ...] = getattr(error.__cause__, "args", ())
    return args[0] if args and isinstance(args[0], int) else 0


def _text(error: StorageError) -> str:
    args: tuple[Any, ...] = getattr(error.__cause__, "args", ())
    return str(args[1]) if len(args) > 1 else "syntax error"
