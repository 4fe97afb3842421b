"""The routing benchmark's desk cases still run against today's ports (numbers are bench's job)."""

from __future__ import annotations

from bench import routing


def test_the_presence_cases_of_the_routing_benchmark_run() -> None:
    assert routing.time_presence_stanza(60, calls=4) > 0
    assert routing.time_presence_with_stranded_chats(20, calls=4) > 0
