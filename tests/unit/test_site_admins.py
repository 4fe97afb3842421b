"""Who may list and run a site's administration commands at its desk (desk/site_admins.py): its
admins only, per site, decided from the desk's directory as it is now."""

from __future__ import annotations

from dataclasses import replace

import pytest

from component.desk import console
from component.desk.archive_view import ARCHIVE_COMMANDS
from component.desk.feedback_view import FEEDBACK_COMMANDS
from component.desk.site_admins import ADMIN_COMMANDS, admin_of
from component.directory import Directory
from component.errors import NotAllowed, UnknownSite
from tests.unit.fakes import ACME, ALICE, BOB, GLOBEX, MALLORY, make_world

ADMIN = replace(ALICE, is_admin=True)
GLOBEX_ADMIN = replace(MALLORY, is_admin=True)
EVERYONE = (*console.DESK_COMMANDS, *ARCHIVE_COMMANDS, *FEEDBACK_COMMANDS)


def test_only_the_sites_admins_get_and_may_run_the_administration_commands() -> None:
    world = make_world((ADMIN, BOB, GLOBEX_ADMIN))
    assert ADMIN_COMMANDS == ("settings", "operators")
    assert console.desk_commands(world.desk, ADMIN.jid, "acme") == (*EVERYONE, *ADMIN_COMMANDS)
    assert console.desk_commands(world.desk, BOB.jid, "acme") == EVERYONE
    assert console.desk_commands(world.desk, MALLORY.jid, "acme") == ()
    assert console.desk_commands(world.desk, MALLORY.jid, "globex")[-2:] == ADMIN_COMMANDS
    site, admin = admin_of(world.desk, ADMIN.jid, "acme")
    assert (site.slug, admin.jid) == ("acme", ADMIN.jid)
    for outsider in (BOB.jid, MALLORY.jid, "eve@x.test"):
        with pytest.raises(NotAllowed, match="only admins of acme"):
            admin_of(world.desk, outsider, "acme")
    with pytest.raises(UnknownSite):
        admin_of(world.desk, ADMIN.jid, "nosuch")


def test_a_demoted_admin_is_refused_from_the_next_directory_on() -> None:
    world = make_world((ADMIN, BOB))
    world.desk.apply_directory(Directory([ACME, GLOBEX], [ALICE, BOB]))
    with pytest.raises(NotAllowed):
        admin_of(world.desk, ALICE.jid, "acme")
    assert console.desk_commands(world.desk, ALICE.jid, "acme") == EVERYONE
