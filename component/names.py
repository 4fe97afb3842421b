"""Display names as the desk shows and stores them: printable, single-spaced, bounded."""

from __future__ import annotations

MAX_NAME_CHARS = 200


def clean_name(name: str) -> str:
    """A display name without control characters, at most MAX_NAME_CHARS long."""
    printable = "".join(ch for ch in name if ch.isprintable())
    return " ".join(printable.split())[:MAX_NAME_CHARS]
