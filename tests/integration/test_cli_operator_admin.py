"""`helperchat operator set SLUG JID --admin on|off`: stored, shown by `operator list`, checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.helpdesk_fixtures import Desk
from tests.integration.test_cli import helperchat, ok, write_config

pytestmark = pytest.mark.integration


async def test_admin_flag_is_set_listed_and_checked(desk: Desk, tmp_path: Path) -> None:
    config_file = write_config(desk, tmp_path / "config.yaml")
    ok(config_file, "operator", "add", "acme", "alice@example.com", "--name", "Alice")
    assert await desk.rows("SELECT is_admin FROM operators") == [(0,)]
    printed = ok(config_file, "operator", "set", "acme", "Alice@Example.com", "--admin", "on")
    assert "\tadmin" in printed
    assert await desk.rows("SELECT is_admin FROM operators") == [(1,)]
    assert "\tadmin" in ok(config_file, "operator", "list", "acme")
    refused = helperchat(
        config_file, "operator", "set", "acme", "alice@example.com", "--admin", "yes"
    )
    assert refused.returncode == 2 and "--admin" in refused.stderr
    assert await desk.rows("SELECT is_admin FROM operators") == [(1,)]
    ok(config_file, "operator", "set", "acme", "alice@example.com", "--admin", "off")
    assert await desk.rows("SELECT is_admin FROM operators") == [(0,)]
    assert "admin" not in ok(config_file, "operator", "list", "acme").split("\t")[-1]
    nothing = helperchat(config_file, "operator", "set", "acme", "alice@example.com")
    assert nothing.returncode == 2 and "--admin" in nothing.stderr
