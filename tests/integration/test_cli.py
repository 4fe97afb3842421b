"""The `helperchat` command against the real MariaDB and ejabberd, run as a separate process."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from component.admin import Admin
from component.models import Strategy
from component.storage.directory import DirectoryRepository
from component.storage.schema_files import shipped_schema
from component.xmpp.jids import normalize_bare_jid
from devstack.ports import free_port
from tests.integration.clients import Client
from tests.integration.helpdesk_fixtures import Desk

LATEST = shipped_schema().version


def write_config(
    desk: Desk,
    path: Path,
    secret: str | None = None,
    http_port: int | None = None,
    spool_dir: Path | None = None,
) -> Path:
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
archive:
  spool_dir: {spool_dir or desk.config.archive.spool_dir}
component:
  reload_interval: 0.3
http:
  port: {http_port or free_port()}
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
    assert f"up to date (version {LATEST})" in done.stdout
    await desk.db.execute("INSERT INTO schema_version VALUES (99, NOW(6))")
    refused = helperchat(config_file, "db", "init")
    assert refused.returncode == 1
    assert "newer than this HelperChat" in refused.stderr


async def test_db_init_creates_the_schema_on_an_empty_database(
    desk: Desk, config_file: Path
) -> None:
    tables = len(await desk.rows("SHOW TABLES"))
    await desk.drop_every_table()
    done = helperchat(config_file, "db", "init")
    assert done.returncode == 0, done.stderr
    assert f"schema created (version {LATEST})" in done.stdout
    assert len(await desk.rows("SHOW TABLES")) == tables


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
        (("operator", "add", "acme", "alice@exa..mple.com", "--name", "X"), "bad operator JID"),
        (("operator", "add", "acme", "alice@-bad.example", "--name", "X"), "bad operator JID"),
        (("operator", "add", "acme", "al\u0627ice1@example.com", "--name", "X"), "bad operator"),
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


@pytest.mark.parametrize(
    ("typed", "normal"),
    [("Straße@Example.COM", "strasse@example.com"), ("ＤＯＲＡ@example.com", "dora@example.com")],
)
async def test_operator_jids_are_stored_in_their_xmpp_normal_form(
    desk: Desk, config_file: Path, typed: str, normal: str
) -> None:
    added = helperchat(config_file, "operator", "add", "acme", typed, "--name", "Op")
    assert added.returncode == 0, added.stderr
    assert f"operator {normal} added to acme" in added.stdout
    assert f"JID {typed!r} read as {normal}" in added.stderr
    assert await desk.rows("SELECT jid FROM operators") == [(normal,)]
    changed = ok(config_file, "operator", "set", "acme", typed, "--priority", "3")
    assert changed.startswith(f"{normal}\tOp\tpriority=3")
    settings = ok(config_file, "site", "set", "acme", "--default-operator", typed)
    assert f"default_operator={normal}\t" in settings
    removed = helperchat(config_file, "operator", "remove", "acme", typed)
    assert removed.returncode == 0, removed.stderr
    assert f"operator {normal} removed from acme" in removed.stdout
    assert await desk.rows("SELECT jid FROM operators") == []


SITE_SETTINGS = (
    "SELECT name, strategy, answer_timeout, default_operator, target_operator, max_chats"
    " FROM sites WHERE slug = %s"
)
OPERATOR_VALUES = (
    "SELECT o.name, priority, o.max_chats, enabled FROM operators o"
    " JOIN sites s ON s.id = o.site_id WHERE s.slug = %s AND o.jid = %s"
)
EVERYTHING = "SELECT * FROM sites ORDER BY id", "SELECT * FROM operators ORDER BY site_id, jid"


async def two_sites(desk: Desk) -> None:
    """acme with alice and bob, globex with mallory (added straight, no XMPP accounts needed)."""
    admin = Admin(DirectoryRepository(desk.db), normalize_bare_jid)
    await admin.add_site("globex", "Globex Corp")
    await admin.add_operator("acme", "alice@example.com", "Alice", 0, 0, admin=False)
    await admin.add_operator("acme", "bob@example.com", "Bob", 0, 0, admin=False)
    await admin.add_operator("globex", "mallory@example.com", "Mallory", 0, 0, admin=False)


def ok(config: Path, *args: str) -> str:
    done = helperchat(config, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


async def test_site_set_changes_only_the_options_given(desk: Desk, config_file: Path) -> None:
    await two_sites(desk)
    line = (
        "acme\tAcme Inc.\tstrategy=round_robin\tanswer_timeout=90"
        "\tdefault_operator=alice@example.com\ttarget_operator=bob@example.com\tmax_chats=4"
    )
    printed = ok(
        config_file, "site", "set", "acme", "--strategy", "round_robin", "--answer-timeout", "90",
        "--default-operator", "Alice@Example.COM", "--target-operator", "bob@example.com",
        "--max-chats", "4",
    )  # fmt: skip
    assert printed == line + "\n"
    assert line in ok(config_file, "site", "list")
    assert "globex\tGlobex Corp\tstrategy=priority\tanswer_timeout=60" in ok(
        config_file, "site", "list"
    )
    row = ("Acme Inc.", "round_robin", 90, "alice@example.com", "bob@example.com", 4)
    assert await desk.rows(SITE_SETTINGS, "acme") == [row]

    ok(config_file, "site", "set", "acme", "--answer-timeout", "86400", "--name", "Acme Two")
    row = ("Acme Two", "round_robin", 86400, "alice@example.com", "bob@example.com", 4)
    assert await desk.rows(SITE_SETTINGS, "acme") == [row]
    ok(config_file, "site", "set", "acme", "--strategy", "least_busy", "--max-chats", "0")
    row = ("Acme Two", "least_busy", 86400, "alice@example.com", "bob@example.com", 0)
    assert await desk.rows(SITE_SETTINGS, "acme") == [row]


@pytest.mark.parametrize("clear", ["none", "", "NONE"])
async def test_site_set_none_clears_a_default_operator(
    desk: Desk, config_file: Path, clear: str
) -> None:
    await two_sites(desk)
    ok(
        config_file, "site", "set", "acme", "--default-operator", "alice@example.com",
        "--target-operator", "bob@example.com",
    )  # fmt: skip
    printed = ok(config_file, "site", "set", "acme", "--default-operator", clear)
    assert "default_operator=none\ttarget_operator=bob@example.com" in printed
    printed = ok(config_file, "site", "set", "acme", "--target-operator", clear)
    assert "default_operator=none\ttarget_operator=none" in printed
    assert await desk.rows(SITE_SETTINGS, "acme") == [("Acme Inc.", "priority", 60, None, None, 0)]


async def test_operator_set_changes_only_the_options_given(desk: Desk, config_file: Path) -> None:
    await two_sites(desk)
    printed = ok(
        config_file, "operator", "set", "acme", "Alice@Example.com", "--priority", "-1000000",
        "--max-chats", "1000000", "--disabled",
    )  # fmt: skip
    alice_id = await operator_id(desk, "acme", "alice@example.com")
    line = (
        f"alice@example.com\tAlice\tpriority=-1000000\tmax_chats=1000000\tid={alice_id}\tdisabled"
    )
    assert printed == line + "\n"
    assert line in ok(config_file, "operator", "list", "acme")
    assert await desk.rows(OPERATOR_VALUES, "acme", "alice@example.com") == [
        ("Alice", -1000000, 1000000, 0)
    ]
    printed = ok(config_file, "operator", "set", "acme", "alice@example.com", "--enabled")
    assert (
        printed
        == f"alice@example.com\tAlice\tpriority=-1000000\tmax_chats=1000000\tid={alice_id}\t\n"
    )
    ok(config_file, "operator", "set", "acme", "alice@example.com", "--name", "Alice B.")
    assert await desk.rows(OPERATOR_VALUES, "acme", "alice@example.com") == [
        ("Alice B.", -1000000, 1000000, 1)
    ]
    assert await desk.rows(OPERATOR_VALUES, "acme", "bob@example.com") == [("Bob", 0, 0, 1)]


async def test_operator_list_shows_paused(desk: Desk, config_file: Path) -> None:
    await two_sites(desk)
    await desk.db.execute("UPDATE operators SET paused = TRUE WHERE jid = 'bob@example.com'")
    ok(config_file, "operator", "set", "acme", "bob@example.com", "--disabled")
    listing = ok(config_file, "operator", "list", "acme")
    bob_id = await operator_id(desk, "acme", "bob@example.com")
    alice_id = await operator_id(desk, "acme", "alice@example.com")
    assert (
        f"bob@example.com\tBob\tpriority=0\tmax_chats=0\tid={bob_id}\tdisabled paused\n" in listing
    )
    assert f"alice@example.com\tAlice\tpriority=0\tmax_chats=0\tid={alice_id}\t\n" in listing
    assert bob_id != alice_id


async def operator_id(desk: Desk, slug: str, jid: str) -> int:
    """The operator's number in the site, as the database gave it."""
    rows = await desk.rows(
        "SELECT o.id FROM operators o JOIN sites s ON s.id = o.site_id"
        " WHERE s.slug = %s AND o.jid = %s",
        slug,
        jid,
    )
    return int(rows[0][0])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("site", "set", "acme"), "nothing to change"),
        (("site", "set", "acme", "--strategy", "bogus"), "invalid choice: 'bogus'"),
        (("site", "set", "acme", "--answer-timeout", "0"), "bad answer timeout 0"),
        (("site", "set", "acme", "--answer-timeout", "86401"), "bad answer timeout"),
        (("site", "set", "acme", "--answer-timeout", "soon"), "not a whole number: 'soon'"),
        (("site", "set", "acme", "--max-chats", "-1"), "bad max chats"),
        (("site", "set", "acme", "--max-chats", "1000001"), "bad max chats"),
        (("site", "set", "acme", "--name", "bad\x07name"), "bad name"),
        (("site", "set", "acme", "--default-operator", "not a jid"), "bad operator JID"),
        (("site", "set", "acme", "--default-operator", "a@b/res"), "bad operator JID"),
        (("site", "set", "acme", "--target-operator", "bob@exa..mple.com"), "bad operator JID"),
        (("operator", "set", "acme", "bob@-x.com", "--priority", "1"), "bad operator JID"),
        (
            ("site", "set", "acme", "--default-operator", "mallory@example.com"),
            "bad default operator mallory@example.com: not an operator of acme",
        ),
        (
            ("site", "set", "acme", "--target-operator", "Mallory@example.com"),
            "bad target operator mallory@example.com: not an operator of acme",
        ),
        (
            ("site", "set", "acme", "--strategy", "duty", "--default-operator", "nobody@b.c"),
            "not an operator of acme",
        ),
        (("site", "set", "nosuch", "--strategy", "duty"), "no site 'nosuch'"),
        (("site", "set", "Bad.Slug", "--strategy", "duty"), "bad site slug"),
        (("operator", "set", "acme", "alice@example.com"), "nothing to change"),
        (
            ("operator", "set", "acme", "nobody@example.com", "--priority", "1"),
            "nobody@example.com is not an operator of acme",
        ),
        (
            ("operator", "set", "acme", "mallory@example.com", "--priority", "1"),
            "mallory@example.com is not an operator of acme",
        ),
        (("operator", "set", "nosuch", "alice@example.com", "--priority", "1"), "no site"),
        (("operator", "set", "acme", "a@b/res", "--priority", "1"), "bad operator JID"),
        (
            ("operator", "set", "acme", "alice@example.com", "--priority", "1000001"),
            "bad priority",
        ),
        (
            ("operator", "set", "acme", "alice@example.com", "--priority", "-1000001"),
            "bad priority",
        ),
        (("operator", "set", "acme", "alice@example.com", "--max-chats", "-1"), "bad max chats"),
        (
            ("operator", "set", "acme", "alice@example.com", "--max-chats", "1000001"),
            "bad max chats",
        ),
        (
            ("operator", "set", "acme", "alice@example.com", "--name", "Al", "--priority", "2e3"),
            "not a whole number: '2e3'",
        ),
        (
            ("operator", "set", "acme", "alice@example.com", "--enabled", "--disabled"),
            "not allowed with argument",
        ),
        (("operator", "remove", "acme", "mallory@example.com"), "not an operator of acme"),
    ],
)
async def test_bad_settings_exit_2_and_change_nothing(
    desk: Desk, config_file: Path, args: tuple[str, ...], message: str
) -> None:
    await two_sites(desk)
    before = [await desk.rows(sql) for sql in EVERYTHING]
    done = helperchat(config_file, *args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr
    assert done.stdout == ""
    assert [await desk.rows(sql) for sql in EVERYTHING] == before


async def test_running_component_picks_up_settings(desk: Desk, config_file: Path) -> None:
    await desk.start_component()
    assert desk.service.directory.site("acme") is not None
    done = await asyncio.to_thread(
        helperchat, config_file, "site", "set", "acme", "--strategy", "round_robin",
        "--answer-timeout", "45", "--lang", "ru", "--visitor-choice", "on", "--origins",
        "https://shop.example,http://localhost:8000", "--welcome", "Hi!",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr

    def applied() -> bool:
        site = desk.service.directory.site("acme")
        return site is not None and site.settings.strategy == Strategy.ROUND_ROBIN

    await desk.wait_for(applied)
    site = desk.service.directory.site("acme")
    assert site is not None and site.settings.answer_timeout == 45
    settings = site.settings
    assert (settings.lang, settings.visitor_choice, settings.welcome) == ("ru", True, "Hi!")
    assert settings.origins == ("https://shop.example", "http://localhost:8000")
    keys = await desk.rows("SELECT api_key FROM sites WHERE id = %s", site.id)
    assert keys == [(settings.api_key,)] and settings.api_key is not None


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
    port = free_port()
    good = helperchat(write_config(desk, tmp_path / "good.yaml", http_port=port), "check")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "config: OK" in good.stdout
    assert f"database: OK (schema version {LATEST})" in good.stdout
    assert "xmpp: OK" in good.stdout
    assert f"http: OK (127.0.0.1:{port})" in good.stdout
    assert "visitor texts: OK (en, ru)" in good.stdout
    bad = helperchat(write_config(desk, tmp_path / "bad.yaml", secret="wrong"), "check")
    assert bad.returncode == 1
    assert "xmpp: FAILED" in bad.stdout


def listening_on(port: int) -> socket.socket:
    """A socket listening on 127.0.0.1:`port`, as another server would be."""
    taken = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    taken.bind(("127.0.0.1", port))
    taken.listen()
    return taken


async def test_check_and_run_fail_when_the_http_port_is_taken(desk: Desk, tmp_path: Path) -> None:
    port = free_port()
    config = write_config(desk, tmp_path / "taken.yaml", http_port=port)
    with listening_on(port):
        checked = helperchat(config, "check")
        ran = helperchat(config, "run", timeout=30)
    assert checked.returncode == 1
    assert "xmpp: OK" in checked.stdout and "database: OK" in checked.stdout
    assert f"http: FAILED cannot listen on 127.0.0.1:{port}: Address already in use" in (
        checked.stdout
    )
    assert ran.returncode == 1
    assert f"helperchat: cannot listen on 127.0.0.1:{port}: " in ran.stderr
    assert "Traceback" not in ran.stderr


async def test_run_serves_until_sigterm(desk: Desk, tmp_path: Path) -> None:
    alice_jid = desk.user("alice")
    await desk.add_operator("acme", alice_jid, "Alice")
    port = free_port()
    config_file = write_config(desk, tmp_path / "config.yaml", http_port=port)
    process = subprocess.Popen(  # noqa: ASYNC220 - the component under test, stopped below
        [sys.executable, "-m", "component", "-c", str(config_file), "run"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        alice = await desk.client(alice_jid)
        visitor = await desk.client(desk.user("visitor"))
        await desk_is_available_to(alice, desk.desk_jid())  # the component is up and sees her
        visitor.send(desk.desk_jid(), "hello from a visitor")
        await alice.expect_from(desk.chat_jid(1), "hello from a visitor", timeout=20)
        alice.send(desk.chat_jid(1), "hello back")
        await visitor.expect_from(desk.desk_jid(), "hello back")
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{port}/healthz") as health,
        ):
            assert (health.status, await health.json()) == (200, {"xmpp": "up", "database": "up"})
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=20)
    assert process.returncode == 0, output
    assert "stopped" in output
    assert f"HTTP listening on 127.0.0.1:{port}" in output
    rows = await desk.rows("SELECT sender, body FROM messages ORDER BY seq")
    assert ("visitor", "hello from a visitor") in rows
    assert ("operator", "hello back") in rows


async def desk_is_available_to(client: Client, desk_jid: str, timeout: float = 30) -> None:
    """Wait until the desk has shown itself available to the client (it runs and is subscribed),
    instead of guessing how long a loaded machine takes to start it."""
    async with asyncio.timeout(timeout):
        while True:
            if any(
                p["from"].bare == desk_jid and p["type"] == "available" for p in client.presences
            ):
                return
            await asyncio.sleep(0.05)


async def test_removing_the_default_operator_clears_the_setting(
    desk: Desk, config_file: Path
) -> None:
    jid = "dora@example.com"
    assert helperchat(config_file, "operator", "add", "acme", jid, "--name", "Dora").returncode == 0
    done = helperchat(
        config_file, "site", "set", "acme", "--default-operator", jid, "--target-operator", jid
    )
    assert done.returncode == 0, done.stderr
    assert helperchat(config_file, "operator", "remove", "acme", jid).returncode == 0
    rows = await desk.rows(
        "SELECT default_operator, target_operator FROM sites WHERE slug = 'acme'"
    )
    assert rows == [(None, None)]
