"""bench/outbox.py still runs end to end in its quick form and prints its whole report (its numbers
are the bench's job: only the report's shape is checked, never a speed)."""

from __future__ import annotations

import pytest

from tests.integration.bench_report import quick_report
from tests.integration.stack_fixtures import require_servers

pytestmark = pytest.mark.integration

NUMBER = r"([0-9]+(?:\.[0-9]+)?)"
REPORT = [
    r"^mail: 50 mails into aiosmtpd, 1 rounds \(median shown\)$",
    rf"^  through the outbox \(MariaDB, drainer\): +{NUMBER} mails/s  \[{NUMBER}\]$",
    rf"^  direct \(one aiosmtplib.send each\): +{NUMBER} mails/s  \[{NUMBER}\]$",
    rf"^  ratio outbox / direct: +{NUMBER} +\(goal: >= 0.8\)$",
    r"^webhook deliveries per round: 300, rounds: 1 \(median shown\), receiver answering at once$",
    rf"^direct send \(one POST each, 2 at once\): +{NUMBER} /s  \[{NUMBER}\]$",
    rf"^through the stored outbox: +{NUMBER} /s  \[{NUMBER}\]$",
    rf"^ratio outbox / direct: +{NUMBER}$",
    rf"^CPU per delivery, direct: {NUMBER} µs here, {NUMBER} µs in MariaDB; outbox: {NUMBER} µs"
    rf" here, {NUMBER} µs in MariaDB$",
    r"^webhook deliveries per round: 300, rounds: 1 \(median shown\), receiver answering in 5 ms$",
    rf"^direct send \(one POST each, 2 at once\): +{NUMBER} /s  \[{NUMBER}\]$",
    rf"^through the stored outbox: +{NUMBER} /s  \[{NUMBER}\]$",
    rf"^ratio outbox / direct: +{NUMBER}$",
    rf"^CPU per delivery, direct: {NUMBER} µs here, {NUMBER} µs in MariaDB; outbox: {NUMBER} µs"
    rf" here, {NUMBER} µs in MariaDB$",
    r"^chat relay, messages per round: 300, rounds: 1 \(median shown\)$",
    rf"^no deliveries pending: +{NUMBER} msg/s  \[{NUMBER}\]$",
    rf"^1000 due to a dead receiver: +{NUMBER} msg/s  \[{NUMBER}\]$",
    rf"^ratio pending / none: +{NUMBER}$",
]


def test_the_outbox_benchmark_runs_in_its_quick_form_and_reports_every_figure() -> None:
    require_servers("mariadbd", "mariadb-install-db", "mariadb-admin", "mariadb")
    found = quick_report("bench/outbox.py", REPORT, timeout=900)
    outbox, direct = (float(match[1]) for match in found[1:3] if match)
    assert outbox > 0 and direct > 0  # both paths delivered every mail
    sent, stored = (float(match[1]) for match in found[5:7] if match)
    assert sent > 0 and stored > 0  # both paths delivered every webhook
    sent, stored = (float(match[1]) for match in found[10:12] if match)
    assert sent > 0 and stored > 0  # also to the receiver that takes its time
