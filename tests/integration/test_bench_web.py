"""bench/web.py still runs end to end in its quick form and prints its whole report (its numbers
are the bench's job: only the report's shape is checked, never a speed)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
NUMBER = r"([0-9]+(?:\.[0-9]+)?)"
REPORT = [
    r"^throughput: 4 chats x 25 messages, 2 rounds \(median shown\)$",
    rf"^  web visitors \(WebSocket\): +{NUMBER} msg/s  \[{NUMBER}, {NUMBER}\]$",
    rf"^  XMPP visitors: +{NUMBER} msg/s  \[{NUMBER}, {NUMBER}\]$",
    rf"^  ratio web / XMPP: +{NUMBER} ",
    r"^idle widgets: 200 \([0-9]+ with permessage-deflate\), RLIMIT_NOFILE [0-9]+,"
    r" RSS of HelperChat's own process$",
    rf"^  RSS before / with chats / with sockets \(MB\): {NUMBER} / {NUMBER} / {NUMBER}$",
    rf"^  per chat \(no socket\): +-?{NUMBER} KB ",
    rf"^  per open WebSocket: +-?{NUMBER} KB ",
    rf"^  one operator message to each: +{NUMBER} s from the first sent to the last received$",
]


def test_the_web_benchmark_runs_in_its_quick_form_and_reports_every_figure() -> None:
    run = subprocess.run(
        [sys.executable, "bench/web.py", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    lines = run.stdout.splitlines()
    assert len(lines) == len(REPORT), run.stdout
    found = [re.search(pattern, line) for line, pattern in zip(lines, REPORT, strict=True)]
    for line, pattern, match in zip(lines, REPORT, found, strict=True):
        assert match, f"{line!r} does not match {pattern!r}"
    web, xmpp = (float(match[1]) for match in found[1:3] if match)
    assert web > 0 and xmpp > 0  # both paths delivered every message
