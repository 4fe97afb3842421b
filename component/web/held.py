"""Connections visitors hold open: live WebSockets and waiting long polls, capped three ways.

- Per chat: at most `per_chat` live sockets; a new one, once its hello proved the token, closes
  the oldest, as a reload would (a socket without the token cannot push the visitor's out).
- Per client address (an IPv6 client by its /64): at most `per_ip` held at once; the next one is
  429 `too_many_connections` before any upgrade, so one address cannot take every descriptor.
- In all: at most `total`, derived from the process's open-file limit minus a reserve, so file
  descriptors stay for ejabberd, the database pool, mail, webhooks and short requests; past it a
  new one is 503 `busy`.

The counts live only while a connection is held (a context manager), so the maps shrink back as
connections end.
"""

from __future__ import annotations

import logging
import resource
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from aiohttp import web

from component.chat_events import ChatKey
from component.web.errors import ApiError
from component.web.ratelimits import client_key

log = logging.getLogger(__name__)

RESERVED_DESCRIPTORS = 256
"""Descriptors kept for everything but held connections: the database pool, ejabberd, mail,
webhooks, log and spool files, and the short requests that come and go."""
RETRY_SECONDS = 10
REPLACED, GOING_AWAY = 4409, 1001  # WebSocket close codes


class LiveSocket(Protocol):
    def end(self, code: int, reason: str) -> None:
        """Close with `code` (the socket's own task does it, soon)."""


def connection_cap(configured: int | None, open_files: int) -> int:
    """The most connections held at once: `configured`, never past the open-file limit less the
    reserve (half the limit when it is too small for the reserve)."""
    if open_files > 2 * RESERVED_DESCRIPTORS:
        ceiling = open_files - RESERVED_DESCRIPTORS
    else:
        ceiling = max(1, open_files // 2)
    return ceiling if configured is None else min(configured, ceiling)


def open_file_limit() -> int:
    """The process's soft limit of open files."""
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def raise_open_file_limit() -> int:
    """Raise the soft open-file limit to the hard one (what a server is allowed); the new soft."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError) as exc:
            log.warning("cannot raise the open-file limit from %d to %d: %s", soft, hard, exc)
            return soft
        return hard
    return soft


class HeldConnections:
    def __init__(self, *, per_chat: int, per_ip: int, total: int) -> None:
        self._per_chat, self._per_ip, self._cap = per_chat, per_ip, total
        self._by_ip: dict[str, int] = {}
        self._sockets: dict[ChatKey, deque[LiveSocket]] = {}
        self.total = 0

    @contextmanager
    def held(self, ip: str) -> Iterator[None]:
        """Count one connection of `ip` while the block runs; ApiError when over a cap."""
        key = client_key(ip)
        if self._by_ip.get(key, 0) >= self._per_ip:
            raise ApiError(
                429,
                "too_many_connections",
                "too many open connections from your address",
                retry_after=RETRY_SECONDS,
            )
        if self.total >= self._cap:
            raise ApiError(503, "busy", "too many open connections", retry_after=RETRY_SECONDS)
        self._by_ip[key] = self._by_ip.get(key, 0) + 1
        self.total += 1
        try:
            yield
        finally:
            self.total -= 1
            left = self._by_ip[key] - 1
            if left:
                self._by_ip[key] = left
            else:
                del self._by_ip[key]

    @contextmanager
    def joined(self, key: ChatKey, socket: LiveSocket) -> Iterator[None]:
        """A socket of the chat whose token was checked counts among the chat's while the block
        runs; past the cap the chat's oldest is ended (REPLACED)."""
        sockets = self._sockets.setdefault(key, deque())
        sockets.append(socket)
        if len(sockets) > self._per_chat:
            sockets.popleft().end(REPLACED, "replaced by a newer connection")
        try:
            yield
        finally:
            self._leave(key, socket)

    def _leave(self, key: ChatKey, socket: LiveSocket) -> None:
        """A socket's block ended; one replaced earlier is no longer counted, and the chat's
        count may be a newer one by now (its old sockets all left meanwhile)."""
        sockets = self._sockets.get(key)
        if sockets is None:
            return
        if socket in sockets:
            sockets.remove(socket)
        if not sockets:
            del self._sockets[key]

    def end_all(self, code: int, reason: str) -> None:
        """End every live socket (the server stops: GOING_AWAY, so widgets reconnect at once
        instead of waiting for the stop's timeout)."""
        for sockets in list(self._sockets.values()):
            for socket in list(sockets):
                socket.end(code, reason)

    def sockets_of(self, key: ChatKey) -> int:
        return len(self._sockets.get(key, ()))


HELD = web.AppKey("held_connections", HeldConnections)
