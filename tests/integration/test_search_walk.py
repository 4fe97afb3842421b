"""The newest-first walk of `search` over the real MariaDB finds exactly the chats, the matching
messages and the order the full-text index finds, for tricky words (accents, `ё`, `й`, words
inside others, joined by `-` or `_`, next to digits), in natural and boolean mode, with an
operator and a date filter, page after page; and never a word of another site."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from component.desk.search_view import SearchQuery
from component.storage import Database, search_walk
from component.storage.archive_search import BODY_CHARS, ArchiveSearch, search_sql
from component.storage.schema import init_schema
from component.storage.search_walk import first_chat_sql, walk_pattern, walk_sql
from tests.integration.schema_fixtures import NewDatabase

pytestmark = pytest.mark.integration

BODIES = [
    "Счёт оплачен, спасибо",
    "счет готов",
    "the CAFÉ is open",
    "a cafe nearby",
    "send me an e-mail",
    "x_mail and mail2",
    "MAIL!",
    "mailbox email",
    "йод",
    "иод и ещё",
    "заказы",
    "Заказ пришёл",
    "order refund order",
    "nothing here",
    "Straße frei",
    "reset the paßword",
    "password again",
]
WORDS = [
    "счет",
    "счёт",
    "cafe",
    "café",
    "mail",
    "йод",
    "иод",
    "заказ",
    "order",
    "refund",
    "strasse",
    "password",
]
CHATS, SITE_CHATS = 60, 5
DAY = 86400.0
START = datetime(2025, 3, 1, tzinfo=UTC).timestamp()


async def an_archive(db: Database) -> tuple[int, int]:
    """Sites `acme` (CHATS chats, 3 messages each, bodies in turn) and `other` (the same words)."""
    await init_schema(db)
    for slug in ("acme", "other"):
        await db.execute(
            "INSERT INTO sites (slug, name, created_at) VALUES (%s, %s, NOW())", [slug, slug]
        )
    ids = [int(r[0]) for r in await db.fetch_all("SELECT id FROM sites ORDER BY slug")]
    acme, other = ids
    for site, chats in ((acme, CHATS), (other, SITE_CHATS)):
        for number in range(1, chats + 1):
            opened = datetime.fromtimestamp(START + number * DAY, UTC)
            operator = "op@x" if number % 3 else "colleague@x"
            await db.execute(
                "INSERT INTO chats (site_id, number, visitor, visitor_kind, visitor_name, state,"
                " operator_jid, opened_at, route_reason) VALUES"
                " (%s, %s, 'v@x', 'xmpp', 'V', 'closed', %s, %s, '')",
                [site, number, operator, opened],
            )
            for seq in range(1, 4):
                body = BODIES[(number * 3 + seq * (number % 4 + 1)) % len(BODIES)]
                sender = "system" if seq == 3 and number % 5 == 0 else "visitor"
                await db.execute(
                    "INSERT INTO messages (site_id, chat_number, seq, at, sender, author, body)"
                    " VALUES (%s, %s, %s, %s, %s, 'v@x', %s)",
                    [site, number, seq, opened, sender, body],
                )
    return acme, other


async def by_index(db: Database, site: int, query: SearchQuery, offset: int, limit: int) -> Any:
    return await db.fetch_all(*search_sql(site, query, query.operator, offset, limit))


async def by_walk(
    db: Database, site: int, query: SearchQuery, offset: int, limit: int, messages: int = 10_000
) -> Any:
    pattern = walk_pattern(query)
    assert pattern is not None
    first = await db.fetch_all(*first_chat_sql(site, messages))
    first_chat = int(first[0][0]) if first else 0
    sql, params = walk_sql(
        site, first_chat, query, pattern, query.operator, offset, limit, BODY_CHARS
    )
    return await db.fetch_all(sql, params)


QUERIES = [
    *(SearchQuery(word) for word in WORDS),
    *(SearchQuery(f"+{word}", "boolean") for word in WORDS[:4]),
    SearchQuery("Mail", operator="op@x"),
    SearchQuery("счёт", since=START + 20 * DAY, until=START + 40 * DAY),
]


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: f"{q.mode}:{q.text}")
async def test_the_walk_over_every_message_finds_what_the_index_finds(
    new_database: NewDatabase, query: SearchQuery
) -> None:
    db = await new_database()
    acme, other = await an_archive(db)
    for site in (acme, other):
        for offset, limit in ((0, 200), (0, 7), (7, 7), (14, 7)):
            expected = await by_index(db, site, query, offset, limit)
            assert await by_walk(db, site, query, offset, limit) == expected
    everything = await by_index(db, acme, query, 0, 200)
    assert everything, "a word of the archive is found"
    assert len(everything) < CHATS, "and not in every chat"


async def test_search_walks_when_the_newest_messages_fill_the_page_and_asks_the_index_if_not(
    new_database: NewDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = await new_database()
    acme, other = await an_archive(db)
    search = ArchiveSearch(db)
    for probed, walked in ((6, 30), (15, 90), (3, 3), (3, 1000), (1000, 1000)):
        monkeypatch.setattr(search_walk, "PROBE_MESSAGES", probed)
        monkeypatch.setattr(search_walk, "WALK_MESSAGES", walked)
        for query in QUERIES:
            for offset in (0, 5):
                hits = await search.search(acme, query, query.operator, offset, 5)
                rows = await by_index(db, acme, query, offset, 5)
                assert [(h.number, h.body) for h in hits] == [(r[0], r[5]) for r in rows]
    filled = [len(await by_walk(db, acme, query, 0, 5, 90)) == 5 for query in QUERIES]
    assert any(filled), "some pages came from the walk"
    assert not all(filled), "and some from the index"
    assert [h.number for h in await search.search(other, SearchQuery("order"), None, 0, 50)] == [
        r[0] for r in await by_index(db, other, SearchQuery("order"), 0, 50)
    ]
    assert all(r[0] <= SITE_CHATS for r in await by_walk(db, other, SearchQuery("mail"), 0, 50))
