"""The roster push in a running HelperChat and on the command line (wiring): RosterPush built from
the `ejabberd_api` section, and the desk's RosterPushes port, each push a task whose answer goes
back to the desk as its `roster_pushed` use case."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from component.addresses import Addresses
from component.config import Config
from component.ejabberd_api import EjabberdApi
from component.models import Operator, Site
from component.roster_push import RosterPush
from component.storage.directory import DirectoryRepository

log = logging.getLogger(__name__)

MAX_PUSHES_IN_FLIGHT = 4
"""Calls to the API at once (a start greets every operator: the others wait their turn)."""

Answer = Callable[[str, str, bool], None]
"""(site slug, operator JID, pushed): HelpDesk.roster_pushed."""


def roster_push_of(config: Config, repo: DirectoryRepository) -> RosterPush:
    """The desk into operators' rosters through ejabberd's API when ejabberd_api is set (else a
    RosterPush that does nothing); a pushed operator is stored as subscribed."""
    settings = config.ejabberd_api
    api = EjabberdApi(settings) if settings.configured else None

    async def mark_subscribed(site: Site, op: Operator) -> None:
        await repo.mark_subscribed(site.id, op.jid, time.time())

    addresses = Addresses(config.xmpp.component_jid)
    return RosterPush(api, addresses, settings.group, mark_subscribed)


class RosterPushRuntime:
    """The desk's RosterPushes port: `push` starts a task; `attach` the desk's answer first."""

    def __init__(self, push: RosterPush) -> None:
        self._push = push
        self._answer: Answer | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(MAX_PUSHES_IN_FLIGHT)

    def attach(self, answer: Answer) -> None:
        self._answer = answer

    def push(self, site: Site, operator: Operator) -> None:
        task = asyncio.get_running_loop().create_task(self._run(site, operator))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, site: Site, operator: Operator) -> None:
        try:
            async with self._slots:
                pushed = await self._push.operator_added(site, operator) is None
        except Exception:  # the store failed after the push: the desk asks, nothing is lost
            log.exception("pushing the desk %s into %s's roster failed", site.slug, operator.jid)
            pushed = False
        if self._answer is not None:
            try:
                self._answer(site.slug, operator.jid, pushed)
            except Exception:
                log.exception("handling the roster push of %s failed", operator.jid)

    async def operator_removed(self, site: Site, jid: str) -> None:
        """The desk out of a removed operator's roster (a failure is logged: the desk has ended
        both subscriptions itself)."""
        async with self._slots:
            await self._push.operator_removed(site, jid)

    async def close(self) -> None:
        """Stop the pushes still waiting for the API (they are tried again at the next start)."""
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
