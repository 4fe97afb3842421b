"""The spool's file format: every row kind round-trips exactly; cut and invalid lines are told."""

from __future__ import annotations

import json

import pytest

from component.archive import ArchiveBatch, OperatorUpdate
from component.models import Chat, ChatState, Message, Notice, Sender, VisitorKind
from component.spool.lines import (
    BadLine,
    SpoolOwner,
    decode_row,
    decode_spool,
    encode_row,
    encode_spool,
)

OWNER = SpoolOwner("helpdesk.example.com", "helperchat")
AT = 1_767_225_600.123456  # 2026-01-01 00:00:00.123456 UTC

CHATS = (
    Chat(1, 7, "visitor@example.com", VisitorKind.XMPP, "Zoë «Ω» 😀", ChatState.QUEUED, AT),
    Chat(
        2,
        8,
        "w-1f2e",
        VisitorKind.WEB,
        "Ann\nline two",
        ChatState.CLOSED,
        AT,
        operator="alice@example.com",
        assigned_at=AT + 0.000001,
        closed_at=AT + 61.999999,
        route_reason="priority: alice (available, idle 3 s)\n\u2028and more",
        lang="ru",
    ),
)
MESSAGES = (
    Message(1, 7, 1, AT, Sender.VISITOR, "visitor@example.com", "hello\nsecond line\r\n\ttab"),
    Message(2, 8, 3, AT + 0.5, Sender.SYSTEM, "", "Queue: 2", Notice.QUEUE, "2"),
    Message(2, 8, 4, AT + 0.75, Sender.OPERATOR, "alice@example.com", 'Привет \u0000 \\ "q"'),
)
UPDATES = (
    OperatorUpdate(1, "alice@example.com", last_assigned_at=AT),
    OperatorUpdate(1, "bob@example.com", subscribed_at=AT, paused=False),
    OperatorUpdate(2, "carol@example.com", unsubscribed=True, paused=True),
)
BATCH = ArchiveBatch(CHATS, MESSAGES, UPDATES)


@pytest.mark.parametrize("row", [*CHATS, *MESSAGES, *UPDATES], ids=repr)
def test_every_row_kind_round_trips_exactly(row: Chat | Message | OperatorUpdate) -> None:
    line = encode_row(row)
    assert line.endswith(b"\n") and line.count(b"\n") == 1  # newlines in text stay escaped
    assert line.isascii()
    assert decode_row(line.rstrip(b"\n")) == row


def test_times_keep_their_microseconds_bit_for_bit() -> None:
    for at in (AT, 0.000001, 1e9 + 0.999999, 4102444800.000001):
        message = Message(1, 1, 1, at, Sender.VISITOR, "v", "x")
        decoded = decode_row(encode_row(message).rstrip(b"\n"))
        assert isinstance(decoded, Message) and decoded.at.hex() == at.hex()


def test_a_file_round_trips_with_its_owner_and_count() -> None:
    contents = decode_spool(encode_spool(OWNER, BATCH))
    assert contents.owner == OWNER and contents.announced == len(BATCH) == 8
    assert contents.batch == BATCH
    assert (contents.skipped, contents.ignored_bytes) == ((), 0)


def test_a_file_cut_mid_line_is_read_up_to_its_last_whole_line() -> None:
    data = encode_spool(OWNER, BATCH)
    cut = data[: data.index(b"Queue: 2")]  # inside the second message's line
    contents = decode_spool(cut)
    assert contents.owner == OWNER and contents.announced == 8
    assert contents.batch == ArchiveBatch(CHATS, MESSAGES[:1])
    assert contents.ignored_bytes == len(cut) - cut.rindex(b"\n") - 1 > 0
    assert contents.skipped == ()


def test_a_file_cut_inside_its_header_holds_nothing() -> None:
    contents = decode_spool(encode_spool(OWNER, BATCH)[:10])
    assert (contents.owner, len(contents.batch), contents.whole_lines) == (None, 0, 0)
    assert contents.ignored_bytes == 10
    assert decode_spool(b"") == decode_spool(b"")  # an empty file too
    assert decode_spool(b"").whole_lines == 0


def row_line(**changes: object) -> bytes:
    data = json.loads(encode_row(MESSAGES[0]))
    data.update(changes)
    return json.dumps({k: v for k, v in data.items() if v is not None}).encode()


INVALID_LINES = {
    "not JSON": b"{oops",
    "not an object": b"[1, 2]",
    "unknown kind": row_line(kind="photo"),
    "no kind": json.dumps({"site_id": 1}).encode(),
    "kind not text": row_line(kind=["message"]),
    "field not text": row_line(body={"a": 1}),
    "missing field": row_line(body=None),
    "unknown field": row_line(colour="blue"),
    "int as text": row_line(seq="3"),
    "bool as int": row_line(seq=True),
    "unknown enum": row_line(sender="robot"),
    "NaN time": row_line().replace(str(AT).encode(), b"NaN"),
    "text as number": row_line(body=5),
    "not UTF-8": b'{"kind": "message", "body": "\xff"}',
    "empty": b"",
}


@pytest.mark.parametrize("line", INVALID_LINES.values(), ids=INVALID_LINES.keys())
def test_a_line_that_is_no_valid_row_is_refused(line: bytes) -> None:
    with pytest.raises(BadLine):
        decode_row(line)


def test_invalid_lines_are_skipped_with_their_numbers_and_the_rest_read() -> None:
    header, *rows = encode_spool(OWNER, ArchiveBatch(CHATS, MESSAGES)).splitlines(keepends=True)
    bad = row_line(seq="x") + b"\n"
    data = b"".join([header, rows[0], b"{oops\n", *rows[1:3], bad, *rows[3:]])
    contents = decode_spool(data)
    assert contents.batch == ArchiveBatch(CHATS, MESSAGES)
    assert [problem.split(":")[0] for problem in contents.skipped] == ["line 3", "line 6"]
    assert all("hello" not in problem for problem in contents.skipped)  # no text of rows


def test_a_file_without_a_valid_header_yields_no_rows() -> None:
    _, *rows = encode_spool(OWNER, BATCH).splitlines(keepends=True)
    contents = decode_spool(b"".join(rows))
    assert contents.owner is None and not len(contents.batch)
    assert contents.whole_lines == len(rows) and contents.skipped[0].startswith("line 1:")


def test_an_integral_time_written_by_hand_is_read_as_a_float() -> None:
    decoded = decode_row(row_line(at=1767225600))
    assert isinstance(decoded, Message) and decoded.at == 1767225600.0
    assert isinstance(decoded.at, float)


@pytest.mark.parametrize(
    "header",
    [
        {"helperchat_spool": True, "component": "c", "database": "d", "rows": 0},
        {"helperchat_spool": 2, "component": "c", "database": "d", "rows": 0},
        {"helperchat_spool": 1, "component": 5, "database": "d", "rows": 0},
        {"helperchat_spool": 1, "component": "c", "database": "d", "rows": -1},
        {"helperchat_spool": 1, "component": "c", "database": "d"},
    ],
)
def test_a_header_of_another_format_or_without_its_fields_is_refused(header: object) -> None:
    contents = decode_spool(json.dumps(header).encode() + b"\n" + encode_row(MESSAGES[0]))
    assert contents.owner is None and not len(contents.batch)
