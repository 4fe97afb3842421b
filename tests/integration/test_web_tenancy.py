"""Two sites on the real stack, as a matrix: a web chat's token opens nothing of another chat or
site, on every chat endpoint and the WebSocket; each site's operator sees only their own site's
chats; and the rate limits answer 429 with Retry-After over the real HTTP server."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import aiohttp
import pytest

from component.config import RateConfig, RateLimitsConfig
from tests.integration.helpdesk_fixtures import Desk
from tests.integration.test_http import url
from tests.integration.test_visitor_api import call

ENDPOINTS = [
    ("POST", "messages", {"text": "let me in"}),
    ("POST", "typing", {"state": "composing"}),
    ("GET", "events?after=0", None),
    ("POST", "close", None),
]


async def start(desk: Desk, slug: str, text: str) -> dict[str, Any]:
    status, started = await call(desk, "POST", f"/api/v1/sites/{slug}/chats", body={"text": text})
    assert status == 201, started
    return dict(started)


async def live_close_code(desk: Desk, chat: str, token: str) -> int:
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(url(desk, f"/api/v1/chats/{chat}/live")) as ws,
    ):
        await ws.send_json({"type": "hello", "token": token, "after": 0})
        frame = await ws.receive(timeout=10)
        assert frame.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED), frame
        return int(ws.close_code or 0)


async def test_tokens_and_operators_of_two_sites_reach_only_their_own_chats(desk: Desk) -> None:
    await desk.admin.add_site("globex", "Globex Corp")
    alice_jid, gil_jid = desk.user("alice"), desk.user("gil")
    await desk.add_operator("acme", alice_jid, "Alice")
    await desk.add_operator("globex", gil_jid, "Gil")
    await desk.start_component()
    alice = await desk.operator_online(alice_jid)
    gil = await desk.operator_online(gil_jid)
    chats = {
        "acme": await start(desk, "acme", "hello from an acme visitor"),
        "globex": await start(desk, "globex", "hello from a globex visitor"),
    }
    assert chats["acme"]["chat"] == "acme.1" and chats["globex"]["chat"] == "globex.1"
    await alice.expect_from(desk.chat_jid(1), "hello from an acme visitor")
    await gil.expect_from(desk.chat_jid(1, "globex"), "hello from a globex visitor")

    for owner, other in (("acme", "globex"), ("globex", "acme")):
        target, token = chats[other]["chat"], chats[owner]["token"]
        for method, path, body in ENDPOINTS:
            status, answer = await call(desk, method, f"/api/v1/chats/{target}/{path}", token, body)
            assert (status, answer["error"]["code"]) == (403, "forbidden"), (owner, path)
        assert await live_close_code(desk, target, token) == 4403
        status, _ = await call(desk, "GET", f"/api/v1/chats/{other}.2/events", token)
        assert status == 403  # a chat that does not exist yet: still not this token's
        status, _ = await call(desk, "GET", f"/api/v1/chats/{target}/events", "x" * 43)
        assert status == 401  # a token of no chat at all
    await alice.expect_no_more()  # nothing of globex reached acme's operator, and back
    await gil.expect_no_more()

    gil.send(desk.chat_jid(1), "sneaky write into acme's chat")  # not Gil's chat
    refused = await gil.expect(lambda r: r.sender.split("/")[0] == desk.chat_jid(1))
    assert (refused.type, refused.error_condition) == ("error", "forbidden")
    await alice.expect_nothing()  # Alice's chat got nothing from Gil
    status, events = await call(
        desk, "GET", "/api/v1/chats/acme.1/events?after=0", chats["acme"]["token"]
    )
    assert status == 200
    assert "sneaky" not in json.dumps(events)
    for site, chat in chats.items():  # every chat still open and its own
        status, _ = await call(
            desk, "POST", f"/api/v1/chats/{chat['chat']}/typing", chat["token"], {"state": "paused"}
        )
        assert status == 204, site


@pytest.mark.parametrize("over", ["chats", "messages"])
async def test_rate_limits_answer_429_with_retry_after_over_the_real_server(
    desk: Desk, over: str
) -> None:
    one = RateConfig(count=1, per_seconds=60)
    limits = (
        RateLimitsConfig(chats_per_ip=one)
        if over == "chats"
        else RateLimitsConfig(messages_per_chat=one)
    )
    desk.config = replace(desk.config, http=replace(desk.config.http, rate_limits=limits))
    await desk.add_operator("acme", desk.user("alice"), "Alice")
    await desk.start_component()
    started = await start(desk, "acme", "first")
    if over == "chats":
        path, token, body = "/api/v1/sites/acme/chats", "", {"text": "second"}
    else:
        path, token = f"/api/v1/chats/{started['chat']}/messages", started["token"]
        body = {"text": "one"}
        assert (await call(desk, "POST", path, token, body))[0] == 202
    async with aiohttp.ClientSession() as http:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with http.post(url(desk, path), json=body, headers=headers) as r:
            assert r.status == 429
            assert 1 <= int(r.headers["Retry-After"]) <= 60
            assert (await r.json())["error"]["code"] == "rate_limited"
    await desk.flush_archive()
    rows = await desk.rows("SELECT COUNT(*) FROM chats")
    messages = await desk.rows("SELECT COUNT(*) FROM messages WHERE sender = 'visitor'")
    assert (rows, messages) == (([(1,)], [(1,)]) if over == "chats" else ([(1,)], [(2,)]))
