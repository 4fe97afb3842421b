"""Column sizes of schema/mysql.sql, and cutting values to them before they reach MySQL.

VARCHAR(n) holds n characters; TEXT types hold a number of bytes (utf8mb4: up to 4 a character).
Text that is not valid Unicode (lone surrogates) gets "?" in their place. Imports no library.
"""

from __future__ import annotations

VISITOR_CHARS = 3071  # chats.visitor: a full JID
VISITOR_NAME_CHARS = 200  # chats.visitor_name
OPERATOR_JID_CHARS = 255  # chats.operator_jid, operators.jid
AUTHOR_CHARS = 3071  # messages.author: a full JID
NOTICE_DETAIL_CHARS = 200  # messages.notice_detail: a queue position or an operator's name
LANG_CHARS = 16  # chats.lang: a catalogue language
TEXT_BYTES = 65_535  # chats.route_reason (TEXT)
MEDIUMTEXT_BYTES = 16_777_215  # messages.body (MEDIUMTEXT)


def fit_chars(value: str, limit: int) -> str:
    """`value` as valid UTF-8 text of at most `limit` characters (a VARCHAR)."""
    return _valid(value)[:limit]


def fit_bytes(value: str, limit: int) -> str:
    """`value` as valid UTF-8 text of at most `limit` bytes, never cut inside a character."""
    value = _valid(value)
    if len(value) * 4 <= limit:  # short enough whatever its characters
        return value
    return value.encode("utf-8")[:limit].decode("utf-8", "ignore")


def fits_chars(value: str, limit: int) -> bool:
    """Whether `value` can be stored unchanged in a VARCHAR(`limit`)."""
    return len(value) <= limit and _valid(value) is value


def _valid(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "replace").decode("utf-8")
    return value
