"""The HTTP client of webhooks (aiohttp): one signed POST per attempt, with a total timeout, no
redirects followed, no proxy from the environment, no limit per host (a receiver's limit is the
drainer's, per site: a host shared by two sites' webhooks must not make one wait for the other's
slow answers), and, unless private addresses are allowed,
a refusal to connect to any address that is not public, checked on the address actually
connected to (so a name that resolves to 127.0.0.1 or 10.0.0.5 is refused too).

Never raises for a receiver's behaviour: every outcome is an Attempt.
"""

from __future__ import annotations

import errno
import logging
import socket
from typing import Any

import aiohttp

from component.deliveries import Attempt, DueDelivery, Failure
from component.version import helperchat_version
from component.webhook_signing import signature
from component.webhook_urls import is_public_address

log = logging.getLogger(__name__)

MAX_ANSWER_BYTES = 64 * 1024  # read of an answer (then dropped); a longer one closes the socket
_NOT_PUBLIC = "is not a public address"


def public_only_socket(addr_info: tuple[Any, ...]) -> socket.socket:
    """aiohttp's socket factory refusing every address that is not public (SSRF)."""
    family, kind, proto, _, address = addr_info
    host = str(address[0])
    if not is_public_address(host):
        message = f"{host} {_NOT_PUBLIC} (webhooks.allow_private_addresses is off)"
        raise OSError(errno.EACCES, message)
    return socket.socket(family=family, type=kind, proto=proto)


class WebhookClient:
    """POSTs deliveries; `start()` opens the session (in the running loop), `close()` ends it."""

    def __init__(self, *, timeout: float, allow_private: bool, max_connections: int) -> None:
        self._timeout = timeout
        self._allow_private = allow_private
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None
        self._agent = f"HelperChat/{helperchat_version()} (webhooks)"

    async def start(self) -> None:
        connector = aiohttp.TCPConnector(
            limit=self._max_connections,
            limit_per_host=0,  # the drainer limits each site's receiver (gate.py)
            socket_factory=None if self._allow_private else public_only_socket,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=self._timeout),
            trust_env=False,
            auto_decompress=False,
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def post(self, delivery: DueDelivery, now: float) -> Attempt:
        """One attempt at `now` (the timestamp signed); its outcome."""
        if self._session is None:
            raise RuntimeError("the webhook client is not started")
        body = delivery.body.encode("utf-8")
        try:
            return await self._send(self._session, delivery, body, int(now))
        except TimeoutError:
            return Attempt(f"timeout after {self._timeout:g} s", Failure.TIMEOUT)
        except aiohttp.ClientConnectorError as exc:
            return _connection_failure(exc.os_error)
        except (aiohttp.ClientError, OSError) as exc:
            return Attempt(_short(exc), Failure.CONNECTION)

    async def _send(
        self, session: aiohttp.ClientSession, delivery: DueDelivery, body: bytes, timestamp: int
    ) -> Attempt:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": self._agent,
            "X-HelperChat-Event": delivery.event,
            "X-HelperChat-Delivery": delivery.delivery_id,
            "X-HelperChat-Timestamp": str(timestamp),
            "X-HelperChat-Signature": signature(delivery.secret, timestamp, body),
        }
        async with session.post(
            delivery.url, data=body, headers=headers, allow_redirects=False
        ) as answer:
            await answer.content.read(MAX_ANSWER_BYTES)
            if not answer.content.at_eof():
                answer.close()  # not worth reading on: this connection is not kept
            return _answered(answer.status)


def _answered(status: int) -> Attempt:
    if 200 <= status < 300:
        return Attempt(f"HTTP {status}")
    note = " (redirects are not followed)" if 300 <= status < 400 else ""
    return Attempt(f"HTTP {status}{note}", Failure.STATUS)


def _connection_failure(error: OSError) -> Attempt:
    text = _short(error)
    if error.errno == errno.EACCES and _NOT_PUBLIC in text:
        return Attempt(text, Failure.BLOCKED)
    return Attempt(text, Failure.CONNECTION)


def _short(exc: BaseException) -> str:
    """An error as one short line: the OS's words when there are some."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower() if exc.errno else exc.strerror
    return (str(exc) or type(exc).__name__).splitlines()[0][:200]
