"""GET /healthz (xmpp and database, the database answer cached) and GET /metrics."""

from __future__ import annotations

import asyncio

from component.metrics import Metrics
from component.storage import StorageError
from component.web.health import Health
from tests.web.helpers import FakeDatabase, make_app, serve


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_healthz_is_200_when_both_are_up() -> None:
    async with serve(make_app()) as client:
        response = await client.get("/healthz")
        assert response.status == 200
        assert await response.json() == {"xmpp": "up", "database": "up"}
        assert response.headers["Cache-Control"] == "no-store"


async def test_healthz_is_503_naming_what_is_down() -> None:
    database = FakeDatabase()
    database.failure = StorageError("cannot connect to MySQL")
    async with serve(make_app(xmpp_up=lambda: False, database=database)) as client:
        response = await client.get("/healthz")
        assert response.status == 503
        assert await response.json() == {"xmpp": "down", "database": "down"}
        head = await client.head("/healthz")
        assert head.status == 503


async def test_the_database_answer_is_kept_for_a_second() -> None:
    database, clock = FakeDatabase(), Clock()
    health = Health(lambda: True, database.ping, clock=clock)
    assert (await health.report()).ok
    database.failure = StorageError("gone")
    clock.now += 0.5
    assert (await health.report()).ok, "cached"
    assert database.pings == 1
    clock.now += 0.6
    report = await health.report()
    assert (report.ok, report.as_json()) == (False, {"xmpp": "up", "database": "down"})
    assert database.pings == 2


async def test_concurrent_checks_share_one_ping() -> None:
    database, release = FakeDatabase(), asyncio.Event()
    database.hang = release.wait
    health = Health(lambda: True, database.ping)
    checks = [asyncio.create_task(health.report()) for _ in range(20)]
    await asyncio.sleep(0.01)
    release.set()
    assert all(report.ok for report in await asyncio.gather(*checks))
    assert database.pings == 1


async def test_a_database_that_does_not_answer_in_time_is_down() -> None:
    database = FakeDatabase()
    database.hang = asyncio.Event().wait  # forever
    health = Health(lambda: True, database.ping, timeout=0.05)
    report = await asyncio.wait_for(health.report(), 1.0)
    assert report.as_json() == {"xmpp": "up", "database": "down"}


async def test_xmpp_is_read_on_every_check() -> None:
    connected = [True]
    health = Health(lambda: connected[0], FakeDatabase().ping)
    assert (await health.report()).ok
    connected[0] = False
    assert (await health.report()).as_json() == {"xmpp": "down", "database": "up"}


async def test_metrics_serves_the_prometheus_text() -> None:
    metrics = Metrics()
    metrics.count_refused_message()
    async with serve(make_app(metrics=metrics)) as client:
        response = await client.get("/metrics")
        assert response.status == 200
        assert response.headers["Content-Type"] == Metrics.content_type
        text = await response.text()
    assert "helperchat_archive_refused_messages_total 1.0" in text
    assert "# TYPE helperchat_http_requests_total counter" in text
