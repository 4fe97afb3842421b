"""`site set --default-operator` (and the desk's `settings`, the same Admin.set_site) racing the
removal of that operator, on the real MariaDB: removed between the membership check and the
write, the operator must not be stored as the site's default (or target) operator."""

from __future__ import annotations

import pytest

from component.admin import Admin, site_set_changes
from component.errors import InvalidField
from component.models import Operator
from component.storage.directory import DirectoryRepository
from component.xmpp.jids import normalize_bare_jid
from tests.integration.helpdesk_fixtures import Desk

pytestmark = pytest.mark.integration


class RemovedRightAfterTheCheck(DirectoryRepository):
    """The repository, where the operator looked up is removed (by another admin, another
    process) the moment the lookup has answered."""

    async def find_operator(self, site_id: int, jid: str) -> Operator | None:
        found = await super().find_operator(site_id, jid)
        if found is not None:
            await DirectoryRepository(self._db).remove_operator(site_id, jid)
        return found


@pytest.mark.parametrize("key", ["default_operator", "target_operator"])
async def test_an_operator_removed_meanwhile_is_not_stored_as_the_sites(
    desk: Desk, key: str
) -> None:
    bob = desk.user("bob")
    await desk.admin.add_operator("acme", bob, "Bob", 0, 0, admin=False)
    admin = Admin(RemovedRightAfterTheCheck(desk.db), normalize_bare_jid)
    changes = site_set_changes(normalize_bare_jid, **{key: bob})
    with pytest.raises(InvalidField) as refused:
        await admin.set_site("acme", changes)
    assert refused.value.field == key and "not an operator of acme" in refused.value.text
    assert await desk.rows(f"SELECT {key} FROM sites WHERE slug = 'acme'") == [(None,)]
    assert await desk.rows("SELECT jid FROM operators") == []
