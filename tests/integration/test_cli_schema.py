"""`helperchat db migrate`, and `run`/`check` refusing a database whose schema is not this
HelperChat's, against the real MariaDB (and ejabberd for `check`)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from component import __main__ as cli
from component.storage import open_database
from component.storage import schema as schema_module
from component.storage.schema import init_schema
from component.storage.schema_files import shipped_schema
from tests.integration.helpdesk_fixtures import Desk, make_config
from tests.integration.schema_fixtures import V1, V3
from tests.integration.test_cli import helperchat, write_config

LATEST = shipped_schema().version

pytestmark = pytest.mark.integration


@pytest.fixture
def config_file(desk: Desk, tmp_path: Path) -> Path:
    return write_config(desk, tmp_path / "config.yaml")


async def test_migrate_on_an_up_to_date_database_changes_nothing(
    desk: Desk, config_file: Path
) -> None:
    done = await asyncio.to_thread(helperchat, config_file, "db", "migrate")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"schema is up to date (version {LATEST})\n"
    assert await desk.rows("SELECT version FROM schema_version") == [(LATEST,)]


async def test_migrate_and_run_refuse_a_newer_database(desk: Desk, config_file: Path) -> None:
    await desk.db.execute("INSERT INTO schema_version VALUES (99, NOW(6))")
    for command in (("db", "migrate"), ("run",)):
        done = await asyncio.to_thread(helperchat, config_file, *command, timeout=30)
        assert done.returncode == 1, done.stdout + done.stderr
        assert "database schema version 99 is newer than this HelperChat" in done.stderr
    assert await desk.rows("SELECT version FROM schema_version ORDER BY 1") == [(LATEST,), (99,)]


async def test_an_empty_or_foreign_database_is_refused(desk: Desk, config_file: Path) -> None:
    await desk.drop_every_table()
    needs_init = "database has no HelperChat schema yet: run `helperchat db init`"
    for command in (("db", "migrate"), ("run",)):
        done = await asyncio.to_thread(helperchat, config_file, *command, timeout=30)
        assert done.returncode == 1, done.stdout + done.stderr
        assert needs_init in done.stderr
    checked = await asyncio.to_thread(helperchat, config_file, "check")
    assert checked.returncode == 1
    assert f"database: FAILED {needs_init}" in checked.stdout
    assert "xmpp: OK" in checked.stdout
    await desk.db.execute("CREATE TABLE wp_posts (id INT PRIMARY KEY)")
    done = await asyncio.to_thread(helperchat, config_file, "db", "migrate")
    assert done.returncode == 1
    assert "not empty and has no HelperChat version: wp_posts" in done.stderr
    assert await desk.rows("SHOW TABLES") == [("wp_posts",)]


@pytest.fixture
def version_1_config(mariadb: Any, ejabberd: Any, tmp_path: Path) -> Iterator[Path]:
    """A config file for a fresh database holding the version-1 schema, with site acme."""
    name, password = f"hcv{secrets.token_hex(4)}", secrets.token_hex(8)
    mariadb.create_database(name, name, password)
    config = make_config(ejabberd, mariadb, name, password, tmp_path / "spool")

    async def prepare() -> None:
        db = await open_database(config.mysql)
        await init_schema(db, V1)
        await db.execute("INSERT INTO sites (slug, name, created_at) VALUES ('acme', 'A', NOW())")
        await db.close()

    asyncio.run(prepare())
    path = tmp_path / "config.yaml"
    path.write_text(
        f'xmpp: {{component_jid: {config.xmpp.component_jid}, secret: "{config.xmpp.secret}",'
        f" host: {config.xmpp.host}, port: {config.xmpp.port}}}\n"
        f"mysql: {{host: {config.mysql.host}, port: {config.mysql.port}, user: {name},"
        f" password: {password}, database: {name}}}\n"
        f"archive: {{spool_dir: {config.archive.spool_dir}}}\n",
        encoding="utf-8",
    )
    yield path
    mariadb.drop_database(name)


def test_run_and_check_refuse_a_database_that_needs_migrating_until_it_is_migrated(
    version_1_config: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """In-process, with the test-only version 3 standing in for the shipped schema."""
    monkeypatch.setattr(schema_module, "shipped_schema", lambda: V3)
    config = ["-c", str(version_1_config)]
    needs = (
        "database schema version 1 is older than this HelperChat's (3): run `helperchat db migrate`"
    )

    assert cli.main([*config, "run"]) == 1
    assert needs in capsys.readouterr().err
    assert cli.main([*config, "check"]) == 1
    assert f"database: FAILED {needs}" in capsys.readouterr().out

    assert cli.main([*config, "db", "migrate"]) == 0
    assert capsys.readouterr().out == (
        "applied migration 002_site_greeting (version 2)\n"
        "applied migration 003_canned_replies (version 3)\n"
        "schema migrated from version 1 to 3\n"
    )
    assert cli.main([*config, "db", "migrate"]) == 0
    assert capsys.readouterr().out == "schema is up to date (version 3)\n"
    assert cli.main([*config, "check"]) == 0, capsys.readouterr()
    assert "database: OK (schema version 3)" in capsys.readouterr().out
