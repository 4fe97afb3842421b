"""`helperchat archive export` on the real MariaDB at the ends of the calendar: a --since that
names no time the archive can hold is bad input (exit 2, said why, nothing written), not a
traceback; the last day that can be named exports nothing, the first one everything."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.helpdesk_fixtures import Desk
from tests.integration.retention_fixtures import add_site, seed_chat
from tests.integration.test_cli import helperchat, ok, write_config

pytestmark = pytest.mark.integration


async def test_since_outside_the_calendar_is_bad_input(desk: Desk, tmp_path: Path) -> None:
    acme = await add_site(desk, "acme")
    await seed_chat(desk, acme, 1, age_days=3, messages=2)
    config = write_config(desk, tmp_path / "config.yaml")
    for since in ("9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+01:00"):
        done = helperchat(config, "archive", "export", "acme", "--since", since)
        assert done.returncode == 2, done.stderr
        assert "bad --since" in done.stderr and "Traceback" not in done.stderr
        assert done.stdout == ""
    assert ok(config, "archive", "export", "acme", "--since", "9999-12-31") == ""
    assert len(ok(config, "archive", "export", "acme", "--since", "0001-01-01").splitlines()) == 2
