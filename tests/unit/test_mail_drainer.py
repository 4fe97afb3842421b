"""component/smtp/drainer.py over an in-memory outbox and a scripted sender: what is marked when,
the server's back-off, marks kept while the database refuses them, wakes, pauses and the stop.
(The same drainer against MariaDB and aiosmtpd: tests/integration/test_mail_outbox.py.)"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import pytest

from component.archive import ArchiveBatch
from component.mail import Backoff, Mailbox, OutboxMail, OutboxStatus
from component.models import VisitorKind
from component.records import FeedbackLeft, MailQueued
from component.smtp.client import Accepted, MailDeferred, MailRefused, ServerUnavailable
from component.smtp.drainer import DrainSettings, MailDrainer
from component.smtp.message import Envelope

NOW = 1_000_000.0
BACKOFF = Backoff(first=10.0, cap=80.0)


class DatabaseDown(Exception):
    pass


@dataclass
class Row:
    mail: OutboxMail
    next_at: float
    sent_at: float | None = None
    failed_at: float | None = None
    error: str = ""


@dataclass
class FakeOutbox:
    rows: dict[int, Row] = field(default_factory=dict)
    down: bool = False  # every call raises, as a database that is away
    reads: int = 0
    refusals: int = 0

    def add(self, count: int, at: float = NOW) -> list[OutboxMail]:
        mails = []
        for _ in range(count):
            n = len(self.rows) + 1
            mail = OutboxMail(
                n, 1, f"mail:{n}", f"<m{n}@x.test>", "o@x.test", "S", "", "t", "h", at
            )
            self.rows[n] = Row(mail, at)
            mails.append(mail)
        return mails

    def _waiting(self) -> list[Row]:
        return [r for r in self.rows.values() if r.sent_at is None and r.failed_at is None]

    def _check(self) -> None:
        if self.down:
            self.refusals += 1
            raise DatabaseDown("the database is away")

    async def due(self, now: float, limit: int) -> list[OutboxMail]:
        self._check()
        self.reads += 1
        due = sorted((r for r in self._waiting() if r.next_at <= now), key=lambda r: r.next_at)
        return [r.mail for r in due[:limit]]

    async def status(self) -> OutboxStatus:
        self._check()
        waiting = self._waiting()
        return OutboxStatus(len(waiting), min((r.next_at for r in waiting), default=None))

    async def mark_sent(self, mail_id: int, at: float, note: str = "") -> None:
        self._check()
        row = self.rows[mail_id]
        row.sent_at, row.error = at, note
        row.mail = replace(row.mail, attempts=row.mail.attempts + 1)

    async def postpone(self, mail_id: int, until: float, error: str) -> None:
        self._check()
        row = self.rows[mail_id]
        row.next_at, row.error = until, error
        row.mail = replace(row.mail, attempts=row.mail.attempts + 1)

    async def mark_failed(self, mail_id: int, at: float, error: str) -> None:
        self._check()
        row = self.rows[mail_id]
        row.failed_at, row.error = at, error
        row.mail = replace(row.mail, attempts=row.mail.attempts + 1)


Outcome = Exception | Callable[[], Exception | None] | None


@dataclass
class FakeSender:
    """Answers each send with the next scripted outcome (None: accepted; an exception: raised)."""

    script: list[Outcome] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    tried: list[str] = field(default_factory=list)
    closed: int = 0
    gate: asyncio.Event | None = None  # a send waits for it (a slow server)

    async def send(self, envelope: Envelope) -> Accepted:
        self.tried.append(str(envelope.message["Message-ID"]))
        if self.gate is not None:
            await self.gate.wait()
        outcome = self.script.pop(0) if self.script else None
        if isinstance(outcome, Exception):
            raise outcome
        self.sent.append(str(envelope.message["Message-ID"]))
        return Accepted()

    async def close(self) -> None:
        self.closed += 1


@dataclass
class Counts:
    sent: int = 0
    failed: int = 0
    retries: int = 0
    backlog: int = -1

    def count_mail_sent(self) -> None:
        self.sent += 1

    def count_mail_failed(self) -> None:
        self.failed += 1

    def count_mail_retry(self) -> None:
        self.retries += 1

    def set_mail_backlog(self, queued: int) -> None:
        self.backlog = queued


@dataclass
class World:
    outbox: FakeOutbox = field(default_factory=FakeOutbox)
    sender: FakeSender = field(default_factory=FakeSender)
    counts: Counts = field(default_factory=Counts)
    now: float = NOW
    drainer: MailDrainer = field(init=False)

    def __post_init__(self) -> None:
        settings = DrainSettings(Mailbox("desk@x.test"), 10, 60.0, BACKOFF)
        self.drainer = MailDrainer(
            self.outbox,
            self.sender,
            settings,
            self.counts,
            clock=lambda: self.now,
            draw=lambda: 0.0,  # the lower end of every jitter: half the nominal delay
        )


async def until(condition: Callable[[], bool]) -> None:
    """Let the drainer's task run until `condition` holds (10 s at most)."""
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.001)


