"""A web app of HelperChat over fakes, served by aiohttp's test server on a loopback port."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from component.config import HttpConfig
from component.metrics import Metrics
from component.web.app import build_app
from component.web.health import Health
from component.web.protocol_log import answer_malformed_requests_in_json, protocol_logger


class FakeDatabase:
    """Answers pings, or fails them, or hangs; counts them."""

    def __init__(self) -> None:
        self.pings = 0
        self.failure: Exception | None = None
        self.hang: Callable[[], Awaitable[object]] | None = None

    async def ping(self) -> None:
        self.pings += 1
        if self.hang is not None:
            await self.hang()
        if self.failure is not None:
            raise self.failure


def make_app(
    config: HttpConfig | None = None,
    *,
    xmpp_up: Callable[[], bool] = lambda: True,
    database: FakeDatabase | None = None,
    metrics: Metrics | None = None,
) -> web.Application:
    health = Health(xmpp_up, (database or FakeDatabase()).ping)
    return build_app(config or HttpConfig(), health=health, metrics=metrics or Metrics())


@asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    server = TestServer(app, host="127.0.0.1")
    # access_log=None as HttpServer runs it: aiohttp's own access log would print raw paths
    await server.start_server(access_log=None, logger=protocol_logger())
    assert server.runner is not None and server.runner.server is not None
    answer_malformed_requests_in_json(server.runner.server)  # as HttpServer does
    async with TestClient(server) as client:
        yield client
