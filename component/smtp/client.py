"""The SMTP server through aiosmtplib: one connection kept for a run of mails, and every outcome
sorted into what the drainer does next.

- ServerUnavailable: the server cannot be used now (connection refused or lost, no answer within
  smtp.timeout, a 421, a refusal at the greeting, STARTTLS or login): back off the server itself;
- MailDeferred: a 4xx answer to this mail: try it again later;
- MailRefused: a 5xx answer to this mail (every recipient refused for good, the sender or the
  data refused): never again.

Each step waits at most smtp.timeout seconds (aiosmtplib's timeout), and a whole connection set-up
or a whole mail at most MAIL_TIMEOUT_FACTOR times that, so a server that trickles bytes cannot hold
the drainer either. The only module importing aiosmtplib.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import TypeVar

import aiosmtplib

from component.config import SmtpConfig
from component.smtp.message import Envelope

log = logging.getLogger(__name__)

MAIL_TIMEOUT_FACTOR = 4
SERVICE_CLOSING = 421  # RFC 5321: the server is going away; not about the mail
_T = TypeVar("_T")


class ServerUnavailable(Exception):
    """The server cannot take mail now; back off the server, not only the mail."""


class MailDeferred(Exception):
    """A temporary (4xx) refusal of this mail."""


class MailRefused(Exception):
    """A permanent (5xx) refusal of this mail."""


@dataclass(frozen=True, slots=True)
class Accepted:
    """The server took the mail; `refused` names the recipients it refused (the others got it)."""

    refused: dict[str, str] = field(default_factory=dict)


def describe(config: SmtpConfig) -> str:
    """Where mail goes, for log lines: `smtp.example.com:587 (STARTTLS)`."""
    security = " (TLS)" if config.tls else " (STARTTLS)" if config.starttls else ""
    return f"{config.host}:{config.effective_port}{security}"


class SmtpClient:
    """Sends mails over one connection, opened when needed; `close()` ends it with QUIT."""

    def __init__(self, config: SmtpConfig) -> None:
        self._config = config
        self._smtp: aiosmtplib.SMTP | None = None
        self._sent_on_connection = 0

    async def send(self, envelope: Envelope) -> Accepted:
        """Send one mail; ServerUnavailable, MailDeferred or MailRefused when it was not taken.
        A connection that served mails before and is found closed is opened again once."""
        smtp = await self._connection()
        reused = self._sent_on_connection > 0
        try:
            accepted = await self._exchange(smtp, envelope)
        except ServerUnavailable:
            if not reused:
                raise
            log.debug("smtp: the connection was closed after %d mails", self._sent_on_connection)
            accepted = await self._exchange(await self._connection(), envelope)
        self._sent_on_connection += 1
        return accepted

    async def check(self) -> None:
        """Open the connection (TLS, login) and say NOOP; ServerUnavailable when that fails."""
        smtp = await self._connection()
        try:
            await self._bounded(smtp.noop())
        except (aiosmtplib.SMTPException, OSError) as exc:
            self._drop(smtp)
            raise ServerUnavailable(_reason(exc)) from exc

    async def close(self) -> None:
        """QUIT the connection if one is open (its errors do not matter any more)."""
        smtp, self._smtp = self._smtp, None
        if smtp is None or not smtp.is_connected:
            return
        try:
            await self._bounded(smtp.quit())
        except (aiosmtplib.SMTPException, OSError, ServerUnavailable):
            smtp.close()

    async def _connection(self) -> aiosmtplib.SMTP:
        if self._smtp is not None and self._smtp.is_connected:
            return self._smtp
        self._smtp, self._sent_on_connection = None, 0
        smtp = _new_smtp(self._config)
        try:
            await self._bounded(smtp.connect())
        except (aiosmtplib.SMTPException, OSError) as exc:
            smtp.close()
            raise ServerUnavailable(f"cannot use {describe(self._config)}: {_reason(exc)}") from exc
        self._smtp = smtp
        return smtp

    async def _exchange(self, smtp: aiosmtplib.SMTP, envelope: Envelope) -> Accepted:
        try:
            refused, _ = await self._bounded(
                smtp.send_message(
                    envelope.message, sender=envelope.sender, recipients=envelope.recipients
                )
            )
        except (aiosmtplib.SMTPException, OSError, ServerUnavailable, ValueError) as exc:
            failure = _sorted(exc)
            if isinstance(failure, ServerUnavailable):
                self._drop(smtp)
            raise failure from exc
        return Accepted(
            {rcpt: f"{answer.code} {answer.message}" for rcpt, answer in refused.items()}
        )

    async def _bounded(self, step: Awaitable[_T]) -> _T:
        limit = self._config.timeout * MAIL_TIMEOUT_FACTOR
        bound = asyncio.timeout(limit)
        try:
            async with bound:
                return await step
        except TimeoutError as exc:
            if not bound.expired():  # aiosmtplib's own timeouts are TimeoutErrors too
                raise
            raise ServerUnavailable(f"no answer within {limit:g} s in all") from exc

    def _drop(self, smtp: aiosmtplib.SMTP) -> None:
        """Close a connection whose state is unknown; the next mail opens a new one."""
        smtp.close()
        if self._smtp is smtp:
            self._smtp = None


def _new_smtp(config: SmtpConfig) -> aiosmtplib.SMTP:
    return aiosmtplib.SMTP(
        hostname=config.host,
        port=config.effective_port,
        username=config.username or None,
        password=config.password or None,
        timeout=config.timeout,
        use_tls=config.tls,
        start_tls=config.starttls,  # False: never upgrade, True: required
        cert_bundle=config.ca_file,
    )


def _sorted(exc: Exception) -> Exception:
    """What a failure to send one mail means for the drainer."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        answers = [(r.code, f"{r.recipient}: {r.code} {r.message}") for r in exc.recipients]
        text = "recipients refused: " + "; ".join(answer for _, answer in answers)
        permanent = all(code >= 500 for code, _ in answers)
        return MailRefused(text) if permanent else MailDeferred(text)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return _by_code(exc.code, f"{exc.code} {exc.message}")
    if isinstance(exc, aiosmtplib.SMTPNotSupported | ValueError):
        return MailRefused(_reason(exc))  # e.g. no SMTPUTF8 for a non-ASCII address
    if isinstance(exc, ServerUnavailable):
        return exc
    return ServerUnavailable(_reason(exc))


def _by_code(code: int, text: str) -> Exception:
    if code == SERVICE_CLOSING or not 400 <= code < 600:
        return ServerUnavailable(text)
    return MailDeferred(text) if code < 500 else MailRefused(text)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return f"{exc.code} {exc.message}"
    return " ".join(str(exc).split()) or type(exc).__name__


async def probe(config: SmtpConfig) -> str:
    """Connect as the drainer would (TLS, login), say NOOP and QUIT; what was done, or
    ServerUnavailable with the reason (for `helperchat check`)."""
    client = SmtpClient(config)
    try:
        await client.check()
    finally:
        await client.close()
    login = f", logged in as {config.username}" if config.username else ""
    return f"connected to {describe(config)}{login}"
