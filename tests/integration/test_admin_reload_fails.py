"""The desk's administration commands when the reload that applies a stored change fails (the
database went away just after the write), on the real MariaDB: the change is stored, so it is
reported as made, and what follows it (taking the desk out of a removed operator's roster) still
happens; the periodic reload applies it to the running desk."""

from __future__ import annotations

import pytest

from component.live_admin import DirectoryReload, LiveAdmin
from component.locales import shipped_catalogue
from component.models import Site
from component.site_form import settings_fields
from component.storage.database import StorageError
from component.storage.directory import DirectoryRepository
from component.xmpp.jids import normalize_bare_jid
from tests.integration.helpdesk_fixtures import Desk

pytestmark = pytest.mark.integration


class FailingReload(DirectoryReload):
    async def __call__(self) -> None:
        raise StorageError("MySQL error 2013: Lost connection to server during query")


def live_admin(desk: Desk, removed: list[str]) -> LiveAdmin:
    repo = DirectoryRepository(desk.db)

    async def roster_removal(site: Site, jid: str) -> None:
        removed.append(jid)

    languages = shipped_catalogue().languages
    return LiveAdmin(
        repo, normalize_bare_jid, FailingReload(repo, lambda: None), languages, roster_removal
    )


async def test_a_stored_change_is_reported_made_when_only_the_reload_failed(desk: Desk) -> None:
    alice, bob = desk.user("alice"), desk.user("bob")
    await desk.admin.add_operator("acme", alice, "Alice", 0, 0, admin=True)
    await desk.admin.add_operator("acme", bob, "Bob", 0, 0, admin=False)
    removed: list[str] = []
    live = live_admin(desk, removed)
    site = await live.site("acme")
    shown = settings_fields(site, await live.operators("acme"), shipped_catalogue().languages)
    changed = await live.change_settings("acme", alice, shown, {"answer_timeout": "45"})
    assert changed == ["answer_timeout"]
    assert await desk.rows("SELECT answer_timeout FROM sites") == [(45,)]
    assert await live.remove_operator("acme", alice, bob) == bob
    assert await desk.rows("SELECT jid FROM operators") == [(alice,)]
    assert removed == [bob], "the desk is taken out of the removed operator's roster"
