"""Site administration from the desk's ad-hoc commands (`settings`, `operators`): stored through
Admin (the command line's own checks), then applied to the running desk at once by reloading the
directory, as the periodic reload would, and logged with who made the change.

The last-admin rule is checked on what the desk read, and again in the transaction that stores
the change, with the site's operators locked (two admins demoting each other at once leave one).
DirectoryReload is that reload, shared with the periodic one under one lock, so an older reading
can never be applied after a newer one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping

from component.admin import Admin, JidNormalizer
from component.desk.helpdesk import HelpDesk
from component.directory import Directory
from component.errors import InvalidInput, UnknownSite
from component.forms import FormField
from component.models import Operator, Site
from component.operator_form import edit_changes, keeps_an_admin, new_operator
from component.site_form import settings_changes
from component.storage.database import StorageError
from component.storage.directory import (
    DirectoryRepository,
    DuplicateError,
    NotFoundError,
    OperatorsCheck,
)

log = logging.getLogger(__name__)

RosterRemoval = Callable[[Site, str], Awaitable[None]]
"""The desk out of a removed operator's roster through the server's API (ejabberd_api)."""


class DirectoryReload:
    """Read sites and operators and hand them to the desk; one reading at a time."""

    def __init__(self, repo: DirectoryRepository, desk: Callable[[], HelpDesk | None]) -> None:
        self._repo = repo
        self._desk = desk
        self._lock = asyncio.Lock()

    async def __call__(self) -> None:
        async with self._lock:
            directory = Directory(await self._repo.list_sites(), await self._repo.list_operators())
            desk = self._desk()
            if desk is not None:
                desk.apply_directory(directory)


class LiveAdmin:
    """What the administration commands change, checked as the command line checks it."""

    def __init__(
        self,
        repo: DirectoryRepository,
        normalize_jid: JidNormalizer,
        reload: DirectoryReload,
        languages: Collection[str],
        roster_removal: RosterRemoval | None = None,
    ) -> None:
        self._repo = repo
        self._roster_removal = roster_removal
        self._admin = Admin(repo, normalize_jid)
        self._normalize_jid = normalize_jid
        self._reload = reload
        self._languages = languages

    async def _apply(self) -> None:
        """The stored change to the running desk now; when that reading fails, the change is
        made all the same (stored) and the periodic reload applies it."""
        try:
            await self._reload()
        except StorageError as error:
            log.warning("a change is stored; the desk applies it at the next reload (%s)", error)

    @property
    def languages(self) -> Collection[str]:
        return self._languages

    async def site(self, slug: str) -> Site:
        try:
            return await self._repo.get_site(slug)
        except NotFoundError:  # removed since the desk last heard of it
            raise UnknownSite(f"no site {slug!r}") from None

    async def operators(self, slug: str) -> list[Operator]:
        try:
            return await self._admin.list_operators(slug)
        except NotFoundError:
            raise UnknownSite(f"no site {slug!r}") from None

    async def change_settings(
        self, slug: str, by: str, shown: tuple[FormField, ...], submitted: Mapping[str, str]
    ) -> list[str]:
        """Apply what the answers change (all or nothing); the names of the changed settings."""
        site = await self.site(slug)
        changes = settings_changes(site, shown, submitted, self._normalize_jid, self._languages)
        if not changes:
            return []
        await self._admin.set_site(slug, changes)
        await self._apply()
        names = sorted(changes)
        log.info("settings of %s changed by %s: %s", slug, by, ", ".join(names))
        return names

    async def change_operator(
        self,
        slug: str,
        by: str,
        jid: str,
        shown: tuple[FormField, ...],
        submitted: Mapping[str, str],
    ) -> list[str]:
        """Apply what the answers change of one operator; the names of the changed values."""
        operators = await self.operators(slug)
        op = _find(operators, jid, slug)
        changes = edit_changes(op, shown, submitted)
        check = None
        if changes.get("is_admin") is False:
            site = await self.site(slug)
            keeps_an_admin(site, operators, jid)
            check = _keeping_an_admin(site, jid)  # decided again as the change is stored
        if not changes:
            return []
        await self._admin.set_operator(slug, jid, changes, check)
        await self._apply()
        names = sorted(changes)
        log.info("operator %s of %s changed by %s: %s", jid, slug, by, ", ".join(names))
        return names

    async def add_operator(
        self, slug: str, by: str, jid: str, submitted: Mapping[str, str]
    ) -> Operator:
        """Add an operator as `operator add` does; the desk greets them at once."""
        name, priority, max_chats, admin = new_operator(submitted)
        try:
            op = await self._admin.add_operator(slug, jid, name, priority, max_chats, admin)
        except DuplicateError:
            raise InvalidInput(f"jid: {jid} is an operator of {slug} already") from None
        await self._apply()
        log.info("operator %s added to %s by %s", op.jid, slug, by)
        return op

    async def remove_operator(self, slug: str, by: str, jid: str) -> str:
        """Remove an operator (never the site's last admin); the desk releases them at once."""
        operators = await self.operators(slug)
        _find(operators, jid, slug)
        site = await self.site(slug)
        keeps_an_admin(site, operators, jid, removed=True)
        try:
            removed = await self._admin.remove_operator(
                slug, jid, _keeping_an_admin(site, jid, removed=True)
            )
        except NotFoundError as error:
            raise InvalidInput(f"jid: {error}") from None
        await self._apply()
        log.info("operator %s removed from %s by %s", removed, slug, by)
        if self._roster_removal is not None:
            await self._roster_removal(site, removed)
        return removed


def _keeping_an_admin(site: Site, jid: str, *, removed: bool = False) -> OperatorsCheck:
    """The last-admin rule over the operators as stored, for the transaction of the change: two
    admins demoting or removing each other at once cannot both pass it."""

    def check(operators: list[Operator]) -> None:
        keeps_an_admin(site, operators, jid, removed=removed)

    return check


def _find(operators: list[Operator], jid: str, slug: str) -> Operator:
    for op in operators:
        if op.jid == jid:
            return op
    raise InvalidInput(f"jid: {jid} is not an operator of {slug}")
