"""`helperchat site set --operators-see-all on|off`, stored and shown by `site show`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.helpdesk_fixtures import Desk
from tests.integration.test_cli import helperchat, ok, write_config

pytestmark = pytest.mark.integration


async def test_operators_see_all_is_set_shown_and_checked(desk: Desk, tmp_path: Path) -> None:
    config_file = write_config(desk, tmp_path / "config.yaml")
    assert "operators_see_all: off\n" in ok(config_file, "site", "show", "acme")
    ok(config_file, "site", "set", "acme", "--operators-see-all", "on")
    assert await desk.rows("SELECT operators_see_all FROM sites") == [(1,)]
    assert "operators_see_all: on\n" in ok(config_file, "site", "show", "acme")
    assert helperchat(config_file, "site", "set", "acme", "--operators-see-all", "yes").returncode
    ok(config_file, "site", "set", "acme", "--operators-see-all", "off")
    assert await desk.rows("SELECT operators_see_all FROM sites") == [(0,)]
