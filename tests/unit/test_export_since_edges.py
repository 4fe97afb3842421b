"""`archive export --since` at the ends of the calendar: a time that names no instant the
archive can hold (past 9999-12-31 or before 0001-01-01 once in UTC) is bad input, said so."""

from __future__ import annotations

import pytest

from component.archive_export import parse_since
from component.errors import InvalidInput
from component.storage.database import to_db_time


@pytest.mark.parametrize(
    "text", ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+01:00", "9999-12-31T23:00-01:00"]
)
def test_a_time_outside_the_calendar_in_utc_is_bad_input(text: str) -> None:
    with pytest.raises(InvalidInput, match="--since"):
        parse_since(text)


@pytest.mark.parametrize("text", ["9999-12-31", "0001-01-01", "9999-12-31T23:59:59Z"])
def test_the_ends_of_the_calendar_are_times_the_database_takes(text: str) -> None:
    assert to_db_time(parse_since(text)) is not None
