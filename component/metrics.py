"""Prometheus metrics of one running HelperChat; the only importer of prometheus_client.

One registry per application (no global one: tests run several). Values other parts already
keep, such as the archive backlog and each site's queue, are read when the metrics are scraped;
events (chats, messages, HTTP requests, rate-limit refusals, retention purges) are counted as
they happen. Label values are bounded: site slugs, two directions, route patterns (never raw
paths), a fixed set of methods, the names of the rate limits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, ClassVar, Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from component.site_stats import SiteStats


class HasBacklog(Protocol):
    @property
    def backlog(self) -> int: ...


class Metrics:
    """The instruments; `render()` gives the Prometheus text for a /metrics answer."""

    content_type: ClassVar[str] = CONTENT_TYPE_PLAIN_0_0_4  # what generate_latest writes

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
        self._started = self._counter("chats_started", "Chats opened by visitors.", "site")
        self._closed = self._counter(
            "chats_closed", "Chats that ended (closed, or turned into feedback).", "site"
        )
        self._messages = self._counter(
            "messages_relayed",
            "Messages visitors and operators wrote in chats (accepted and archived), by direction:"
            " visitor_to_operator, operator_to_visitor.",
            "site",
            "direction",
        )
        self._message_counters: dict[tuple[str, str], Any] = {}
        self._purged_chats = self._counter(
            "archive_purged_chats",
            "Chats deleted from the archive by the retention purge (past the site's retention).",
            "site",
        )
        self._purged_messages = self._counter(
            "archive_purged_messages",
            "Messages deleted from the archive with the chats the retention purge took.",
            "site",
        )
        self._http = self._counter(
            "http_requests",
            "HTTP requests answered, by route pattern (unmatched: no route), method and status.",
            "route",
            "method",
            "status",
        )
        self._rate_limited = self._counter(
            "rate_limited",
            "Visitors' requests and stanzas refused by a rate limit (web 429s, XMPP"
            " policy-violation errors, signals dropped), by the limit's name in http.rate_limits.",
            "limit",
        )
        self._rate_limited_counters: dict[str, Any] = {}
        self._feedback = self._counter(
            "feedback_left",
            "Feedback visitors left (nobody online, the site's form on), by source: web, xmpp.",
            "site",
            "source",
        )
        self._mail_backlog: Gauge | None = None  # only where a drainer reads the outbox
        self._mail_sent = self._counter("mail_sent", "Mails the SMTP server accepted.")
        self._mail_failed = self._counter(
            "mail_failed", "Mails refused for good (a permanent 5xx answer): never retried."
        )
        self._mail_retries = self._counter(
            "mail_retries",
            "Mail attempts that failed for now (connection, timeout, 4xx) and wait for a retry.",
        )
        self._webhook_backlog = Gauge(
            "helperchat_webhook_backlog_deliveries",
            "Webhook deliveries stored and neither delivered nor failed for good yet.",
            registry=self.registry,
        )
        self._webhook_delivered = self._counter(
            "webhook_delivered", "Webhook deliveries a receiver took (a 2xx answer)."
        )
        self._webhook_errors = self._counter(
            "webhook_errors",
            "Webhook attempts that failed, by kind: timeout, connection, status (not 2xx),"
            " blocked_address (not public, and private addresses are not allowed).",
            "kind",
        )
        self._webhook_retries = self._counter(
            "webhook_retries", "Webhook deliveries that failed an attempt and will be tried again."
        )
        self._webhook_failed = self._counter(
            "webhook_failed", "Webhook deliveries given up at the end of their retry window."
        )

    def _counter(self, name: str, documentation: str, *labels: str) -> Counter:
        return Counter(f"helperchat_{name}", documentation, labels, registry=self.registry)

    def watch_archive(self, writer: HasBacklog) -> None:
        """Report `writer.backlog` as helperchat_archive_backlog_rows."""
        self._archive_backlog.set_function(lambda: writer.backlog)

    def watch_sites(self, read: Callable[[], Iterable[SiteStats]]) -> None:
        """Report each site's queue length and operators online, calling `read` at every scrape."""
        self.registry.register(_SiteCollector(read))

    def count_refused_message(self) -> None:
        """One message refused because the archive was full (ArchiveWriter.accepting False)."""
        self._refused.inc()

    def count_chat_started(self, site: str) -> None:
        self._started.labels(site).inc()

    def count_chat_closed(self, site: str) -> None:
        self._closed.labels(site).inc()

    def count_message(self, site: str, direction: str) -> None:
        child = self._message_counters.get((site, direction))
        if child is None:  # sites x 2 directions: bounded; labels() costs µs on the hot path
            child = self._message_counters[(site, direction)] = self._messages.labels(
                site, direction
            )
        child.inc()

    def count_purged(self, site: str, chats: int, messages: int) -> None:
        """What one retention purge of one site deleted."""
        self._purged_chats.labels(site).inc(chats)
        self._purged_messages.labels(site).inc(messages)

    def count_http_request(self, route: str, method: str, status: int) -> None:
        self._http.labels(route, method, str(status)).inc()

    def count_rate_limited(self, limit: str) -> None:
        """One refusal by the limit named `limit` (component.visitor_limits); a flood is counted
        on its hot path, so the children are kept as for count_message."""
        child = self._rate_limited_counters.get(limit)
        if child is None:
            child = self._rate_limited_counters[limit] = self._rate_limited.labels(limit)
        child.inc()

    def count_feedback(self, site: str, source: str) -> None:
        self._feedback.labels(site, source).inc()

    def count_mail_sent(self) -> None:
        self._mail_sent.inc()

    def count_mail_failed(self) -> None:
        self._mail_failed.inc()

    def count_mail_retry(self) -> None:
        self._mail_retries.inc()

    def set_mail_backlog(self, queued: int) -> None:
        """Mails waiting, as the drainer last read the outbox; absent without a drainer (mail not
        configured), where a 0 would hide a growing outbox."""
        if self._mail_backlog is None:
            self._mail_backlog = Gauge(
                "helperchat_mail_backlog",
                "Mails in the outbox neither sent nor failed (as the mail drainer last read it).",
                registry=self.registry,
            )
        self._mail_backlog.set(queued)

    def watch_webhook_backlog(self, read: Callable[[], int]) -> None:
        """Report `read()` (the drainer's last count) as helperchat_webhook_backlog_deliveries."""
        self._webhook_backlog.set_function(read)

    def count_webhook_delivered(self) -> None:
        self._webhook_delivered.inc()

    def count_webhook_error(self, kind: str) -> None:
        self._webhook_errors.labels(kind).inc()

    def count_webhook_retry(self) -> None:
        self._webhook_retries.inc()

    def count_webhook_failed(self, count: int = 1) -> None:
        self._webhook_failed.inc(count)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _SiteCollector:
    """Gauges computed from the desk's state at scrape time (no copy kept in between)."""

    def __init__(self, read: Callable[[], Iterable[SiteStats]]) -> None:
        self._read = read

    def describe(self) -> Iterator[Metric]:
        return self._families([])

    def collect(self) -> Iterator[Metric]:
        return self._families(self._read())

    @staticmethod
    def _families(stats: Iterable[SiteStats]) -> Iterator[Metric]:
        queue = GaugeMetricFamily(
            "helperchat_queue_length", "Chats waiting in the site's queue.", labels=["site"]
        )
        online = GaugeMetricFamily(
            "helperchat_operators_online",
            "Enabled operators of the site online at its desk (any show but offline).",
            labels=["site"],
        )
        for site in stats:
            queue.add_metric([site.slug], site.queued)
            online.add_metric([site.slug], site.operators_online)
        yield queue
        yield online
