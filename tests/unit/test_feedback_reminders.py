"""The reminder task over fakes (the real claims run on MariaDB in the integration tests): what
an operator coming online is sent, in which order, how many, and that nothing is sent twice."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace

import pytest

from component.addresses import Addresses
from component.archive import ArchiveBatch
from component.models import Site, VisitorKind
from component.records import FeedbackLeft
from component.reminders import FeedbackReminders
from tests.unit.fakes import ACME, ALICE, BOB, DOMAIN, GLOBEX, FakeOut


def left(number: int, site: Site = ACME) -> FeedbackLeft:
    return FeedbackLeft(
        site.id, number, 1_700_000_000.0 + number, VisitorKind.WEB, f"text {number}"
    )


@dataclass
class FakeStore:
    """Claims as the repository makes them: each (site, number, operator) once, oldest first."""

    feedback: list[FeedbackLeft] = field(default_factory=list)
    done: set[tuple[int, int]] = field(default_factory=set)
    claimed: set[tuple[int, int, str]] = field(default_factory=set)
    failures: int = 0
    calls: list[str] = field(default_factory=list)
    gate: asyncio.Event | None = None
    claiming: asyncio.Event = field(default_factory=asyncio.Event)

    async def claim_reminders(
        self, site_id: int, jid: str, limit: int, at: float
    ) -> tuple[list[FeedbackLeft], int]:
        self.calls.append(f"claim {jid}")
        self.claiming.set()
        if self.gate is not None:
            await self.gate.wait()
        if self.failures:
            self.failures -= 1
            raise ConnectionError("database went away")
        due = [
            f
            for f in sorted(self.feedback, key=lambda f: f.number)
            if f.site_id == site_id
            and (site_id, f.number) not in self.done
            and (site_id, f.number, jid) not in self.claimed
        ]
        for f in due[:limit]:
            self.claimed.add((site_id, f.number, jid))
        return due[:limit], len(due) - len(due[:limit])


@dataclass
class Reminding:
    out: FakeOut
    store: FakeStore
    reminders: FeedbackReminders
    online: dict[int, list[str]]

    async def settled(self) -> None:
        await self.reminders.wait_idle()


def reminding(per_login: int = 20) -> Reminding:
    out, store = FakeOut(), FakeStore()
    online: dict[int, list[str]] = {ACME.id: [ALICE.jid, BOB.jid]}  # came online at the desk
    sites = {ACME.id: ACME, GLOBEX.id: GLOBEX}

    async def flush() -> None:
        store.calls.append("flush")

    reminders = FeedbackReminders(
        out,
        Addresses(DOMAIN),
        store,
        flush,
        lambda: 1_800_000_000.0,
        lambda site_id: [(sites[site_id], jid) for jid in online.get(site_id, [])],
        per_login=per_login,
    )
    return Reminding(out, store, reminders, online)


async def test_an_operator_coming_online_gets_each_open_feedback_once_with_its_stamp() -> None:
    r = reminding()
    r.store.feedback = [left(2), left(1), left(3), left(1, GLOBEX)]
    r.store.done = {(ACME.id, 3)}
    r.reminders.came_online(ACME, ALICE, 0.0)
    await r.settled()
    sent = r.out.take()
    assert [(m.sender, m.recipient, m.delay) for m in sent] == [
        (f"acme@{DOMAIN}", ALICE.jid, 1_700_000_001.0),
        (f"acme@{DOMAIN}", ALICE.jid, 1_700_000_002.0),
    ]
    assert sent[0].body.startswith("Feedback 1 for Acme Inc. (acme), left 2023-11-14 22:13:21 UTC")
    assert "text 1" in sent[0].body and "helperchat feedback done acme 1" in sent[0].body
    assert r.store.calls == ["flush", f"claim {ALICE.jid}"]  # what was just left is seen
    r.reminders.came_online(ACME, ALICE, 0.0)  # another resource, a reconnection: nothing again
    await r.settled()
    assert r.out.take() == []


async def test_a_big_backlog_comes_oldest_first_a_few_at_a_login() -> None:
    r = reminding(per_login=3)
    r.store.feedback = [left(n) for n in range(1, 9)]
    r.reminders.came_online(ACME, BOB, 0.0)
    await r.settled()
    sent = r.out.take()
    assert [m.delay for m in sent[:3]] == [1_700_000_001.0, 1_700_000_002.0, 1_700_000_003.0]
    assert sent[3].delay is None and sent[3].body.startswith("5 more open feedback of Acme Inc.")
    r.reminders.came_online(ACME, BOB, 0.0)
    await r.settled()
    assert [m.delay for m in r.out.take()][:3] == [
        1_700_000_004.0,
        1_700_000_005.0,
        1_700_000_006.0,
    ]


async def test_calls_while_one_runs_make_it_run_once_more_not_twice_at_once() -> None:
    r = reminding()
    r.store.feedback, r.store.gate = [left(1)], asyncio.Event()
    r.reminders.came_online(ACME, ALICE, 0.0)
    await r.store.claiming.wait()  # the claim is under way
    for _ in range(3):  # two resources, a reconnection meanwhile
        r.reminders.came_online(ACME, ALICE, 0.0)
    r.store.gate.set()
    await r.settled()
    assert len(r.out.take()) == 1
    assert r.store.calls == ["flush", f"claim {ALICE.jid}"] * 2  # the first, then one more


async def test_feedback_stored_reaches_the_operators_online_at_its_site() -> None:
    r = reminding()
    r.online[ACME.id] = [ALICE.jid]
    r.store.feedback = [left(1)]
    r.reminders.on_stored(ArchiveBatch(records=(left(1),)))
    r.reminders.on_stored(ArchiveBatch())  # no feedback in the batch: nothing to do
    await r.settled()
    assert [m.recipient for m in r.out.take()] == [ALICE.jid]


async def test_a_database_away_sends_nothing_and_the_next_login_tries_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    r = reminding()
    r.store.feedback, r.store.failures = [left(1)], 1
    r.reminders.came_online(ACME, ALICE, 0.0)
    await r.settled()
    assert r.out.take() == [] and "not sent now" in caplog.text
    r.reminders.came_online(ACME, ALICE, 0.0)
    await r.settled()
    assert len(r.out.take()) == 1


async def test_close_stops_the_tasks_and_none_starts_after() -> None:
    r = reminding()
    r.store.feedback = [left(1)]
    r.reminders.came_online(ACME, ALICE, 0.0)
    await r.reminders.close()
    await asyncio.wait_for(r.reminders.wait_idle(), 1)
    r.online[ACME.id] = [ALICE.jid]
    r.reminders.on_stored(ArchiveBatch(records=(left(1),)))  # the archive's last rows at a stop
    r.reminders.came_online(ACME, ALICE, 0.0)
    await asyncio.wait_for(r.reminders.wait_idle(), 1)
    assert r.out.take() == [] and r.store.calls == []


async def test_a_disabled_operator_coming_online_is_sent_nothing() -> None:
    r = reminding()
    r.store.feedback = [left(1)]
    r.online[ACME.id] = [ALICE.jid]  # the enabled operators online at the desk: not Bob
    r.reminders.came_online(ACME, replace(BOB, enabled=False), 0.0)
    await r.settled()
    assert r.out.take() == []
    assert (ACME.id, 1, BOB.jid) not in r.store.claimed  # kept for when he is enabled again


async def test_an_operator_removed_while_the_archive_flushes_is_sent_nothing() -> None:
    r = reminding()
    r.store.feedback = [left(1)]
    r.online[ACME.id] = [ALICE.jid]
    flushing, flushed = asyncio.Event(), asyncio.Event()

    async def slow_flush() -> None:
        flushing.set()
        await flushed.wait()

    r.reminders._flush = slow_flush
    r.reminders.came_online(ACME, ALICE, 0.0)
    await flushing.wait()
    r.online[ACME.id] = []  # `operator remove acme alice@…` applied meanwhile
    flushed.set()
    await r.settled()
    assert r.out.take() == []
