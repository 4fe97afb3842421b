"""The HTTP side of a running Application on the real ejabberd and MariaDB: /healthz, /metrics,
JSON errors, the access log; started after the desk, stopped first."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
import pytest

from tests.integration.helpdesk_fixtures import Desk


def url(desk: Desk, path: str) -> str:
    return f"http://127.0.0.1:{desk.config.http.port}{path}"


async def get(desk: Desk, path: str, **headers: str) -> tuple[int, Any]:
    """Status and body (JSON when the answer is JSON, else text)."""
    async with aiohttp.ClientSession() as http, http.get(url(desk, path), headers=headers) as r:
        json = r.content_type == "application/json"
        return r.status, await (r.json() if json else r.text())


async def test_healthz_says_up_then_names_the_database_while_it_is_down(desk: Desk) -> None:
    await desk.start_component()
    assert await get(desk, "/healthz") == (200, {"xmpp": "up", "database": "up"})
    await asyncio.to_thread(desk.mariadb.stop)
    try:
        await asyncio.sleep(1.1)  # the last "up" is kept for a second
        assert await get(desk, "/healthz") == (503, {"xmpp": "up", "database": "down"})
    finally:
        await asyncio.to_thread(desk.mariadb.start, desk.mariadb.base_dir, desk.mariadb.port)
    for _ in range(40):
        if (await get(desk, "/healthz"))[0] == 200:
            break
        await asyncio.sleep(0.25)
    assert await get(desk, "/healthz") == (200, {"xmpp": "up", "database": "up"})


async def test_metrics_count_a_chat_and_show_each_site(desk: Desk) -> None:
    _, alice, visitor = await desk.open_chat()  # acme.1: "hello" reached alice
    alice.send(desk.chat_jid(1), "hi, how can I help?")
    await visitor.expect_from(desk.desk_jid(), "hi, how can I help?")
    alice.send(desk.chat_jid(1), "/close")
    acme = desk.service.directory.site("acme")
    assert acme is not None
    await desk.wait_for(lambda: desk.service.chats.get(acme.id, 1) is None)
    await get(desk, "/healthz")
    status, text = await get(desk, "/metrics")
    assert status == 200
    lines = set(text.splitlines())
    for line in (
        'helperchat_chats_started_total{site="acme"} 1.0',
        'helperchat_chats_closed_total{site="acme"} 1.0',
        'helperchat_messages_relayed_total{direction="visitor_to_operator",site="acme"} 1.0',
        'helperchat_messages_relayed_total{direction="operator_to_visitor",site="acme"} 1.0',
        'helperchat_queue_length{site="acme"} 0.0',
        'helperchat_operators_online{site="acme"} 1.0',
        'helperchat_http_requests_total{method="GET",route="/healthz",status="200"} 1.0',
    ):
        assert line in lines, line
    assert any(line.startswith("helperchat_archive_backlog_rows ") for line in lines)


async def test_an_unknown_route_is_a_json_404(desk: Desk) -> None:
    await desk.start_component()
    status, body = await get(desk, "/api/v1/nothing/here")
    assert status == 404
    assert body["error"]["code"] == "not_found"
    assert set(body["error"]) == {"code", "message"}


async def test_the_access_log_keeps_no_token(desk: Desk, caplog: pytest.LogCaptureFixture) -> None:
    await desk.start_component()
    caplog.set_level(logging.DEBUG)
    status, _ = await get(desk, "/healthz?token=SECRET", Authorization="Bearer SECRET")
    assert status == 200
    await get(desk, "/chats/SECRET/live", Authorization="Bearer SECRET")
    access = [r.getMessage() for r in caplog.records if r.name == "component.web.access"]
    assert access[0].startswith("method=GET route=/healthz status=200 ")
    assert access[1].startswith("method=GET route=unmatched status=404 ")
    assert not [r for r in caplog.records if "SECRET" in r.getMessage()]


async def test_http_stops_with_the_application(desk: Desk) -> None:
    await desk.start_component()
    assert (await get(desk, "/healthz"))[0] == 200
    await desk.stop_component()
    with pytest.raises(aiohttp.ClientConnectionError):
        await get(desk, "/healthz")
