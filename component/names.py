"""Display names and visitors' details as the desk shows and stores them: printable, single-line,
single-spaced, bounded."""

from __future__ import annotations

MAX_NAME_CHARS = 200


def clean_name(name: str) -> str:
    """A display name without control characters, at most MAX_NAME_CHARS long."""
    return one_line(name, MAX_NAME_CHARS)


def one_line(value: str, limit: int) -> str:
    """`value` without control or format characters (nothing can reorder the text), every run of
    whitespace and line breaks as one space (nothing can start a new line), at most `limit`
    characters."""
    printable = "".join(ch for ch in value if ch.isprintable() or ch.isspace())
    return " ".join(printable.split())[:limit]
