"""Starting and stopping the HTTP side on the component's event loop (AppRunner + TCPSite).

Also the port check of `helperchat check`: bind host:port the way the server would, then let go.
"""

from __future__ import annotations

import logging
import socket

from aiohttp import web

from component.config import HttpConfig
from component.web.protocol_log import answer_malformed_requests_in_json, protocol_logger

log = logging.getLogger(__name__)

SHUTDOWN_TIMEOUT = 5.0
"""Seconds open requests get to finish when the server stops."""


class HttpStartError(Exception):
    """The HTTP side cannot listen where the config says (port taken, address not here)."""


class HttpServer:
    def __init__(self, app: web.Application, config: HttpConfig) -> None:
        self._app = app
        self._host, self._port = config.host, config.port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        """Listen on host:port; HttpStartError when that is impossible."""
        # access_log=None: component.web.access_log writes the one line per request
        runner = web.AppRunner(
            self._app,
            access_log=None,
            shutdown_timeout=SHUTDOWN_TIMEOUT,
            logger=protocol_logger(),
        )
        await runner.setup()
        if runner.server is not None:
            answer_malformed_requests_in_json(runner.server)
        try:
            await web.TCPSite(runner, self._host, self._port).start()
        except OSError as exc:
            await runner.cleanup()
            raise HttpStartError(_cannot_listen(self._host, self._port, exc)) from exc
        self._runner = runner
        log.info("HTTP listening on %s", address(self._host, self._port))

    async def stop(self) -> None:
        """Stop listening, let open requests finish (up to SHUTDOWN_TIMEOUT), run cleanups."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()


def address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def port_problem(host: str, port: int) -> str | None:
    """None when every address of `host` can be bound on `port` now, else what is wrong."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        for family, kind, proto, _, sockaddr in {(i[0], i[1], i[2], "", i[4]) for i in found}:
            with socket.socket(family, kind, proto) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as aiohttp does
                if family == socket.AF_INET6:
                    probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                probe.bind(sockaddr)
    except OSError as exc:
        return _cannot_listen(host, port, exc)
    return None


def _cannot_listen(host: str, port: int, exc: OSError) -> str:
    return f"cannot listen on {address(host, port)}: {exc.strerror or exc}"
