"""What `helperchat archive export` writes: one row per message with its chat's fields, as JSON
lines or CSV with a header. Pure: formats values only; the paging is in storage/export.py.

Times are ISO 8601 in UTC with microseconds (`2026-01-31T09:05:00.000001Z`); text is written as
stored (JSON and the csv module quote it: commas, quotes, newlines and markup come back as they
were). A chat without messages has no row.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import astuple, dataclass, fields
from datetime import UTC, datetime

from component.errors import InvalidInput

FORMATS = ("jsonl", "csv")


@dataclass(frozen=True, slots=True)
class ExportRow:
    """One message of the export and the fields of its chat (a web chat's card: email, page)."""

    chat: int
    opened_at: str
    closed_at: str  # "" while the chat is open
    state: str
    operator: str  # "" when nobody had it
    visitor_kind: str
    visitor: str
    visitor_name: str
    visitor_email: str
    visitor_page: str
    seq: int
    at: str
    sender: str  # visitor, operator or system
    author: str
    text: str


COLUMNS = tuple(f.name for f in fields(ExportRow))


def iso_utc(value: datetime | None) -> str:
    """A stored (naive UTC) time as ISO 8601 with microseconds and Z; "" for none."""
    if value is None:
        return ""
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_since(text: str) -> float:
    """`--since`: a date (YYYY-MM-DD) or an ISO 8601 time, UTC unless it says otherwise."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"bad --since {text!r}: expected a date like 2026-01-31 or a time like"
            " 2026-01-31T09:00:00Z"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        value.astimezone(UTC)  # OverflowError past 9999-12-31 or before 0001-01-01 in UTC
    except OverflowError:
        raise InvalidInput(
            f"bad --since {text!r}: in UTC it is outside 0001-01-01..9999-12-31"
        ) from None
    return value.timestamp()


def jsonl_line(row: ExportRow) -> str:
    """One JSON object on one line (newlines in text are escaped), with a newline."""
    return json.dumps(dict(zip(COLUMNS, astuple(row), strict=True)), ensure_ascii=False) + "\n"


def csv_lines(rows: list[ExportRow], *, header: bool = False) -> str:
    """CSV records (RFC 4180: CRLF, fields quoted where needed), the header first if asked."""
    out = io.StringIO()
    writer = csv.writer(out)
    if header:
        writer.writerow(COLUMNS)
    writer.writerows(astuple(row) for row in rows)
    return out.getvalue()
