"""What the archive's `search` command asks the database for, and how it shows what it found:
the form's answers read into a SearchQuery (bad ones refused with InvalidInput), which operator's
chats a scope may search, and each hit's matching line cut around the words looked for.

Pure: plain values, no I/O, no clock (the dates are calendar days in UTC).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from component.desk.archive_view import Scope
from component.errors import InvalidInput

SEARCH_PAGE = 20
"""Chats on one page of `search`."""
MODES = ("natural", "boolean")
"""`natural`: any of the words, the best matches; `boolean`: "a phrase", +must -mustnot, word*."""
FIELDS = ("query", "from", "to", "operator", "mode")
"""The search form's field vars (SPEC §9), in the form's order."""
MAX_QUERY_CHARS = 200
LINE_CHARS = 120
"""A matching line at most, as the results table shows it."""
MIN_WORD_CHARS = 3
"""MariaDB's innodb_ft_min_token_size (default): shorter words are not in the index."""
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
WORD = re.compile(r"\w+", re.UNICODE)
LAST_DAY = datetime.combine(date.max, datetime.min.time(), UTC).timestamp()
"""9999-12-31, the last day a date can name: a range `to` it has no end (its next midnight is
no time Python or MariaDB's DATETIME can hold)."""


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """One search: the text as given (always a bound parameter), its mode, the days of the
    matching messages (`since` inclusive, `until` exclusive, epoch seconds) and one operator's
    chats only (a normalised bare JID)."""

    text: str
    mode: str = "natural"
    since: float | None = None
    until: float | None = None
    operator: str | None = None


def parse_query(values: Mapping[str, str]) -> SearchQuery:
    """The form's answers (`operator` already a normalised JID, or empty) as a SearchQuery."""
    text = values.get("query", "").strip()
    if not text:
        raise InvalidInput("missing: Query (the words to look for)")
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidInput(f"the query is longer than {MAX_QUERY_CHARS} characters")
    mode = values.get("mode", "").strip() or "natural"
    if mode not in MODES:
        raise InvalidInput(f"no search mode {mode!r} (natural or boolean)")
    since = _day(values.get("from", ""), "from")
    until = _day(values.get("to", ""), "to")
    if until is not None and until >= LAST_DAY:
        until = None  # nothing is later than the calendar's last day: no bound to overflow
    elif until is not None:
        until += timedelta(days=1).total_seconds()  # `to` is inclusive: up to its midnight
    if since is not None and until is not None and since >= until:
        raise InvalidInput("the date `from` is after the date `to`")
    operator = values.get("operator", "").strip() or None
    return SearchQuery(text, mode, since, until, operator)


def _day(text: str, field: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        if not DATE.fullmatch(text):
            raise ValueError(text)
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC).timestamp()
    except ValueError:
        raise InvalidInput(f"{field}: not a date {text!r} (YYYY-MM-DD)") from None


def operator_filter(scope: Scope, wanted: str | None) -> tuple[bool, str | None]:
    """(may find anything, the operator whose chats to search): a scope limited to its own chats
    searches only those, and finds nothing when asked for someone else's."""
    if scope.only_operator is None:
        return True, wanted
    return wanted in (None, scope.only_operator), scope.only_operator


def searchable(text: str) -> bool:
    """Whether the query has a word the index can hold (at least MIN_WORD_CHARS letters)."""
    return any(len(word) >= MIN_WORD_CHARS for word in WORD.findall(text))


def matching_line(body: str, query: str, width: int = LINE_CHARS) -> str:
    """The message on one line, at most `width` characters, around the first word of the query
    it contains (`…` where it was cut)."""
    line = " ".join(body.split())
    if len(line) <= width:
        return line
    folded = line.casefold()
    words = sorted(
        (w.casefold() for w in WORD.findall(query) if len(w) >= MIN_WORD_CHARS),
        key=len,
        reverse=True,
    )
    found = min((i for i in (folded.find(w) for w in words) if i >= 0), default=0)
    start = max(0, min(found - width // 4, len(line) - (width - 1)))
    if start == 0:
        return line[: width - 1] + "…"
    if start + width - 1 >= len(line):
        return "…" + line[start:]
    return "…" + line[start : start + width - 2] + "…"
