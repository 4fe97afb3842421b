"""Prometheus metrics of one running HelperChat; the only importer of prometheus_client.

One registry per application (no global one: tests run several). Values other parts already
keep, such as the archive backlog, are read when the metrics are scraped.
"""

from __future__ import annotations

from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest


class HasBacklog(Protocol):
    @property
    def backlog(self) -> int: ...


class Metrics:
    """The instruments; `render()` gives the Prometheus text for a /metrics answer."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._archive_backlog = Gauge(
            "helperchat_archive_backlog_rows",
            "Archive rows waiting to be stored (buffered or being written).",
            registry=self.registry,
        )
        self._refused = Counter(
            "helperchat_archive_refused_messages",
            "Messages refused (XMPP resource-constraint) because the archive backlog was full.",
            registry=self.registry,
        )

    def watch_archive(self, writer: HasBacklog) -> None:
        """Report `writer.backlog` as helperchat_archive_backlog_rows."""
        self._archive_backlog.set_function(lambda: writer.backlog)

    def count_refused_message(self) -> None:
        """One message refused because the archive was full (ArchiveWriter.accepting False)."""
        self._refused.inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