@pytest.fixture
def world() -> World:
    return World()


async def test_due_mails_are_sent_and_marked_and_the_backlog_told(world: World) -> None:
    world.outbox.add(3)
    assert await world.drainer.drain_once() == 3
    assert [row.sent_at for row in world.outbox.rows.values()] == [NOW] * 3
    assert (world.counts.sent, world.counts.backlog, world.sender.closed) == (3, 0, 1)


async def test_a_server_failure_backs_off_the_server_not_only_the_mail(world: World) -> None:
    world.outbox.add(5)
    world.sender.script = [ServerUnavailable("connection refused")] * 2
    assert await world.drainer.drain_once() == 0
    assert world.sender.tried == ["<m1@x.test>"]  # one try, not one per waiting mail
    assert world.outbox.rows[1].next_at == NOW + 5.0  # the mail: half of 10 s
    world.now += 4.0
    await world.drainer.drain_once()  # the server's back-off (5 s) is not over
    assert len(world.sender.tried) == 1
    world.now += 1.0
    assert await world.drainer.drain_once() == 0  # second failure: the server waits 10 s now
    assert world.sender.tried == ["<m1@x.test>", "<m2@x.test>"]
    world.now += 10.0
    assert await world.drainer.drain_once() == 5  # back: every mail goes, the failed ones too
    assert world.counts.retries == 2
    world.sender.script = [ServerUnavailable("again")]
    world.outbox.add(1, at=world.now)
    await world.drainer.drain_once()
    assert world.outbox.rows[6].next_at == world.now + 5.0  # the server's count was reset


async def test_a_4xx_postpones_that_mail_and_the_others_go_on(world: World) -> None:
    world.outbox.add(3)
    world.sender.script = [None, MailDeferred("451 greylisted"), None]
    assert await world.drainer.drain_once() == 2
    row = world.outbox.rows[2]
    assert (row.sent_at, row.next_at, row.error) == (None, NOW + 5.0, "deferred: 451 greylisted")
    world.now += 5.0
    world.sender.script = [MailDeferred("451 still")]
    await world.drainer.drain_once()
    assert world.outbox.rows[2].next_at == world.now + 10.0  # its second failure: 20 s, halved


async def test_a_5xx_fails_the_mail_for_good(world: World) -> None:
    world.outbox.add(2)
    world.sender.script = [MailRefused("550 no such user")]
    assert await world.drainer.drain_once() == 1
    assert (world.outbox.rows[1].failed_at, world.outbox.rows[1].error) == (NOW, "550 no such user")
    world.now += 10_000
    await world.drainer.drain_once()
    assert world.sender.tried.count("<m1@x.test>") == 1
    assert world.counts.failed == 1


