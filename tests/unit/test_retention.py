"""Retention in the pure core and the periodic purge over a fake store: the option's bounds, the
cutoff, the counts' lines, and the task that runs on its interval, purging sites with a
retention, counting into /metrics and outliving a failure."""

from __future__ import annotations

import asyncio
import logging

import pytest

from component.admin import MAX_RETENTION_DAYS, checked_retention_days, site_changes
from component.errors import InvalidInput
from component.metrics import Metrics
from component.models import Site, SiteSettings
from component.retention import DAY_SECONDS, PurgeCounts, purge_cutoff
from component.retention_task import RetentionTask
from component.site_show import site_show_lines


@pytest.mark.parametrize("days", [0, 1, 30, MAX_RETENTION_DAYS])
def test_retention_days_in_range_are_taken(days: int) -> None:
    assert checked_retention_days(days) == days
    assert site_changes(str, retention_days=days) == {"retention_days": days}


@pytest.mark.parametrize("days", [-1, -30, MAX_RETENTION_DAYS + 1, 10**9])
def test_negative_and_absurd_retention_days_are_refused_naming_the_option(days: int) -> None:
    with pytest.raises(InvalidInput, match=rf"bad retention days {days}: expected 0"):
        site_changes(str, retention_days=days)


def test_the_cutoff_is_now_minus_the_retention_and_0_keeps_everything() -> None:
    assert purge_cutoff(1_000_000.0, 0) is None
    assert purge_cutoff(10 * DAY_SECONDS, 3) == 7 * DAY_SECONDS


def test_counts_add_up_and_say_what_was_done() -> None:
    counts = PurgeCounts("acme", retention_days=30) + PurgeCounts("acme", 2, 7)
    counts += PurgeCounts("acme", 1, 3)
    assert counts == PurgeCounts("acme", 3, 10, 30)
    assert counts.line() == "acme: purged 3 chats and 10 messages (retention 30 days)"
    assert counts.line(dry_run=True).startswith("acme: would purge 3 chats and 10 messages")
    assert "kept for ever" in PurgeCounts("globex").line()


def test_site_show_says_the_retention() -> None:
    lines = site_show_lines(Site(1, "acme", "Acme"), None)
    assert "retention_days: 0 (chats kept for ever)" in lines
    kept = Site(1, "acme", "Acme", SiteSettings(retention_days=30))
    assert "retention_days: 30" in site_show_lines(kept, None)


def site(site_id: int, slug: str, days: int) -> Site:
    return Site(site_id, slug, slug.title(), SiteSettings(retention_days=days))


class FakePurge:
    def __init__(self, failing: str = "") -> None:
        self.calls: list[tuple[str, float]] = []
        self.failing = failing

    async def purge_site(self, site: Site, now: float, *, dry_run: bool = False) -> PurgeCounts:
        assert not dry_run
        self.calls.append((site.slug, now))
        if site.slug == self.failing:
            raise RuntimeError("database went away")
        return PurgeCounts(site.slug, 2, 5, site.settings.retention_days)


async def test_the_task_runs_after_its_delay_then_on_its_interval() -> None:
    purge, metrics = FakePurge(), Metrics()
    sites = [site(1, "acme", 30), site(2, "globex", 0)]

    async def list_sites() -> list[Site]:
        return sites

    task = RetentionTask(purge, list_sites, metrics, lambda: 123.0, interval=0.05, first_delay=0.1)
    task.start()
    await asyncio.sleep(0.05)
    assert purge.calls == [], "nothing before the first delay"
    for _ in range(100):
        await asyncio.sleep(0.02)
        if task.runs >= 3:
            break
    await task.stop()
    assert task.runs >= 3
    assert {slug for slug, _ in purge.calls} == {"acme"}, "a site keeping all is not purged"
    assert all(now == 123.0 for _, now in purge.calls)
    text = metrics.render().decode()
    assert f'helperchat_archive_purged_chats_total{{site="acme"}} {2.0 * task.runs}' in text
    assert f'helperchat_archive_purged_messages_total{{site="acme"}} {5.0 * task.runs}' in text
    runs = task.runs
    await asyncio.sleep(0.15)
    assert task.runs == runs, "stopped for good"


async def test_a_failing_site_is_logged_and_the_others_are_purged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    purge, metrics = FakePurge(failing="acme"), Metrics()

    async def list_sites() -> list[Site]:
        return [site(1, "acme", 30), site(2, "globex", 7)]

    task = RetentionTask(purge, list_sites, metrics, lambda: 1.0, interval=60, first_delay=60)
    with caplog.at_level(logging.INFO, logger="component.retention_task"):
        await task.run_once()
    assert [slug for slug, _ in purge.calls] == ["acme", "globex"]
    assert "retention purge of acme failed" in caplog.text
    assert "globex: purged 2 chats and 5 messages (retention 7 days)" in caplog.text
    assert 'helperchat_archive_purged_chats_total{site="globex"} 2.0' in metrics.render().decode()


async def test_sites_that_cannot_be_read_are_logged_and_tried_at_the_next_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def no_sites() -> list[Site]:
        raise OSError("no database")

    task = RetentionTask(FakePurge(), no_sites, Metrics(), lambda: 1.0, interval=1, first_delay=1)
    await task.run_once()
    assert task.runs == 0 and "the sites could not be read" in caplog.text
