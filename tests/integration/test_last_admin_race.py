"""The last-admin rule on the real MariaDB when two site admins act at the same moment (the
desk's `operators` command runs LiveAdmin): each demotes or removes the other, each having read
two admins. One change wins, the other is LastAdmin, and the site keeps an admin."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

import pytest

from component.errors import LastAdmin
from component.live_admin import DirectoryReload, LiveAdmin
from component.locales import shipped_catalogue
from component.operator_form import operator_fields
from component.storage.directory import DirectoryRepository
from component.xmpp.jids import normalize_bare_jid
from tests.integration.helpdesk_fixtures import Desk

pytestmark = pytest.mark.integration


async def two_admins(desk: Desk) -> tuple[LiveAdmin, str, str]:
    alice, bob = desk.user("alice"), desk.user("bob")
    for jid, name in ((alice, "Alice"), (bob, "Bob")):
        await desk.admin.add_operator("acme", jid, name, 0, 0, admin=True)
    repo = DirectoryRepository(desk.db)
    live = LiveAdmin(
        repo, normalize_bare_jid, DirectoryReload(repo, lambda: None), shipped_catalogue().languages
    )
    return live, alice, bob


async def demote(live: LiveAdmin, by: str, jid: str) -> list[str]:
    op = next(o for o in await live.operators("acme") if o.jid == jid)
    return await live.change_operator("acme", by, jid, operator_fields(op), {"admin": "0"})


async def outcomes(*changes: Awaitable[object]) -> list[object]:
    return list(await asyncio.gather(*changes, return_exceptions=True))


async def admins(desk: Desk) -> list[str]:
    rows = await desk.rows("SELECT jid FROM operators WHERE is_admin ORDER BY jid")
    return [str(row[0]) for row in rows]


async def test_two_admins_demoting_each_other_at_once_leave_one(desk: Desk) -> None:
    live, alice, bob = await two_admins(desk)
    done = await outcomes(demote(live, alice, bob), demote(live, bob, alice))
    assert sorted(type(x).__name__ for x in done) == ["LastAdmin", "list"], done
    assert len(await admins(desk)) == 1


async def test_two_admins_removing_each_other_at_once_leave_one(desk: Desk) -> None:
    live, alice, bob = await two_admins(desk)
    done = await outcomes(
        live.remove_operator("acme", alice, bob), live.remove_operator("acme", bob, alice)
    )
    assert sorted(type(x).__name__ for x in done) == ["LastAdmin", "str"], done
    assert len(await admins(desk)) == 1


async def test_a_demotion_racing_a_removal_leaves_an_admin(desk: Desk) -> None:
    live, alice, bob = await two_admins(desk)
    done = await outcomes(demote(live, alice, bob), live.remove_operator("acme", bob, alice))
    assert any(isinstance(x, LastAdmin) for x in done), done
    assert len(await admins(desk)) == 1
