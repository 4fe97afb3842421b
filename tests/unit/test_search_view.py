"""The `search` form's answers read into a query, whose chats a scope searches, and the matching
line cut around the words (search_view.py), plus the SQL it becomes (storage/archive_search.py:
the user's text only ever a parameter)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import pytest

from component.desk.archive_view import Scope
from component.desk.search_view import (
    LINE_CHARS,
    SearchQuery,
    matching_line,
    operator_filter,
    parse_query,
    searchable,
)
from component.errors import InvalidInput
from component.models import Site
from component.storage.archive_search import ArchiveSearch, SearchTooSlow, search_sql
from component.storage.database import Database, QueryTimeout

SITE = Site(1, "acme", "Acme")


def day(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC).timestamp()


def test_answers_become_a_query_with_inclusive_days() -> None:
    query = parse_query(
        {"query": " заказ ", "from": "2026-03-01", "to": "2026-03-02", "operator": "bob@x"}
    )
    assert query == SearchQuery("заказ", "natural", day("2026-03-01"), day("2026-03-03"), "bob@x")
    assert parse_query({"query": '"a b"', "mode": "boolean"}).mode == "boolean"
    assert parse_query({"query": "x", "from": "", "to": "", "operator": " "}) == SearchQuery("x")


@pytest.mark.parametrize(
    ("answers", "says"),
    [
        ({}, "missing: Query"),
        ({"query": "   "}, "missing: Query"),
        ({"query": "x" * 201}, "longer than 200"),
        ({"query": "x", "mode": "regex"}, "no search mode 'regex'"),
        ({"query": "x", "from": "2026-02-30"}, "from: not a date '2026-02-30'"),
        ({"query": "x", "to": "1.2.2026"}, "to: not a date '1.2.2026'"),
        ({"query": "x", "from": "2026-1-1"}, "from: not a date"),
        ({"query": "x", "from": "2026-03-02", "to": "2026-03-01"}, "`from` is after"),
    ],
)
def test_bad_answers_are_refused(answers: dict[str, str], says: str) -> None:
    with pytest.raises(InvalidInput, match=says):
        parse_query(answers)


def test_one_day_is_a_valid_range() -> None:
    query = parse_query({"query": "x", "from": "2026-03-01", "to": "2026-03-01"})
    assert query.until is not None and query.since is not None
    assert query.until - query.since == 86400


@pytest.mark.parametrize(
    ("only", "wanted", "expected"),
    [
        (None, None, (True, None)),
        (None, "bob@x", (True, "bob@x")),
        ("bob@x", None, (True, "bob@x")),
        ("bob@x", "bob@x", (True, "bob@x")),
        ("bob@x", "alice@x", (False, "bob@x")),
    ],
)
def test_a_restricted_scope_searches_its_own_chats_only(
    only: str | None, wanted: str | None, expected: tuple[bool, str | None]
) -> None:
    assert operator_filter(Scope(SITE, "bob@x", only), wanted) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("ok", False), ("ok no", False), ("заказ", True), ("a to the", True), ("<b>x</b>", False)],
)
def test_searchable_words_have_three_letters(text: str, expected: bool) -> None:
    assert searchable(text) is expected


def test_the_matching_line_is_cut_around_the_word() -> None:
    assert matching_line("short\nline  here", "line") == "short line here"
    body = "начало " * 40 + "Заказ номер 123 не пришёл " + "конец " * 40
    line = matching_line(body, "заказ")
    assert len(line) == LINE_CHARS and line.startswith("…") and line.endswith("…")
    assert "Заказ номер 123" in line
    head = matching_line("needle " + "x" * 300, "needle")
    assert head.startswith("needle") and head.endswith("…") and len(head) == LINE_CHARS
    tail = matching_line("x" * 300 + " needle", "needle")
    assert tail.endswith("needle") and tail.startswith("…") and len(tail) <= LINE_CHARS
    assert matching_line("y" * 300, "absent").startswith("yyy")


def test_the_query_text_is_only_ever_a_parameter() -> None:
    text = "'; DROP TABLE messages; -- <b>"
    query = SearchQuery(text, "boolean", 1.0, 2.0, None)
    sql, params = search_sql(7, query, "bob@x", 40, 21)
    assert text not in sql and "IN BOOLEAN MODE" in sql
    assert text in params and "bob@x" in params
    assert sql.count("%s") == len(params)
    assert params[-3:] == [21, 40, 7]  # limit, offset, the site again for the outer join
    natural, args = search_sql(7, SearchQuery("x"), None, 0, 21)
    assert "NATURAL LANGUAGE MODE" in natural and "oc.operator_jid" not in natural
    assert natural.count("%s") == len(args) and args.count(7) == 2


class SlowDatabase:
    async def fetch_all(self, sql: str, args: Any = ()) -> list[Any]:
        raise QueryTimeout("no answer within 10 s")


async def test_a_search_the_database_cannot_answer_in_time_says_so() -> None:
    search = ArchiveSearch(cast(Database, SlowDatabase()))
    with pytest.raises(SearchTooSlow, match="took too long") as raised:
        await search.search(1, SearchQuery("order"), None, 0, 21)
    assert raised.value.condition == "resource-constraint"