async def test_a_mark_the_database_refuses_is_kept_and_nothing_is_sent_twice(
    world: World,
) -> None:
    world.outbox.add(2)
    real_mark = world.outbox.mark_sent

    async def refuse_once(mail_id: int, at: float, note: str = "") -> None:
        world.outbox.mark_sent = real_mark  # type: ignore[method-assign]
        raise DatabaseDown("lost connection")

    world.outbox.mark_sent = refuse_once  # type: ignore[method-assign]
    with pytest.raises(DatabaseDown):
        await world.drainer.drain_once()
    assert world.outbox.rows[1].sent_at is None  # sent, mark not stored yet
    world.outbox.down = True
    with pytest.raises(DatabaseDown):
        await world.drainer.drain_once()
    world.outbox.down = False
    await world.drainer.drain_once()
    assert [row.sent_at for row in world.outbox.rows.values()] == [NOW, NOW]
    assert world.sender.sent == ["<m1@x.test>", "<m2@x.test>"]  # each once


async def test_an_unexpected_fault_postpones_the_mail_and_the_others_go_on(
    world: World,
) -> None:
    world.outbox.add(2)
    world.sender.script = [RuntimeError("a bug")]
    assert await world.drainer.drain_once() == 1
    assert world.outbox.rows[1].error == "internal error (see the log)"


async def test_an_unsendable_row_fails_without_reaching_the_server(world: World) -> None:
    (mail,) = world.outbox.add(1)
    world.outbox.rows[1].mail = replace(mail, recipients="not an address")
    assert await world.drainer.drain_once() == 0
    assert world.sender.tried == [] and world.outbox.rows[1].failed_at == NOW


def test_only_stored_mails_wake_it(world: World) -> None:
    feedback = FeedbackLeft(1, 1, NOW, VisitorKind.WEB, "hi")
    world.drainer.on_stored(ArchiveBatch(records=(feedback,)))
    assert not world.drainer._wake.is_set()
    mail = MailQueued(1, "k", "<k@x>", "o@x.test", "S", "t", "h", NOW)
    world.drainer.on_stored(ArchiveBatch(records=(feedback, mail)))
    assert world.drainer._wake.is_set()


async def test_the_pause_waits_for_the_next_due_mail_or_the_server_and_at_most_a_poll(
    world: World,
) -> None:
    await world.drainer.drain_once()
    assert world.drainer._pause(0) == 60.0  # nothing waits: the poll interval
    world.outbox.add(1, at=NOW + 7)
    await world.drainer.drain_once()
    assert world.drainer._pause(0) == 7.0
    world.outbox.add(1, at=NOW + 500)
    world.outbox.rows[1].sent_at = NOW
    await world.drainer.drain_once()
    assert world.drainer._pause(0) == 60.0
    assert world.drainer._pause(1) == 5.0  # the outbox failed once: its own back-off


async def test_a_full_batch_is_followed_at_once(world: World) -> None:
    world.outbox.add(15)
    assert await world.drainer.drain_once() == 10
    assert world.drainer._pause(0) == 0.0


async def test_a_stop_lets_the_mail_being_sent_finish_and_be_marked(world: World) -> None:
    world.outbox.add(2)
    world.sender.gate = asyncio.Event()
    world.drainer.start()
    await until(lambda: bool(world.sender.tried))
    stopping = asyncio.create_task(world.drainer.stop(timeout=30))
    await asyncio.sleep(0)
    world.sender.gate.set()
    await stopping
    assert world.outbox.rows[1].sent_at == NOW
    assert world.outbox.rows[2].sent_at is None  # not started once stopping: sent next time


async def test_a_stop_cuts_off_a_mail_that_does_not_finish_in_time(world: World) -> None:
    world.outbox.add(1)
    world.sender.gate = asyncio.Event()  # never set: a server that hangs
    world.drainer.start()
    await until(lambda: bool(world.sender.tried))
    await world.drainer.stop(timeout=0.01)
    assert world.outbox.rows[1].sent_at is None  # at least once: sent again at the next start


async def test_the_task_goes_on_after_the_database_was_away(world: World) -> None:
    world.outbox.add(1)
    world.outbox.down = True
    world.drainer.start()
    await until(lambda: world.outbox.refusals > 0)
    world.outbox.down = False
    world.drainer.wake()  # without it, the next pass comes after the outbox's back-off
    await until(lambda: world.outbox.rows[1].sent_at is not None)
    await world.drainer.stop()
