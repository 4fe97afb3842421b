"""File descriptors stay for ejabberd and the database however many sockets one visitor opens.

`helperchat run` as its own process with a small open-file limit (300), over the real ejabberd and
MariaDB: one address opens more live sockets than the limit could hold. The server takes what its
cap allows (the limit less the reserve), answers the rest 503 before any upgrade, and the chat
goes on: the operator's answer reaches the sockets and the archive, and a new chat still works.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp

from component.web.held import connection_cap
from devstack.ports import free_port
from tests.integration.helpdesk_fixtures import Desk
from tests.integration.test_cli import desk_is_available_to, write_config

OPEN_FILES = 300
HELPERCHAT = (sys.executable, "-m", "component")
GENEROUS_LIMITS = """
  max_sockets_per_chat: 1000
  max_connections_per_ip: 1000
  rate_limits:
    requests_per_ip: {count: 100000, per_seconds: 60}
"""


async def _open_socket(
    http: aiohttp.ClientSession, url: str, token: str
) -> aiohttp.ClientWebSocketResponse | int:
    """A live socket past its hello, or the HTTP status that refused the handshake."""
    try:
        ws = await http.ws_connect(url)
    except aiohttp.WSServerHandshakeError as refused:
        return refused.status
    await ws.send_json({"type": "hello", "token": token, "after": 0})
    return ws


async def test_one_address_cannot_take_the_descriptors_the_database_needs(
    desk: Desk, tmp_path: Path
) -> None:
    alice_jid = desk.user("alice")
    await desk.add_operator("acme", alice_jid, "Alice")
    port = free_port()
    config = write_config(desk, tmp_path / "config.yaml", http_port=port)
    config.write_text(config.read_text() + GENEROUS_LIMITS)
    process = subprocess.Popen(  # noqa: ASYNC220 - the component under test, stopped below
        ["prlimit", f"--nofile={OPEN_FILES}", *HELPERCHAT, "-c", str(config), "run"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}/api/v1"
    cap = connection_cap(None, OPEN_FILES)
    try:
        alice = await desk.client(alice_jid)
        await desk_is_available_to(alice, desk.desk_jid())
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            started = await http.post(f"{base}/sites/acme/chats", json={"text": "hi"})
            assert started.status == 201, await started.text()
            chat = await started.json()
            await alice.expect_from(desk.chat_jid(1), "hi", timeout=20)
            url = f"ws://127.0.0.1:{port}/api/v1/chats/{chat['chat']}/live"
            opened = [await _open_socket(http, url, chat["token"]) for _ in range(cap + 50)]
            sockets = [ws for ws in opened if not isinstance(ws, int)]
            assert len(sockets) == cap
            assert set(opened[cap:]) == {503}

            alice.send(desk.chat_jid(1), "answer under load")
            for ws in sockets[:: cap // 10]:
                texts = [await _next_text(ws) for _ in range(3)]
                assert "answer under load" in texts

            visitor = await desk.client(desk.user("visitor"))
            visitor.send(desk.desk_jid(), "a new chat still works")
            await alice.expect_from(desk.chat_jid(2), "a new chat still works", timeout=20)
            async with http.get(f"http://127.0.0.1:{port}/healthz") as health:
                assert (health.status, await health.json()) == (
                    200,
                    {"xmpp": "up", "database": "up"},
                )
            for ws in sockets:
                await ws.close()
    finally:
        process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "Too many open files" not in output
    rows = await desk.rows("SELECT chat_number, body FROM messages WHERE sender = 'operator'")
    assert (1, "answer under load") in rows
    rows = await desk.rows("SELECT chat_number, body FROM messages WHERE sender = 'visitor'")
    assert (2, "a new chat still works") in rows


async def _next_text(ws: aiohttp.ClientWebSocketResponse) -> str:
    event = await asyncio.wait_for(ws.receive_json(), 20)
    return str(event.get("text", ""))
