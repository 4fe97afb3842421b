"""bench/memory.py still runs end to end in its quick form and prints its whole report (its
numbers are the bench's job: only the report's shape is checked, never a size)."""

from __future__ import annotations

import pytest

from tests.integration.bench_report import quick_report

pytestmark = pytest.mark.integration

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
    found = quick_report("bench/memory.py", REPORT)
    rate = found[1]
    assert rate is not None and float(rate[3]) > 0  # every message reached the visitor
