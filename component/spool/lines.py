"""The spool file format: archive rows as JSON lines, and a file's bytes read back (PURE).

A file is a header line, `{"helperchat_spool": 1, "component", "database", "rows"}` (whose rows
they are, and how many follow), then one line per row, `{"kind": "chat"|"message"|"operator"|...,
<every field of the row>}` (the kinds of records.py too): chats, then messages, then operator
updates, then records. Times are the rows' own POSIX floats, which JSON writes and reads back
bit for bit (exact to the microsecond); text is escaped to ASCII, so a line never holds a line
break of its own. Reading keeps the whole lines and skips, with the reason, each line that is
not a valid row. Must not import asyncio or an adapter library.
"""

from __future__ import annotations

import json
import math
import types
from dataclasses import MISSING, dataclass, fields
from enum import Enum
from typing import Any, TypeGuard, Union, get_args, get_origin, get_type_hints

from component.archive import ArchiveBatch, OperatorUpdate
from component.models import Chat, Message
from component.records import RECORD_KINDS, Record

FORMAT_VERSION = 1

Row = Chat | Message | OperatorUpdate | Record
_KINDS: dict[str, type[Row]] = {
    "chat": Chat,
    "message": Message,
    "operator": OperatorUpdate,
    **RECORD_KINDS,
}
_KIND_OF = {cls: kind for kind, cls in _KINDS.items()}


class BadLine(ValueError):
    """A line that is not a valid header or row; the message says why (never a row's text)."""


@dataclass(frozen=True, slots=True)
class SpoolOwner:
    """Whose rows a file holds: one component's, bound for one database."""

    component: str
    database: str


@dataclass(frozen=True, slots=True)
class SpoolContents:
    """What a file's bytes hold: its owner (None without a valid header), the rows it announced
    and those read, the lines skipped (each with its number and why), and the bytes of a last
    line cut short (a crash while writing), which are ignored."""

    owner: SpoolOwner | None
    announced: int
    batch: ArchiveBatch
    skipped: tuple[str, ...] = ()
    ignored_bytes: int = 0
    whole_lines: int = 0


def encode_spool(owner: SpoolOwner, batch: ArchiveBatch) -> bytes:
    """The whole file for `batch`: its header line, then one line per row."""
    header = {
        "helperchat_spool": FORMAT_VERSION,
        "component": owner.component,
        "database": owner.database,
        "rows": len(batch),
    }
    rows: tuple[Row, ...] = (*batch.chats, *batch.messages, *batch.operators, *batch.records)
    return b"".join([_line(header), *(encode_row(row) for row in rows)])


def encode_row(row: Row) -> bytes:
    values = {f.name: getattr(row, f.name) for f in fields(row)}
    return _line({"kind": _KIND_OF[type(row)], **values})


def decode_spool(data: bytes) -> SpoolContents:
    """The header and the rows of a file's bytes, up to its last whole line."""
    *lines, cut = data.split(b"\n")
    if not lines:
        return SpoolContents(None, 0, ArchiveBatch(), ignored_bytes=len(cut))
    try:
        owner, announced = decode_header(lines[0])
    except BadLine as bad:
        skipped: tuple[str, ...] = (f"line 1: {bad}; the file's rows are not read",)
        return SpoolContents(None, 0, ArchiveBatch(), skipped, len(cut), len(lines))
    rows, skipped = _decode_rows(lines[1:])
    return SpoolContents(owner, announced, _batch_of(rows), skipped, len(cut), len(lines))


def decode_header(line: bytes) -> tuple[SpoolOwner, int]:
    data = _object(line)
    version = data.get("helperchat_spool")
    if not isinstance(version, int) or isinstance(version, bool) or version != FORMAT_VERSION:
        raise BadLine(f"not a spool header of format {FORMAT_VERSION}")
    component, database, rows = data.get("component"), data.get("database"), data.get("rows")
    if not isinstance(component, str) or not isinstance(database, str):
        raise BadLine("the header names no component and database")
    if not isinstance(rows, int) or isinstance(rows, bool) or rows < 0:
        raise BadLine("the header gives no row count")
    return SpoolOwner(component, database), rows


def decode_row(line: bytes) -> Row:
    """The row of one line; BadLine when it is not exactly a row of a known kind."""
    data = _object(line)
    kind = data.pop("kind", None)
    cls = _KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise BadLine("no known row kind")
    hints = get_type_hints(cls)
    values: dict[str, Any] = {}
    for f in fields(cls):
        if f.name in data:
            values[f.name] = _value(hints[f.name], data.pop(f.name), f.name)
        elif f.default is MISSING:
            raise BadLine(f"{f.name} is missing")
    if data:
        raise BadLine(f"unknown fields: {', '.join(sorted(data))}")
    return cls(**values)


def _decode_rows(lines: list[bytes]) -> tuple[list[Row], tuple[str, ...]]:
    rows: list[Row] = []
    skipped: list[str] = []
    for number, line in enumerate(lines, start=2):
        try:
            rows.append(decode_row(line))
        except BadLine as bad:
            skipped.append(f"line {number}: {bad}")
    return rows, tuple(skipped)


def _batch_of(rows: list[Row]) -> ArchiveBatch:
    return ArchiveBatch(
        chats=tuple(row for row in rows if isinstance(row, Chat)),
        messages=tuple(row for row in rows if isinstance(row, Message)),
        operators=tuple(row for row in rows if isinstance(row, OperatorUpdate)),
        records=tuple(row for row in rows if _is_record(row)),
    )


def _is_record(row: Row) -> TypeGuard[Record]:
    return not isinstance(row, Chat | Message | OperatorUpdate)


def _line(value: dict[str, Any]) -> bytes:
    text = json.dumps(value, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    return text.encode("ascii") + b"\n"


def _object(line: bytes) -> dict[str, Any]:
    try:
        data = json.loads(line, parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError):  # json.JSONDecodeError is a ValueError
        raise BadLine("not JSON") from None
    if not isinstance(data, dict):
        raise BadLine("not a JSON object")
    return data


def _no_constant(name: str) -> object:
    raise BadLine(f"{name} is no value")


def _value(hint: object, raw: object, name: str) -> object:
    """`raw` as the field's type (an enum from its value, an int as a float), or BadLine."""
    options = get_args(hint) if get_origin(hint) in (Union, types.UnionType) else (hint,)
    if raw is None and type(None) in options:
        return None
    base = next(option for option in options if option is not type(None))
    if isinstance(base, type) and issubclass(base, Enum):
        if isinstance(raw, str) and raw in {member.value for member in base}:
            return base(raw)
    elif base is float:
        if isinstance(raw, int | float) and not isinstance(raw, bool) and math.isfinite(raw):
            return float(raw)
    elif base is int:
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
    elif isinstance(base, type) and isinstance(raw, base):
        return raw
    raise BadLine(f"{name} has a value of the wrong kind")
