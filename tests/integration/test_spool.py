"""A stop while the database is down, over the real stack: `helperchat run` as a process (a real
SIGTERM), real ejabberd, a MariaDB of this module's own (stopping the session's would disturb
other tests), an XMPP visitor and a web visitor with its widget's WebSocket and long poll.

Nothing relayed is lost and no seq is reused: the rows go to the spool at the stop and are
written back at the next start, before chat numbers and seqs are read."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import shutil
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from component.admin import feedback_changes
from devstack import Ejabberd, MariaDB
from tests.integration.clients import Client
from tests.integration.helpdesk_fixtures import Desk, desk_world
from tests.integration.stack_fixtures import require_servers
from tests.integration.test_cli import desk_is_available_to, helperchat, write_config
from tests.integration.test_http import url
from tests.integration.test_visitor_api import call, events

pytestmark = pytest.mark.integration
FEEDBACK = "/api/v1/sites/acme/feedback"


@pytest.fixture(scope="module")
def own_mariadb(stack_dir: Path) -> Iterator[MariaDB]:
    require_servers("mariadbd", "mariadb-install-db", "mariadb-admin", "mariadb")
    server = MariaDB()
    server.start(stack_dir / "mariadb-spool")
    yield server
    server.stop()


def start_mariadb(server: MariaDB) -> None:
    if not server.running():
        server.start(server.base_dir, server.port)


@pytest.fixture
async def spool_desk(ejabberd: Ejabberd, own_mariadb: MariaDB) -> AsyncIterator[Desk]:
    """A desk on this module's MariaDB (running again if a test left it stopped)."""
    await asyncio.to_thread(start_mariadb, own_mariadb)
    async with desk_world(ejabberd, own_mariadb, f"s{secrets.token_hex(3)}") as world:
        try:
            yield world
        finally:
            await asyncio.to_thread(start_mariadb, own_mariadb)


class Run:
    """`helperchat run` as a process of its own; its output goes to a file."""

    def __init__(self, config: Path, log: Path) -> None:
        self.log = log
        with log.open("ab") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "component", "-c", str(config), "run"],
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    async def terminate(self) -> tuple[int, str]:
        """SIGTERM, then its exit code and what it wrote."""
        self.process.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(self.process.wait, 60)
        return code, self.log.read_text()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@contextlib.asynccontextmanager
async def running(config: Path, log: Path) -> AsyncIterator[Run]:
    run = Run(config, log)
    try:
        yield run
    finally:
        run.kill()  # only when a test failed before stopping it


async def live_socket(
    http: aiohttp.ClientSession, desk: Desk, chat: str, token: str
) -> aiohttp.ClientWebSocketResponse:
    ws = await http.ws_connect(url(desk, f"/api/v1/chats/{chat}/live"))
    await ws.send_json({"type": "hello", "token": token, "after": 0})
    return ws


async def event_saying(ws: aiohttp.ClientWebSocketResponse, text: str) -> dict[str, Any]:
    """The next `message` event with `text` on the socket (what a widget shows)."""
    async with asyncio.timeout(20):
        while True:
            frame = await ws.receive()
            assert frame.type is aiohttp.WSMsgType.TEXT, frame
            event = dict(frame.json())
            if event["type"] == "message" and event["text"] == text:
                return event


def spool_files(desk: Desk) -> list[Path]:
    return sorted(Path(desk.config.archive.spool_dir or "").glob("*.jsonl"))


async def test_a_stop_with_the_database_down_loses_nothing_and_reuses_no_seq(
    spool_desk: Desk, tmp_path: Path
) -> None:
    desk = spool_desk
    alice_jid = desk.user("alice")
    await desk.add_operator("acme", alice_jid, "Alice")
    config = write_config(desk, tmp_path / "config.yaml", http_port=desk.config.http.port)
    async with running(config, tmp_path / "first.log") as first:
        alice = await desk.client(alice_jid)
        await desk_is_available_to(alice, desk.desk_jid())
        xmpp_visitor = await desk.client(desk.user("visitor"))
        xmpp_visitor.send(desk.desk_jid(), "hello from XMPP")
        await alice.expect_from(desk.chat_jid(1), "hello from XMPP")
        status, started = await call(
            desk, "POST", "/api/v1/sites/acme/chats", body={"text": "hello from the web"}
        )
        assert status == 201 and started["chat"] == "acme.2", started
        token = started["token"]
        await alice.expect_from(desk.chat_jid(2), "hello from the web")
        async with aiohttp.ClientSession() as http:
            ws = await live_socket(http, desk, "acme.2", token)
            await event_saying(ws, "hello from the web")

            await asyncio.to_thread(desk.mariadb.stop)
            seen = await talk_during_the_outage(desk, alice, xmpp_visitor, ws)
            code, output = await first.terminate()
    assert code == 0, output
    assert "rows before the stop; spooled to" in output, output
    assert len(spool_files(desk)) == 1
    checked = await asyncio.to_thread(helperchat, config, "check")
    spool_dir = desk.config.archive.spool_dir
    assert f"spool: OK ({spool_dir}; 1 file(s) wait for `run` to store them)" in checked.stdout

    await asyncio.to_thread(desk.mariadb.start, desk.mariadb.base_dir, desk.mariadb.port)
    alice.presences.clear()
    async with running(config, tmp_path / "second.log") as second:
        await desk_is_available_to(alice, desk.desk_jid())  # it started: the spool is written
        assert spool_files(desk) == []
        await every_message_is_archived_once(desk)
        alice.send(desk.chat_jid(2), "after the restart")
        after = await events(desk, "acme.2", token, seen, wait=20)
        code, output = await second.terminate()
    assert [(e["seq"], e["from"], e["text"]) for e in after] == [
        (seen + 1, "operator", "after the restart")
    ]
    assert code == 0, output
    assert "spooled rows from" in output and "stored" in output


