"""The HTTP server's start and stop on a real port, and the port check of `helperchat check`."""

from __future__ import annotations

import logging
import socket

import aiohttp
import pytest

from component.config import HttpConfig
from component.web.server import HttpServer, HttpStartError, port_problem
from devstack.ports import free_port
from tests.web.helpers import make_app


async def status_of(url: str, headers: dict[str, str] | None = None) -> int:
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as response:
        return response.status


async def test_serves_between_start_and_stop() -> None:
    config = HttpConfig(port=free_port())
    server = HttpServer(make_app(config), config)
    await server.start()
    try:
        assert await status_of(f"http://127.0.0.1:{config.port}/healthz") == 200
    finally:
        await server.stop()
    assert port_problem("127.0.0.1", config.port) is None, "the port is free again"
    await server.stop()  # twice is harmless


async def test_the_running_server_logs_no_raw_path_or_header(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    config = HttpConfig(port=free_port())
    server = HttpServer(make_app(config), config)
    await server.start()
    try:
        url = f"http://127.0.0.1:{config.port}/healthz?token=SECRET-TOKEN"
        assert await status_of(url, {"Authorization": "Bearer SECRET-TOKEN"}) == 200
    finally:
        await server.stop()
    lines = [r.getMessage() for r in caplog.records]
    assert any(line.startswith("method=GET route=/healthz status=200 ") for line in lines)
    assert not [line for line in lines if "SECRET-TOKEN" in line]


def listening(port: int) -> socket.socket:
    taken = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    taken.bind(("127.0.0.1", port))
    taken.listen()
    return taken


async def test_a_taken_port_stops_the_start_with_a_clear_error() -> None:
    config = HttpConfig(port=free_port())
    with listening(config.port):
        server = HttpServer(make_app(config), config)
        with pytest.raises(HttpStartError, match=rf"cannot listen on 127\.0\.0\.1:{config.port}: "):
            await server.start()
        await server.stop()


def test_port_problem_says_whether_the_port_can_be_bound() -> None:
    port = free_port()
    assert port_problem("127.0.0.1", port) is None
    with listening(port):
        problem = port_problem("127.0.0.1", port)
    assert problem is not None
    assert problem.startswith(f"cannot listen on 127.0.0.1:{port}: ")
    assert "in use" in problem
    unknown = port_problem("no-such-host.invalid", port)
    assert unknown is not None and unknown.startswith("cannot listen on no-such-host.invalid:")
