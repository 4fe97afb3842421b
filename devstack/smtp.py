"""A throwaway SMTP server (aiosmtpd) in this process on a loopback port, for tests and benchmarks.

It keeps every message it accepts; it can answer the next DATA commands with codes of the test's
choosing (`451 ...`, `550 ...`), accept the next connections and then say nothing at all (a hung
server), offer STARTTLS and require a login. Unlike the rest of devstack it
needs a library (aiosmtpd, a development dependency), so devstack/__init__.py does not import it.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from functools import cached_property
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Received:
    """One message the server accepted: the envelope's addresses and the bytes of the message,
    parsed when first asked for (parsing costs more than receiving: benchmarks never ask)."""

    sender: str
    recipients: tuple[str, ...]
    raw: bytes

    @cached_property
    def message(self) -> EmailMessage:
        message = email.message_from_bytes(self.raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        return message


@dataclass
class MailSink:
    """aiosmtpd's handler: answers DATA from `answers` first (then 250) and keeps what it took;
    `on_accepted` is called with each message just after its 250 went out."""

    received: list[Received] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    refused: int = 0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    on_accepted: Callable[[Received], None] | None = None

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        if self.answers and not self.answers[0].startswith("250"):
            self.refused += 1
            return self.answers.pop(0)
        if self.answers:
            self.answers.pop(0)
        raw = bytes(envelope.original_content or b"")
        received = Received(str(envelope.mail_from), tuple(envelope.rcpt_tos), raw)
        self.received.append(received)
        self.arrived.set()
        if self.on_accepted is not None:
            asyncio.get_running_loop().call_soon(self.on_accepted, received)
        return "250 OK: queued"


@dataclass
class Credentials:
    """The one login the server accepts (checked only when given to MailServer)."""

    username: str
    password: str

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        good = isinstance(data, LoginPassword) and (
            data.login.decode() == self.username and data.password.decode() == self.password
        )
        return AuthResult(success=good, handled=False)


class _Silent(asyncio.Protocol):
    """Takes the connection and never answers (not even the greeting)."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport


class MailServer:
    """aiosmtpd on HOST:`port` (a free one by default) in the running event loop. The next
    `hang_connections` connections are accepted and never answered."""

    def __init__(
        self,
        *,
        tls_files: tuple[Path, Path] | None = None,
        login: Credentials | None = None,
    ) -> None:
        self.sink = MailSink()
        self.port = 0
        self._tls_files = tls_files
        self._login = login
        self._server: asyncio.Server | None = None
        self._connections: list[asyncio.Protocol] = []
        self.hang_connections = 0
        self.hung = 0

    async def start(self, port: int = 0) -> MailServer:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._protocol, HOST, port)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    def drop_connections(self) -> None:
        """Close every open connection (a server that hangs up), still listening."""
        for connection in self._connections:
            transport = getattr(connection, "transport", None)
            if transport is not None:
                transport.close()
        self._connections = []

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
            self.drop_connections()  # asyncio.Server.close_clients() from 3.13 on
            await server.wait_closed()

    @property
    def received(self) -> list[Received]:
        return self.sink.received

    def with_message_id(self, message_id: str) -> list[Received]:
        return [mail for mail in self.received if mail.message["Message-ID"] == message_id]

    async def wait_for(self, count: int, timeout: float = 60.0) -> list[Received]:
        """The messages once at least `count` have arrived (AssertionError after `timeout`)."""
        async with asyncio.timeout(timeout):
            while len(self.received) < count:
                self.sink.arrived.clear()
                await self.sink.arrived.wait()
        return self.received

    def _protocol(self) -> asyncio.Protocol:
        connection = self._silent() if self.hang_connections else self._smtp()
        self._connections.append(connection)
        return connection

    def _silent(self) -> _Silent:
        self.hang_connections -= 1
        self.hung += 1
        return _Silent()

    def _smtp(self) -> SMTP:
        tls = None
        if self._tls_files is not None:
            tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            tls.load_cert_chain(*self._tls_files)
        return SMTP(
            self.sink,
            hostname=HOST,
            tls_context=tls,
            require_starttls=tls is not None,
            authenticator=self._login,
            auth_required=self._login is not None,
            auth_require_tls=tls is not None,
        )
