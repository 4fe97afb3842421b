"""`helperchat archive export` on the real MariaDB, run as a separate process: hostile names and
texts round-trip through JSON lines and CSV, --since keeps later chats only, other sites' chats
never appear, the keyset paging reads every message once, an unknown site is an error."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from component.archive_export import COLUMNS
from component.models import ChatState, VisitorCard
from component.storage.export import ArchiveExport
from tests.integration.helpdesk_fixtures import Desk
from tests.integration.retention_fixtures import add_site, seed_chat
from tests.integration.test_cli import helperchat, write_config

pytestmark = pytest.mark.integration

HOSTILE_NAME = 'Ann "the, hacker" O\'Neil\n<script>alert("x")</script> Анна'
HOSTILE_TEXTS = (
    'hello, "operator"; a,b,,c',
    "two\nlines\r\nand a CRLF",
    "<b>bold</b> &amp; <img src=x onerror=alert(1)> =SUM(A1:A9)",
    "Привет, мир! 你好 🎉",
)
CARD = VisitorCard(email="ann@example.com", page='https://shop.test/?q=a,"b"')


def export(config: Path, *args: str) -> bytes:
    done = subprocess.run(
        [sys.executable, "-m", "component", "-c", str(config), "archive", "export", *args],
        capture_output=True,
        timeout=60,
        check=False,
        env={**os.environ, "LC_ALL": "C", "PYTHONIOENCODING": "ascii"},
    )  # UTF-8 out whatever the locale says
    assert done.returncode == 0, done.stderr
    return done.stdout


async def seed(desk: Desk) -> tuple[int, int]:
    acme, globex = await add_site(desk, "acme"), await add_site(desk, "globex")
    await seed_chat(desk, acme, 1, age_days=40, messages=2)
    await seed_chat(desk, acme, 2, age_days=3, visitor_name=HOSTILE_NAME, texts=HOSTILE_TEXTS,
                    card=CARD)  # fmt: skip
    await seed_chat(desk, acme, 3, age_days=1, state=ChatState.ASSIGNED, messages=1)
    await seed_chat(desk, globex, 1, age_days=2, texts=("globex secret",))
    return acme, globex


def check_rows(rows: list[dict[str, Any]]) -> None:
    assert [(r["chat"], r["seq"]) for r in rows] == [(1, 1), (1, 2), (2, 1), (2, 2), (2, 3),
                                                     (2, 4), (3, 1)]  # fmt: skip
    hostile = [r for r in rows if r["chat"] == 2]
    assert [r["text"] for r in hostile] == list(HOSTILE_TEXTS)
    first = hostile[0]
    assert first["visitor_name"] == HOSTILE_NAME and first["visitor_kind"] == "web"
    assert (first["visitor_email"], first["visitor_page"]) == (CARD.email, CARD.page)
    assert (first["sender"], hostile[1]["sender"]) == ("visitor", "operator")
    assert hostile[1]["author"] == "alice@example.com"
    assert first["state"] == "closed" and rows[-1]["state"] == "assigned"
    assert rows[-1]["closed_at"] == "" and rows[-1]["visitor_email"] == ""
    for row in rows:
        at = datetime.strptime(row["at"], "%Y-%m-%dT%H:%M:%S.%fZ")
        assert len(row["at"]) == 27 and at.year >= 2020
    assert "globex secret" not in json.dumps(rows)


async def test_jsonl_round_trips_hostile_names_and_texts(desk: Desk, tmp_path: Path) -> None:
    await seed(desk)
    out = export(write_config(desk, tmp_path / "config.yaml"), "acme")
    lines = out.decode("utf-8").split("\n")
    assert lines[-1] == "" and all(lines[:-1])
    rows = [json.loads(line) for line in lines[:-1]]
    assert all(list(row) == list(COLUMNS) for row in rows)
    check_rows(rows)


async def test_csv_round_trips_hostile_names_and_texts(desk: Desk, tmp_path: Path) -> None:
    await seed(desk)
    out = export(write_config(desk, tmp_path / "config.yaml"), "acme", "--format", "csv")
    records = list(csv.reader(io.StringIO(out.decode("utf-8"), newline="")))
    assert records[0] == list(COLUMNS)
    rows: list[dict[str, Any]] = [dict(zip(COLUMNS, record, strict=True)) for record in records[1:]]
    for row in rows:
        row["chat"], row["seq"] = int(row["chat"]), int(row["seq"])
    check_rows(rows)


async def test_since_keeps_the_chats_opened_from_then_on(desk: Desk, tmp_path: Path) -> None:
    await seed(desk)
    config = write_config(desk, tmp_path / "config.yaml")
    day = datetime.fromtimestamp(time.time() - 10 * 86_400, UTC).strftime("%Y-%m-%d")
    rows = [json.loads(line) for line in export(config, "acme", "--since", day).splitlines()]
    assert sorted({row["chat"] for row in rows}) == [2, 3]
    header_only = export(config, "acme", "--since", "2999-01-01", "--format", "csv")
    assert header_only.decode() == ",".join(COLUMNS) + "\r\n"
    assert export(config, "globex", "--since", "2999-01-01") == b""


async def test_pages_are_read_by_keyset_once_each(desk: Desk) -> None:
    acme, _ = await seed(desk)
    pages = [page async for page in ArchiveExport(desk.db, page_rows=3).pages(acme)]
    assert [len(page) for page in pages] == [3, 3, 1]
    keys = [(row.chat, row.seq) for page in pages for row in page]
    assert keys == sorted(set(keys)) and len(keys) == 7


async def test_an_unknown_site_or_a_bad_date_is_an_error(desk: Desk, tmp_path: Path) -> None:
    config = write_config(desk, tmp_path / "config.yaml")
    unknown = helperchat(config, "archive", "export", "nosuch")
    assert unknown.returncode == 2 and "no site 'nosuch'" in unknown.stderr
    assert unknown.stdout == ""
    bad = helperchat(config, "archive", "export", "acme", "--since", "last week")
    assert bad.returncode == 2 and "bad --since" in bad.stderr
    wrong = helperchat(config, "archive", "export", "acme", "--format", "xml")
    assert wrong.returncode == 2
