"""The export's rows as JSON lines and CSV: hostile text (commas, quotes, newlines, markup,
Cyrillic) comes back as it was; times in ISO 8601 UTC with microseconds; --since parsed or
refused."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from component.archive_export import (
    COLUMNS,
    ExportRow,
    csv_lines,
    iso_utc,
    jsonl_line,
    parse_since,
)
from component.errors import InvalidInput

HOSTILE = 'Ann "the, hacker" O\'Neil\n<script>alert(1)</script>, Анна; =1+2\r\nend'

ROW = ExportRow(
    chat=7,
    opened_at="2026-01-31T09:05:00.000001Z",
    closed_at="",
    state="assigned",
    operator="alice@example.com",
    visitor_kind="web",
    visitor="web-1",
    visitor_name=HOSTILE,
    visitor_email="ann@example.com",
    visitor_page='https://shop.test/?a=1,b="2"',
    seq=3,
    at="2026-01-31T09:05:01.999999Z",
    sender="visitor",
    author="web-1",
    text=HOSTILE + '\n\n"quoted"',
)


def test_a_json_line_is_one_line_and_round_trips() -> None:
    line = jsonl_line(ROW)
    assert line.endswith("\n") and line.count("\n") == 1
    assert json.loads(line) == dict(zip(COLUMNS, (getattr(ROW, c) for c in COLUMNS), strict=True))
    assert "Анна" in line, "text as it is, not \\u escapes"


def test_csv_has_a_header_and_round_trips() -> None:
    other = replace(ROW, chat=8, seq=1, text="plain")
    text = csv_lines([ROW], header=True) + csv_lines([other])
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == list(COLUMNS)
    assert rows[1] == [str(getattr(ROW, c)) for c in COLUMNS]
    assert rows[2][COLUMNS.index("text")] == "plain" and len(rows) == 3


def test_times_are_iso_utc_with_microseconds() -> None:
    assert iso_utc(datetime(2026, 1, 2, 3, 4, 5, 6)) == "2026-01-02T03:04:05.000006Z"
    assert iso_utc(datetime(2026, 1, 2)) == "2026-01-02T00:00:00.000000Z"
    assert iso_utc(None) == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-31", datetime(2026, 1, 31, tzinfo=UTC)),
        ("2026-01-31T09:30:00Z", datetime(2026, 1, 31, 9, 30, tzinfo=UTC)),
        ("2026-01-31T12:30:00+03:00", datetime(2026, 1, 31, 9, 30, tzinfo=UTC)),
    ],
)
def test_since_is_a_date_or_a_time_in_utc_unless_it_says(text: str, expected: datetime) -> None:
    assert parse_since(text) == expected.timestamp()


@pytest.mark.parametrize("text", ["yesterday", "2026-13-01", "", "31.01.2026"])
def test_a_bad_since_is_refused_naming_the_option(text: str) -> None:
    with pytest.raises(InvalidInput, match="bad --since"):
        parse_since(text)
