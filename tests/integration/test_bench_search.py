"""bench/search.py still runs end to end in a small form (20,000 messages) and prints its whole
report (its numbers are the bench's job: only the report's shape is checked, never a speed)."""

from __future__ import annotations

import pytest

from tests.integration.bench_report import quick_report
from tests.integration.stack_fixtures import require_servers

pytestmark = pytest.mark.integration

NUMBER = r"([0-9]+(?:\.[0-9]+)?)"
TIMES = rf" +{NUMBER} +{NUMBER}"
REPORT = [
    r"^search: 20000 messages in 1000 chats of 10 sites, 4000 words \(Zipf\), 30 queries,"
    r" 5 scans$",
    rf"^  filled in {NUMBER} s \({NUMBER} messages/s\), FULLTEXT index built in {NUMBER} s$",
    rf"^  chats found per query \(of 21 read\): median {NUMBER}, {NUMBER} found nothing$",
    r"^ +p50 ms +p95 ms$",
    rf"^  search via XMPP \(a word of rank 20\+\){TIMES}   \(goal: p95 <= 50\)$",
    rf"^  search SQL \(newest-first walk, or MATCH\){TIMES}$",
    rf"^  LIKE '%word%' scan SQL{TIMES}$",
    rf"^  search via XMPP \(ranks log-uniform\){TIMES}$",
    rf"^  search SQL \(ranks log-uniform\){TIMES}$",
    rf"^  search via XMPP \(the 20 commonest words\){TIMES}$",
    rf"^  recent via XMPP{TIMES}   \(goal: p95 <= 20\)$",
    rf"^  transcript via XMPP{TIMES}   \(goal: p95 <= 20\)$",
    rf"^  ratio scan / full-text SQL: {NUMBER} x at p50, {NUMBER} x at p95   \(goal: >= 20\)$",
]


def test_the_search_benchmark_runs_in_its_quick_form_and_reports_every_figure() -> None:
    require_servers("mariadbd", "mariadb-install-db", "mariadb-admin", "mariadb", "ejabberdctl")
    found = quick_report("bench/search.py", REPORT)
    median = found[2]
    assert median and float(median[1]) > 0  # the words searched for are found
    for match in found[4:12]:
        assert match and 0 < float(match[1]) <= float(match[2])  # p50 <= p95, both measured
