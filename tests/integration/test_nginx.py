"""The README's nginx lines in front of the real HelperChat: the visitor API, its WebSocket
(upgrade headers, a read timeout past the idle time), the client address through a trusted proxy,
the widget gzipped with its ETag, and /metrics kept to loopback."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from devstack.nginx import Nginx, on_loopback, readme_server_block
from devstack.ports import free_port
from tests.integration.helpdesk_fixtures import Desk
from tests.integration.thirdparty import ROOT, require_programs

CLIENT = "203.0.113.9"  # the visitor's address as an outer proxy would pass it on


@pytest.fixture
def nginx_dir(tmp_path: Path) -> Path:
    require_programs("nginx")
    return tmp_path


@pytest.fixture
def proxied(desk: Desk, nginx_dir: Path) -> Iterator[str]:
    """nginx with the README's server block in front of the desk's HTTP port; its base URL."""
    desk.config = replace(
        desk.config, http=replace(desk.config.http, trusted_proxies=("127.0.0.1",))
    )
    port = free_port()
    block = on_loopback(
        readme_server_block((ROOT / "README.md").read_text()), port, desk.config.http.port
    )
    proxy = Nginx(nginx_dir, block, port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proxy.stop()


async def test_a_web_chat_runs_through_the_readme_nginx_websocket_included(
    desk: Desk, proxied: str, caplog: pytest.LogCaptureFixture
) -> None:
    alice_jid = desk.user("alice")
    await desk.add_operator("acme", alice_jid, "Alice")
    await desk.start_component()
    alice = await desk.operator_online(alice_jid)
    caplog.set_level(logging.INFO, logger="component.web.access")

    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{proxied}/api/v1/sites/acme/chats",
            json={"text": "hello through nginx"},
            headers={"X-Forwarded-For": CLIENT},
        ) as r:
            assert r.status == 201, await r.text()
            started: dict[str, Any] = await r.json()
        await alice.expect_from(desk.chat_jid(1), "hello through nginx")
        access = [m for m in caplog.messages if "route=/api/v1/sites/{slug}/chats" in m]
        assert access and f"client={CLIENT}" in access[-1], caplog.messages

        async with http.ws_connect(f"{proxied}/api/v1/chats/{started['chat']}/live") as ws:
            await ws.send_json({"type": "hello", "token": started["token"], "after": 0})
            first = json.loads((await ws.receive(timeout=10)).data)
            assert (first["type"], first["text"]) == ("message", "hello through nginx")
            assigned = json.loads((await ws.receive(timeout=10)).data)
            assert (assigned["type"], assigned["name"]) == ("operator", "Alice")
            alice.send(desk.chat_jid(1), "answered through nginx")
            answer = json.loads((await ws.receive(timeout=10)).data)
            assert (answer["from"], answer["text"]) == ("operator", "answered through nginx")
            await ws.send_json({"type": "message", "text": "and back"})
            await alice.expect_from(desk.chat_jid(1), "and back")

        async with http.get(f"{proxied}/metrics") as r:  # nginx allows loopback only
            assert r.status == 200 and "helperchat_chats_started_total" in await r.text()
        gzip = {"Accept-Encoding": "gzip"}
        async with http.get(f"{proxied}/widget.js", headers=gzip, auto_decompress=False) as r:
            assert (r.status, r.headers["Content-Encoding"]) == (200, "gzip")
            etag = r.headers["ETag"]
        async with http.get(f"{proxied}/widget.js", headers={"If-None-Match": etag, **gzip}) as r:
            assert r.status == 304
        async with http.get(f"{proxied}/healthz") as r:
            assert (r.status, await r.json()) == (200, {"xmpp": "up", "database": "up"})


def test_the_readme_block_is_found_and_moved_to_loopback() -> None:
    block = readme_server_block((ROOT / "README.md").read_text())
    moved = on_loopback(block, 18443, 18080)
    assert "listen 127.0.0.1:18443;" in moved and "ssl" not in moved.split("\n")[1]
    assert "proxy_set_header Upgrade $http_upgrade;" in moved
    assert "http://127.0.0.1:8080" not in moved and "http://127.0.0.1:18080" in moved


async def test_nginx_failing_to_start_says_why(nginx_dir: Path) -> None:
    with pytest.raises(RuntimeError, match="nginx did not start"):
        await asyncio.to_thread(Nginx(nginx_dir, "server { listen nonsense; }", free_port()).start)
