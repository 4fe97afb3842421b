"""The `helperchat` command against the real MariaDB and ejabberd, run as a separate process."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.helpdesk_fixtures import Desk


def write_config(desk: Desk, path: Path, secret: str | None = None) -> Path:
    xmpp, mysql = desk.config.xmpp, desk.config.mysql
    path.write_text(
        f"""
xmpp:
  component_jid: {xmpp.component_jid}
  secret: "${{HC_TEST_SECRET}}"
  host: {xmpp.host}
  port: {xmpp.port}
mysql:
  host: {mysql.host}
  port: {mysql.port}
  user: {mysql.user}
  password: "{mysql.password}"
  database: {mysql.database}
component:
  reload_interval: 0.3
""",
        encoding="utf-8",
    )
    os.environ["HC_TEST_SECRET"] = secret or xmpp.secret
    return path


def helperchat(config: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "component", "-c", str(config), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def config_file(desk: Desk, tmp_path: Path) -> Path:
    return write_config(desk, tmp_path / "config.yaml")


async def test_db_init_is_idempotent_and_refuses_newer(desk: Desk, config_file: Path) -> None:
    done = helperchat(config_file, "db", "init")
    assert done.returncode == 0, done.stderr
    assert "up to date (version 1)" in done.stdout
    await desk.db.execute("INSERT INTO schema_version VALUES (99, NOW(6))")
    refused = helperchat(config_file, "db", "init")
    assert refused.returncode == 1
    assert "newer than this HelperChat" in refused.stderr


async def test_db_init_creates_the_schema_on_an_empty_database(
    desk: Desk, config_file: Path
) -> None:
    for table in ("messages", "chats", "operators", "sites", "schema_version"):
        await desk.db.execute(f"DROP TABLE {table}")
    done = helperchat(config_file, "db", "init")
    assert done.returncode == 0, done.stderr
    assert "schema created (version 1)" in done.stdout
    assert len(await desk.rows("SHOW TABLES")) == 5


async def test_sites_and_operators(desk: Desk, config_file: Path) -> None:
    added = helperchat(config_file, "site", "add", "globex", "--name", "Globex Corp")
    assert added.returncode == 0, added.stderr
    listing = helperchat(config_file, "site", "list").stdout
    assert "acme\tAcme Inc." in listing and "globex\tGlobex Corp" in listing
    jid = "Alice@Example.COM"
    added = helperchat(
        config_file, "operator", "add", "globex", jid, "--name", "Alice", "--priority", "7",
        "--max-chats", "3",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    listing = helperchat(config_file, "operator", "list", "globex").stdout
    assert "alice@example.com\tAlice\tpriority=7\tmax_chats=3" in listing
    removed = helperchat(config_file, "operator", "remove", "globex", "alice@example.com")
    assert removed.returncode == 0, removed.stderr
    assert helperchat(config_file, "operator", "list", "globex").stdout == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("site", "add", "Bad.Slug", "--name", "x"), "bad site slug"),
        (("site", "add", "acme", "--name", "Again"), "exists already"),
        (("site", "add", "ok", "--name", "bad\x07name"), "bad name"),
        (("operator", "add", "acme", "not a jid", "--name", "X"), "bad operator JID"),
        (("operator", "add", "acme", "a@b/res", "--name", "X"), "bad operator JID"),
        (("operator", "add", "nosuch", "a@b.c", "--name", "X"), "no site 'nosuch'"),
        (("operator", "add", "acme", "a@b.c", "--name", "X", "--max-chats", "-1"), "max chats"),
        (("operator", "remove", "acme", "nobody@b.c"), "not an operator"),
        (("operator", "list", "'; DROP TABLE sites; --"), "bad site slug"),
    ],
)
async def test_bad_input_exits_2_and_writes_nothing(
    desk: Desk, config_file: Path, args: tuple[str, ...], message: str
) -> None:
    before = await desk.rows("SELECT COUNT(*) FROM sites UNION ALL SELECT COUNT(*) FROM operators")
    done = helperchat(config_file, *args)
    assert done.returncode == 2
    assert message in done.stderr
    after = await desk.rows("SELECT COUNT(*) FROM sites UNION ALL SELECT COUNT(*) FROM operators")
    assert after == before


def test_config_errors_name_every_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("xmpp: {port: many}\nmysql: {user: u}\ncolour: blue\n", encoding="utf-8")
    done = helperchat(bad, "check")
    assert done.returncode == 2
    for problem in (
        "xmpp.component_jid: required",
        "xmpp.port: expected an integer",
        "mysql.database: required",
        "colour: unknown key",
    ):
        assert problem in done.stderr


async def test_check_reports_each_part(desk: Desk, tmp_path: Path) -> None:
    good = helperchat(write_config(desk, tmp_path / "good.yaml"), "check")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "config: OK" in good.stdout
    assert "database: OK (schema version 1)" in good.stdout
    assert "xmpp: OK" in good.stdout
    bad = helperchat(write_config(desk, tmp_path / "bad.yaml", secret="wrong"), "check")
    assert bad.returncode == 1
    assert "xmpp: FAILED" in bad.stdout


async def test_run_serves_until_sigterm(desk: Desk, config_file: Path) -> None:
    alice_jid = desk.user("alice")
    await desk.add_operator("acme", alice_jid, "Alice")
    process = subprocess.Popen(  # noqa: ASYNC220 - the component under test, stopped below
        [sys.executable, "-m", "component", "-c", str(config_file), "run"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        alice = await desk.client(alice_jid)
        visitor = await desk.client(desk.user("visitor"))
        await asyncio.sleep(1.0)  # let the component subscribe and see alice
        visitor.send(desk.desk_jid(), "hello from a visitor")
        await alice.expect_from(desk.chat_jid(1), "hello from a visitor", timeout=20)
        alice.send(desk.chat_jid(1), "hello back")
        await visitor.expect_from(desk.desk_jid(), "hello back")
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=20)
    assert process.returncode == 0, output
    assert "stopped" in output
    rows = await desk.rows("SELECT sender, body FROM messages ORDER BY seq")
    assert ("visitor", "hello from a visitor") in rows
    assert ("operator", "hello back") in rows
