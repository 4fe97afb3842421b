"""IM reminders of open feedback (SPEC §6): an operator coming online at a site's desk gets, from
the desk JID, each open feedback of that site they were not reminded of, one message each with
an XEP-0203 delay stamp of when it was left; an operator online when feedback is stored gets it
then. Once per operator and feedback: each is claimed in the database (feedback_reminders)
before it is sent, so a second resource, a reconnection or a restart never repeats it, and
feedback marked done is never claimed.

An OperatorWatch of the desk, and a listener of the archive writer's stored batches. The work is
a task per (site, operator), run one at a time for each (a call while one runs makes it run once
more), which first flushes the archive writer so feedback just left is seen. At most
REMINDERS_PER_LOGIN a time, the oldest first. Wiring: it awaits; SQL stays in storage/, stanzas
go through the XmppOut port.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Protocol

from component import texts
from component.addresses import Addresses
from component.archive import ArchiveBatch
from component.desk.ports import XmppOut
from component.feedback_mail import details
from component.models import Operator, Site
from component.records import FeedbackLeft

log = logging.getLogger(__name__)

REMINDERS_PER_LOGIN = 20
"""Reminders one operator gets at a time, oldest first: those that waited longest, in the order
they were left, each login bringing the next ones (a backlog of thousands cannot flood a client
at login; `helperchat feedback list` shows them all)."""


class ReminderStore(Protocol):
    async def claim_reminders(
        self, site_id: int, jid: str, limit: int, at: float
    ) -> tuple[list[FeedbackLeft], int]: ...


OnlineAt = Callable[[int], Iterable[tuple[Site, str]]]
"""The site (by id) with the JIDs of its enabled operators online at its desk now."""


class FeedbackReminders:
    def __init__(
        self,
        out: XmppOut,
        addresses: Addresses,
        store: ReminderStore,
        flush_archive: Callable[[], Awaitable[None]],
        clock: Callable[[], float],
        online_at: OnlineAt,
        per_login: int = REMINDERS_PER_LOGIN,
    ) -> None:
        self._out = out
        self._addresses = addresses
        self._store = store
        self._flush = flush_archive
        self._clock = clock
        self._online_at = online_at
        self._per_login = per_login
        self._tasks: dict[tuple[int, str], asyncio.Task[None]] = {}
        self._again: set[tuple[int, str]] = set()
        self._closed = False

    # -- OperatorWatch -------------------------------------------------------------------------

    def came_online(self, site: Site, operator: Operator, now: float) -> None:
        self._schedule(site, operator.jid)

    def went_offline(self, site: Site, operator: Operator, now: float) -> None:
        """Nothing: what was claimed went out already; the rest waits for the next login."""

    # -- the archive writer's listener ---------------------------------------------------------

    def on_stored(self, batch: ArchiveBatch) -> None:
        """Feedback just stored reaches its site's operators who are online now."""
        sites = {r.site_id for r in batch.records if isinstance(r, FeedbackLeft)}
        for site_id in sites:
            for site, jid in self._online_at(site_id):
                self._schedule(site, jid)

    async def close(self) -> None:
        """Stop the tasks (a claim is sent whole or rolled back: sending never awaits); nothing
        starts after (the archive's last batches at a stop are no reason to remind anyone)."""
        self._closed = True
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()  # a task cancelled before it ran never took itself out
        self._again.clear()

    async def wait_idle(self) -> None:
        """Return once no reminders are being looked up or sent."""
        while self._tasks:
            await asyncio.wait(list(self._tasks.values()))

    # -- the work ------------------------------------------------------------------------------

    def _schedule(self, site: Site, jid: str) -> None:
        key = (site.id, jid)
        if self._closed:
            return
        if key in self._tasks:
            self._again.add(key)
            return
        self._tasks[key] = asyncio.create_task(self._run(site, jid), name=f"reminders {jid}")

    async def _run(self, site: Site, jid: str) -> None:
        key = (site.id, jid)
        try:
            while True:
                self._again.discard(key)
                await self._remind_safely(site, jid)
                if key not in self._again:
                    return
        finally:
            self._tasks.pop(key, None)

    async def _remind_safely(self, site: Site, jid: str) -> None:
        try:
            await self._remind(site, jid)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the database away, the archive stopping: the next login
            log.warning("feedback reminders for %s at %s not sent now: %s", jid, site.slug, exc)

    async def _remind(self, site: Site, jid: str) -> None:
        await self._flush()
        if not self._still_online(site, jid):  # disabled, removed or gone while flushing
            return
        claimed, remaining = await self._store.claim_reminders(
            site.id, jid, self._per_login, self._clock()
        )
        desk = self._addresses.desk(site.slug)
        for feedback in claimed:  # no await from here on: what is claimed goes out whole
            body = texts.feedback_reminder(site, feedback, details(feedback, site.slug))
            self._out.send_message(desk, jid, body, delay=feedback.left_at)
        if claimed and remaining:
            self._out.send_message(desk, jid, texts.feedback_more(site, remaining))
        if claimed:
            log.info("%d feedback reminders of %s sent to %s", len(claimed), site.slug, jid)

    def _still_online(self, site: Site, jid: str) -> bool:
        """Whether `jid` is an enabled operator of the site online at its desk now: nothing is
        claimed for anyone else (they get it when they next come online as one)."""
        return any(there.id == site.id and who == jid for there, who in self._online_at(site.id))
