"""The mail outbox's drainer: a task that reads due mails (oldest first, a bounded batch), sends
each and marks it: sent once the server took it, postponed with back-off when it could not be
sent now, failed for good on a permanent refusal.

At least once, never lost: a mail is marked sent only after the server accepted it, and the mark
is kept and written again while the database refuses it (no batch is read meanwhile, so no mail
is sent twice for that). A stop or crash between the server's answer and the mark's commit sends
that one mail again at the next start, with the same Message-ID. A server that does not answer
backs off as a whole (its own back-off, reset by the next mail it takes): one failure, not one
timeout per waiting mail. The drainer wakes when the archive writer stores a MailQueued record
and otherwise reads the outbox every smtp.poll_interval seconds. Must not import aiomysql.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from component.archive import ArchiveBatch
from component.mail import Backoff, Mailbox, OutboxMail, OutboxStatus
from component.records import MailQueued
from component.smtp.client import Accepted, MailDeferred, MailRefused, ServerUnavailable
from component.smtp.message import Envelope, UnsendableMail, build_message

log = logging.getLogger(__name__)

STOP_SECONDS = 5.0
"""How long a stop lets the mail being sent finish (and be marked) before it is cut off; one cut
off is sent again at the next start."""


class MailOutbox(Protocol):
    """The outbox table (storage/mail_outbox.py)."""

    async def due(self, now: float, limit: int) -> list[OutboxMail]: ...
    async def status(self) -> OutboxStatus: ...
    async def mark_sent(self, mail_id: int, at: float, note: str = "") -> None: ...
    async def postpone(self, mail_id: int, until: float, error: str) -> None: ...
    async def mark_failed(self, mail_id: int, at: float, error: str) -> None: ...


class MailSender(Protocol):
    """The SMTP server (client.py's SmtpClient)."""

    async def send(self, envelope: Envelope) -> Accepted: ...
    async def close(self) -> None: ...


class MailCounts(Protocol):
    """Where the drainer's figures go (metrics.py)."""

    def count_mail_sent(self) -> None: ...
    def count_mail_failed(self) -> None: ...
    def count_mail_retry(self) -> None: ...
    def set_mail_backlog(self, queued: int) -> None: ...


@dataclass(frozen=True, slots=True)
class DrainSettings:
    sender: Mailbox
    batch_size: int
    poll_interval: float
    backoff: Backoff  # for a mail's retries and for the server's


_Mark = Callable[[], Awaitable[None]]


class MailDrainer:
    def __init__(
        self,
        outbox: MailOutbox,
        sender: MailSender,
        settings: DrainSettings,
        counts: MailCounts,
        *,
        clock: Callable[[], float] = time.time,
        draw: Callable[[], float] = random.random,
    ) -> None:
        self._outbox = outbox
        self._sender = sender
        self._settings = settings
        self._counts = counts
        self._clock = clock
        self._draw = draw
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._marks: list[_Mark] = []  # written in order before the outbox is read again
        self._server_failures = 0
        self._server_ready_at = 0.0
        self._next_due: float | None = None
        self._full_batch = False
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """Read the outbox now (a mail was queued)."""
        self._wake.set()

    def on_stored(self, batch: ArchiveBatch) -> None:
        """The archive writer's callback: wake when the stored rows hold a mail."""
        if any(isinstance(record, MailQueued) for record in batch.records):
            self.wake()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="mail-drainer")

    async def stop(self, timeout: float = STOP_SECONDS) -> None:
        """Let the mail being sent finish within `timeout`, then end the task."""
        self._stopping = True
        self._wake.set()
        task, self._task = self._task, None
        if task is None:
            return
        _, running = await asyncio.wait({task}, timeout=timeout)
        if running:
            task.cancel()
            log.warning("mail: stopped while sending; that mail is sent again at the next start")
            await asyncio.wait({task})
        with contextlib.suppress(asyncio.CancelledError):
            await self._sender.close()

    async def drain_once(self) -> int:
        """One pass: write the marks held back, then send the due mails of one batch while the
        server takes them. Returns how many it took. Errors of the outbox's database raise."""
        async with self._lock:
            await self._write_marks()
            sent = 0
            if self._clock() >= self._server_ready_at:
                sent = await self._send_batch()
            await self._read_status()
            return sent

    async def _run(self) -> None:
        failures = 0
        while not self._stopping:
            try:
                await self.drain_once()
                failures = 0
            except Exception as exc:
                failures += 1
                if failures == 1 or failures % 20 == 0:
                    log.warning("mail: the outbox could not be read or marked (%s)", exc)
            await self._sleep(self._pause(failures))

    async def _send_batch(self) -> int:
        mails = await self._outbox.due(self._clock(), self._settings.batch_size)
        self._full_batch = len(mails) == self._settings.batch_size
        sent = 0
        try:
            for mail in mails:
                if self._stopping:
                    break
                outcome = await self._deliver(mail)
                if outcome is None:
                    break  # the server is away: the others wait for its back-off
                sent += outcome
        finally:
            await self._sender.close()
            await self._write_marks()
        return sent

    async def _deliver(self, mail: OutboxMail) -> bool | None:
        """Send one mail and queue its mark: True sent, False not (retried or failed), None when
        the server itself is unavailable."""
        try:
            envelope = build_message(mail, self._settings.sender)
            accepted = await self._sender.send(envelope)
        except ServerUnavailable as exc:
            self._server_failed(mail, exc)
            return None
        except MailDeferred as exc:
            self._postpone(mail, f"deferred: {exc}")
            return False
        except (MailRefused, UnsendableMail) as exc:
            self._fail(mail, str(exc))
            return False
        except Exception:  # a fault of ours must not hold the outbox up: the mail waits
            log.exception("mail: sending %s failed unexpectedly", mail.mail_key)
            self._postpone(mail, "internal error (see the log)")
            return False
        self._server_failures = 0
        self._sent(mail, accepted, envelope.notes)
        return True

    def _sent(self, mail: OutboxMail, accepted: Accepted, notes: tuple[str, ...]) -> None:
        refused = [f"{rcpt} refused: {answer}" for rcpt, answer in accepted.refused.items()]
        note = "; ".join((*notes, *refused))
        if note:
            log.warning("mail: %s sent, but %s", mail.mail_key, note)
        log.info("mail: %s sent (attempt %d)", mail.mail_key, mail.attempts + 1)
        self._counts.count_mail_sent()
        at = self._clock()
        self._marks.append(lambda: self._outbox.mark_sent(mail.id, at, note))

    def _postpone(self, mail: OutboxMail, error: str) -> None:
        delay = self._settings.backoff.delay(mail.attempts + 1, self._draw())
        log.warning(
            "mail: %s not sent (%s); attempt %d, next in %.0f s",
            mail.mail_key,
            error,
            mail.attempts + 1,
            delay,
        )
        self._counts.count_mail_retry()
        until = self._clock() + delay
        self._marks.append(lambda: self._outbox.postpone(mail.id, until, error))

    def _fail(self, mail: OutboxMail, error: str) -> None:
        log.error("mail: %s refused for good, not retried: %s", mail.mail_key, error)
        self._counts.count_mail_failed()
        at = self._clock()
        self._marks.append(lambda: self._outbox.mark_failed(mail.id, at, error))

    def _server_failed(self, mail: OutboxMail, exc: ServerUnavailable) -> None:
        self._server_failures += 1
        delay = self._settings.backoff.delay(self._server_failures, self._draw())
        self._server_ready_at = self._clock() + delay
        log.warning("mail: server unavailable, next try in %.0f s: %s", delay, exc)
        self._postpone(mail, f"server unavailable: {exc}")

    async def _write_marks(self) -> None:
        """Write the marks in order; the first that fails stays, with those after it."""
        while self._marks:
            await self._marks[0]()
            self._marks.pop(0)

    async def _read_status(self) -> None:
        status = await self._outbox.status()
        self._counts.set_mail_backlog(status.queued)
        self._next_due = status.next_due

    def _pause(self, failures: int) -> float:
        """Seconds until the next pass: at once after a full batch, else when the next mail or
        the server is due, never longer than the poll interval (a backstop for missed wakes)."""
        settings = self._settings
        if failures:
            return min(settings.poll_interval, settings.backoff.delay(failures, self._draw()))
        if self._full_batch and self._clock() >= self._server_ready_at:
            return 0.0
        due = max(self._next_due or float("inf"), self._server_ready_at)
        return max(0.0, min(settings.poll_interval, due - self._clock()))

    async def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), seconds)
        self._wake.clear()
