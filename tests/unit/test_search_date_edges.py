"""The search form's dates at the ends of the calendar: every day from 0001-01-01 to 9999-12-31
reads into a range the database can be asked about (MariaDB's DATETIME, through to_db_time)."""

from __future__ import annotations

from component.desk.search_view import parse_query
from component.storage.archive_search import search_sql


def test_the_last_day_of_the_calendar_has_no_upper_bound_to_overflow() -> None:
    query = parse_query({"query": "quick", "from": "9999-12-31", "to": "9999-12-31"})
    sql, params = search_sql(1, query, None, 0, 21)  # raised ValueError: year 10000
    assert query.until is None and query.since is not None
    assert "m.at >= %s" in sql and "m.at < %s" not in sql
    assert len(params) == sql.count("%s")


def test_the_first_day_of_the_calendar_is_a_lower_bound() -> None:
    query = parse_query({"query": "quick", "from": "0001-01-01", "to": "0001-01-01"})
    sql, params = search_sql(1, query, None, 0, 21)
    assert query.since is not None and query.until is not None
    assert "m.at >= %s" in sql and "m.at < %s" in sql
    assert len(params) == sql.count("%s")
