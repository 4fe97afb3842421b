"""The Prometheus metrics: values read at scrape time (archive backlog, queues, operators online)
and counters (refused messages, chats, messages by direction, HTTP requests)."""

from __future__ import annotations

from component.archive import ArchiveWriter, OperatorUpdate
from component.metered import MeteredArchive
from component.metrics import Metrics
from component.models import ChatState, Message, Sender, VisitorKind
from component.records import FeedbackDone, FeedbackLeft
from component.site_stats import SiteStats
from tests.unit.fakes import FakeArchive
from tests.unit.test_archive_writer import FlakyStore, chat, message


async def test_the_archive_backlog_and_refusals_are_exported() -> None:
    metrics = Metrics()
    writer = ArchiveWriter(FlakyStore(), flush_interval=0.01, batch_size=50, retry_max_delay=0.1)
    metrics.watch_archive(writer)
    writer.add_chat(chat())
    writer.add_message(message(1))
    metrics.count_refused_message()
    text = metrics.render().decode()
    assert "helperchat_archive_backlog_rows 2.0" in text
    assert "helperchat_archive_refused_messages_total 1.0" in text
    await writer.flush()
    assert "helperchat_archive_backlog_rows 0.0" in metrics.render().decode()


def test_each_application_has_its_own_registry() -> None:
    first, second = Metrics(), Metrics()
    first.count_refused_message()
    assert "helperchat_archive_refused_messages_total 0.0" in second.render().decode()


# --- chats, messages and sites (read from the desk's archive port and state) ---------------------


def sample(metrics: Metrics, line: str) -> bool:
    return line in metrics.render().decode().splitlines()


def test_chats_and_messages_are_counted_per_site_from_what_reaches_the_archive() -> None:
    metrics, sink = Metrics(), FakeArchive()
    metered = MeteredArchive(sink, metrics, slug_of={1: "acme"}.get)
    metered.add_chat(chat())
    metered.add_message(message(1))  # seq 1: the visitor's first message opens the chat
    metered.add_message(message(2))
    metered.add_message(Message(1, 1, 3, 3.0, Sender.OPERATOR, "alice@x", "hi"))
    metered.add_message(Message(1, 1, 4, 4.0, Sender.SYSTEM, "acme@desk", "assigned"))
    metered.add_chat(chat(ChatState.ASSIGNED))
    metered.add_chat(chat(ChatState.CLOSED))
    assert (len(sink.chats), len(sink.messages)) == (3, 4), "everything reaches the archive"
    assert sample(metrics, 'helperchat_chats_started_total{site="acme"} 1.0')
    assert sample(metrics, 'helperchat_chats_closed_total{site="acme"} 1.0')
    relayed = "helperchat_messages_relayed_total"
    assert sample(metrics, relayed + '{direction="visitor_to_operator",site="acme"} 2.0')
    assert sample(metrics, relayed + '{direction="operator_to_visitor",site="acme"} 1.0')
    assert "system" not in metrics.render().decode()


def test_the_metered_archive_forwards_accepting_and_operator_updates() -> None:
    sink = FakeArchive(accepting=False)
    metered = MeteredArchive(sink, Metrics(), slug_of=lambda _: None)
    assert metered.accepting is False
    metered.add_operator_update(OperatorUpdate(1, "alice@x", 1.0))
    metered.add_message(message(1))  # a site the directory no longer knows: counted by id
    assert sink.operators == [OperatorUpdate(1, "alice@x", 1.0)]


def test_site_gauges_are_read_when_scraped() -> None:
    metrics = Metrics()
    stats = [SiteStats("acme", queued=2, operators_online=1)]
    metrics.watch_sites(lambda: stats)
    assert sample(metrics, 'helperchat_queue_length{site="acme"} 2.0')
    assert sample(metrics, 'helperchat_operators_online{site="acme"} 1.0')
    stats = [SiteStats("acme", queued=0, operators_online=3), SiteStats("globex", 0, 0)]
    assert sample(metrics, 'helperchat_queue_length{site="acme"} 0.0')
    assert sample(metrics, 'helperchat_operators_online{site="acme"} 3.0')
    assert sample(metrics, 'helperchat_queue_length{site="globex"} 0.0')


def test_http_requests_are_counted_by_route_method_and_status() -> None:
    metrics = Metrics()
    metrics.count_http_request("/healthz", "GET", 200)
    metrics.count_http_request("/healthz", "GET", 200)
    metrics.count_http_request("unmatched", "GET", 404)
    line = 'helperchat_http_requests_total{method="GET",route="/healthz",status="200"} 2.0'
    assert sample(metrics, line)
    assert sample(
        metrics, 'helperchat_http_requests_total{method="GET",route="unmatched",status="404"} 1.0'
    )


def test_the_page_says_its_content_type() -> None:
    assert Metrics.content_type.startswith("text/plain; version=0.0.4")


def test_feedback_is_counted_per_site_and_source_as_it_is_left() -> None:
    metrics, sink = Metrics(), FakeArchive()
    metered = MeteredArchive(sink, metrics, slug_of={1: "acme"}.get)
    for source in (VisitorKind.WEB, VisitorKind.WEB, VisitorKind.XMPP):
        metered.add_record(FeedbackLeft(1, 1, 0.0, source, "hi"))
    metered.add_record(FeedbackDone(1, 1, 0.0))  # not feedback left
    page = metrics.render().decode()
    assert 'helperchat_feedback_left_total{site="acme",source="web"} 2.0' in page
    assert 'helperchat_feedback_left_total{site="acme",source="xmpp"} 1.0' in page
    assert len(sink.records) == 4


def test_the_mail_outbox_figures_are_exported() -> None:
    metrics = Metrics()
    metrics.set_mail_backlog(7)
    for count in (metrics.count_mail_sent, metrics.count_mail_sent, metrics.count_mail_retry):
        count()
    metrics.count_mail_failed()
    for line in (
        "helperchat_mail_backlog 7.0",
        "helperchat_mail_sent_total 2.0",
        "helperchat_mail_retries_total 1.0",
        "helperchat_mail_failed_total 1.0",
    ):
        assert sample(metrics, line), line
