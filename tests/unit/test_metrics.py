"""The Prometheus metrics: archive backlog read at scrape time, refused messages counted."""

from __future__ import annotations

from component.archive import ArchiveWriter
from component.metrics import Metrics
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
