"""bench/web.py still runs end to end in its quick form and prints its whole report (its numbers
are the bench's job: only the report's shape is checked, never a speed)."""

from __future__ import annotations

import pytest

from tests.integration.bench_report import quick_report

pytestmark = pytest.mark.integration

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
    found = quick_report("bench/web.py", REPORT)
    web, xmpp = (float(match[1]) for match in found[1:3] if match)
    assert web > 0 and xmpp > 0  # both paths delivered every message
