"""bench/memory.py still runs end to end in its quick form and prints its whole report (its
numbers are the bench's job: only the report's shape is checked, never a size)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
NUMBER = r"(-?[0-9]+(?:\.[0-9]+)?)"
REPORT = [
    r"^one open chat: 2000 operator messages of 2048 characters after 200 to warm up,"
    r" RSS of HelperChat's own process$",
    rf"^  RSS before / after \(MB\): +{NUMBER} / {NUMBER}   \({NUMBER} msg/s\)$",
    rf"^  per 10,000 messages: +{NUMBER} MB$",
    rf"^  kept of the text relayed: +{NUMBER} %   \(baseline: {NUMBER} MB of text\)$",
    r"^idle chats: 96 \(20 XMPP visitors x 5 sites, one message each\)$",
    rf"^  RSS before / after \(MB\): +{NUMBER} / {NUMBER}$",
    rf"^  per open idle chat: +{NUMBER} KB$",
]


def test_the_memory_benchmark_runs_in_its_quick_form_and_reports_every_figure() -> None:
    run = subprocess.run(
        [sys.executable, "bench/memory.py", "--quick"],
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
    rate = found[1]
    assert rate is not None and float(rate[3]) > 0  # every message reached the visitor