async def talk_during_the_outage(
    desk: Desk, alice: Client, xmpp_visitor: Client, ws: aiohttp.ClientWebSocketResponse
) -> int:
    """Both visitors and Alice write while the database is down; the last seq the widget saw."""
    xmpp_visitor.send(desk.desk_jid(), "XMPP visitor, database down")
    await alice.expect_from(desk.chat_jid(1), "XMPP visitor, database down")
    alice.send(desk.chat_jid(1), "Alice to XMPP, database down")
    await xmpp_visitor.expect_from(desk.desk_jid(), "Alice to XMPP, database down")
    await ws.send_json({"type": "message", "text": "web visitor, database down"})
    await event_saying(ws, "web visitor, database down")
    await alice.expect_from(desk.chat_jid(2), "web visitor, database down")
    alice.send(desk.chat_jid(2), "Alice to the web, database down")
    answer = await event_saying(ws, "Alice to the web, database down")
    return int(answer["seq"])


async def every_message_is_archived_once(desk: Desk) -> None:
    rows = await desk.rows(
        "SELECT chat_number, seq, sender, body FROM messages ORDER BY chat_number, seq"
    )
    said = [(number, sender, body) for number, _, sender, body in rows if sender != "system"]
    assert said == [
        (1, "visitor", "hello from XMPP"),
        (1, "visitor", "XMPP visitor, database down"),
        (1, "operator", "Alice to XMPP, database down"),
        (2, "visitor", "hello from the web"),
        (2, "visitor", "web visitor, database down"),
        (2, "operator", "Alice to the web, database down"),
    ]
    for number in (1, 2):
        seqs = [seq for chat, seq, _, _ in rows if chat == number]
        assert seqs == list(range(1, len(seqs) + 1))


async def test_a_stop_that_cannot_spool_says_how_many_rows_are_lost_and_exits_non_zero(
    spool_desk: Desk, tmp_path: Path
) -> None:
    desk = spool_desk
    alice_jid = desk.user("alice")
    await desk.add_operator("acme", alice_jid, "Alice")
    spool_dir = tmp_path / "spool"
    config = write_config(desk, tmp_path / "config.yaml", spool_dir=spool_dir)
    async with running(config, tmp_path / "run.log") as run:
        alice = await desk.client(alice_jid)
        await desk_is_available_to(alice, desk.desk_jid())
        visitor = await desk.client(desk.user("visitor"))
        await asyncio.to_thread(desk.mariadb.stop)
        visitor.send(desk.desk_jid(), "while the database is down")
        await alice.expect_from(desk.chat_jid(1), "while the database is down")
        shutil.rmtree(spool_dir)
        spool_dir.write_text("a file where the spool directory was\n")  # root writes anywhere
        code, output = await run.terminate()
    assert code == 1, output
    assert "ERROR component.app: archive: " in output
    assert "rows LOST, neither stored nor spooled: cannot write a spool file in" in output
    assert f"helperchat: cannot write a spool file in {spool_dir}" in output
    assert "Traceback" not in output


async def test_run_refuses_to_start_and_check_fails_on_an_unusable_spool_directory(
    desk: Desk, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    config = write_config(desk, tmp_path / "config.yaml", spool_dir=blocker / "spool")
    ran = await asyncio.to_thread(helperchat, config, "run", timeout=30)
    assert ran.returncode == 1, ran.stderr
    assert f"helperchat: cannot write to the spool directory {blocker}/spool: " in ran.stderr
    assert "Traceback" not in ran.stderr
    checked = await asyncio.to_thread(helperchat, config, "check")
    assert checked.returncode == 1
    assert f"spool: FAILED cannot write to the spool directory {blocker}/spool: " in checked.stdout
    assert "database: OK" in checked.stdout and "xmpp: OK" in checked.stdout
    good = write_config(desk, tmp_path / "good.yaml", spool_dir=tmp_path / "spool")
    checked = await asyncio.to_thread(helperchat, good, "check")
    assert f"spool: OK ({tmp_path / 'spool'})" in checked.stdout, checked.stdout


async def test_feedback_left_while_the_database_is_down_is_spooled_and_numbered_on(
    spool_desk: Desk,
) -> None:
    """Feedback numbers come from memory (a 201 at once, the database down or not); the spool
    keeps the feedback and its mail across the stop, and the next start continues the numbers
    after writing it back, so none is given twice."""
    desk = spool_desk
    await desk.admin.set_site(
        "acme", feedback_changes(feedback=True, feedback_emails="owner@acme.example")
    )
    await desk.start_component()
    await asyncio.to_thread(desk.mariadb.stop)
    for number, text in ((1, "database down"), (2, "still down")):
        status, body = await call(desk, "POST", FEEDBACK, body={"text": text})
        assert (status, body) == (201, {"feedback": number})
    await desk.stop_component()
    assert len(spool_files(desk)) == 1
    await asyncio.to_thread(desk.mariadb.start, desk.mariadb.base_dir, desk.mariadb.port)
    await desk.start_component()
    assert spool_files(desk) == []
    status, body = await call(desk, "POST", FEEDBACK, body={"text": "back"})
    assert (status, body) == (201, {"feedback": 3})
    await desk.flush_archive()
    assert await desk.rows("SELECT number, body FROM feedback ORDER BY number") == [
        (1, "database down"),
        (2, "still down"),
        (3, "back"),
    ]
    assert await desk.rows("SELECT feedback_number FROM mail_outbox ORDER BY id") == [
        (1,),
        (2,),
        (3,),
    ]
