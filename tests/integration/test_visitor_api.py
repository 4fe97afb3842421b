"""The visitor API (§7.1) over the real stack: a web visitor (HTTP) and a real XMPP operator."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from component.storage.archive import ArchiveRepository
from tests.integration.helpdesk_fixtures import Desk
from tests.integration.test_http import url


async def call(
    desk: Desk, method: str, path: str, token: str = "", body: Any = None, **kw: Any
) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, url(desk, path), json=body, headers=headers, **kw) as r,
    ):
        data = await r.json() if r.content_type == "application/json" else await r.text()
        return r.status, data


async def events(desk: Desk, chat: str, token: str, after: int, wait: float = 0) -> list[Any]:
    status, body = await call(
        desk, "GET", f"/api/v1/chats/{chat}/events?after={after}&wait={wait}", token
    )
    assert status == 200, body
    return list(body["events"])


async def test_a_web_visitor_and_an_operator_talk_both_ways_then_the_visitor_closes(
    desk: Desk,
) -> None:
    alice_jid = desk.user("alice")
    await desk.add_operator("acme", alice_jid, "Alice")
    await desk.start_component()
    alice = await desk.operator_online(alice_jid)

    status, started = await call(
        desk, "POST", "/api/v1/sites/acme/chats", body={"text": "hello", "name": "Ann"}
    )
    assert status == 201, started
    assert started["chat"] == "acme.1" and len(started["token"]) >= 40
    assert started["state"] == "assigned" and started["operator"]["name"] == "Alice"
    chat, token = started["chat"], started["token"]
    header = await alice.expect_from(desk.chat_jid(1), "New chat acme.1 from Ann")
    assert "hello" in header.body and token not in header.body

    start = [(e["seq"], e["type"], e.get("from")) for e in await events(desk, chat, token, 0)]
    assert start == [(1, "message", "visitor"), (2, "operator", None)]
    waiting = asyncio.create_task(events(desk, chat, token, 2, wait=20))
    await asyncio.sleep(0.3)
    assert not waiting.done()  # a long poll: nothing yet
    alice.send(desk.chat_jid(1), "hi Ann, how can I help?")
    answer = await asyncio.wait_for(waiting, 10)
    assert [(e["type"], e["from"], e["text"], e["operator"]) for e in answer] == [
        ("message", "operator", "hi Ann, how can I help?", "Alice")
    ]
    seq = answer[0]["seq"]
    await desk.flush_archive()
    archived = await desk.rows(
        "SELECT seq FROM messages WHERE site_id = 1 AND chat_number = 1 AND sender = 'operator'"
    )
    assert archived == [(seq,)]  # the event's seq is the archive's

    status, sent = await call(
        desk, "POST", f"/api/v1/chats/{chat}/messages", token, {"text": "a refund"}
    )
    assert status == 202 and sent["seq"] > seq
    await alice.expect_from(desk.chat_jid(1), "a refund")
    later = await events(desk, chat, token, seq)
    assert [(e["seq"], e["from"], e["text"]) for e in later] == [
        (sent["seq"], "visitor", "a refund")
    ]
    assert await events(desk, chat, token, sent["seq"]) == []  # nothing twice

    status, other = await call(desk, "POST", "/api/v1/sites/acme/chats", body={"text": "me too"})
    assert status == 201 and other["chat"] == "acme.2"
    path = f"/api/v1/chats/{chat}/messages"
    assert (await call(desk, "POST", path, other["token"], {"text": "x"}))[0] == 403
    assert (await call(desk, "POST", path, "", {"text": "x"}))[0] == 401
    assert (await call(desk, "POST", path, "not-a-token", {"text": "x"}))[0] == 401
    assert (await call(desk, "GET", f"/api/v1/chats/{chat}/events", other["token"]))[0] == 403

    assert (await call(desk, "POST", f"/api/v1/chats/{chat}/close", token))[0] == 204
    await alice.expect_from(desk.chat_jid(1), "The visitor closed chat acme.1.")
    closed = await events(desk, chat, token, sent["seq"])
    assert [e["type"] for e in closed] == ["closed"]
    status, body = await call(desk, "POST", path, token, {"text": "again"})
    assert (status, body["error"]["code"]) == (409, "closed")
    assert (await call(desk, "POST", f"/api/v1/chats/{chat}/close", token))[0] == 204
    hashes = await desk.rows("SELECT token_hash FROM web_chats ORDER BY chat_number")
    assert len(hashes) == 2 and token not in str(hashes)
    await desk.flush_archive()  # once the in-memory log is gone, the archive says it is closed
    acme = desk.service.state.site("acme")
    history = await ArchiveRepository(desk.db).web_history(acme.id, 1, 500)
    assert history.closed_at is not None and history.last_seq + 1 == closed[0]["seq"]
    assert (await ArchiveRepository(desk.db).web_history(acme.id, 2, 500)).closed_at is None


async def test_the_operators_close_and_typing_reach_the_web_visitor(desk: Desk) -> None:
    alice_jid = desk.user("alice")
    await desk.add_operator("acme", alice_jid, "Alice")
    await desk.start_component()
    alice = await desk.operator_online(alice_jid)
    _, started = await call(desk, "POST", "/api/v1/sites/acme/chats", body={"text": "hello"})
    chat, token = started["chat"], started["token"]
    await alice.expect_from(desk.chat_jid(1), "hello")

    waiting = asyncio.create_task(events(desk, chat, token, 2, wait=20))
    await asyncio.sleep(0.3)
    alice.send_typing(desk.chat_jid(1), "composing")
    typing = await asyncio.wait_for(waiting, 10)
    assert [(e["type"], e["state"], e["seq"]) for e in typing] == [("typing", "composing", 2)]

    status, _ = await call(
        desk, "POST", f"/api/v1/chats/{chat}/typing", token, {"state": "composing"}
    )
    assert status == 204
    await alice.expect_signal(desk.chat_jid(1), "composing")

    alice.send(desk.chat_jid(1), "/close")
    await desk.wait_for(lambda: desk.service.chats.get(1, 1) is None)
    tail = await events(desk, chat, token, 2)
    assert [(e["type"], e.get("from")) for e in tail] == [("message", "system"), ("closed", None)]
    assert tail[1]["seq"] == tail[0]["seq"] + 1


async def test_bad_requests_get_the_json_errors_of_the_contract(desk: Desk) -> None:
    await desk.start_component()
    start = "/api/v1/sites/acme/chats"
    for body, status, code in [
        ({"text": "hi", "colour": "red"}, 400, "invalid"),
        ({"text": 5}, 400, "invalid"),
        ({}, 400, "invalid"),
        ({"text": "  "}, 400, "empty_message"),
        ({"text": "x" * 5000}, 413, "too_large"),
        ([1], 400, "bad_json"),
    ]:
        got, answer = await call(desk, "POST", start, body=body)
        assert (got, answer["error"]["code"]) == (status, code), body
    async with aiohttp.ClientSession() as http:
        async with http.post(
            url(desk, start), data=b"{nope", headers={"Content-Type": "application/json"}
        ) as r:
            assert r.status == 400 and (await r.json())["error"]["code"] == "bad_json"
        async with http.post(url(desk, start), data=b"text=hi") as r:
            assert r.status == 415
    got, answer = await call(desk, "POST", "/api/v1/sites/nope/chats", body={"text": "hi"})
    assert (got, answer["error"]["code"]) == (404, "unknown_site")
    _, started = await call(desk, "POST", start, body={"text": "hello"})
    chat, token = started["chat"], started["token"]
    for query in ("after=x", "wait=31", "wait=nan", "after=-1", "since=1"):
        got, _ = await call(desk, "GET", f"/api/v1/chats/{chat}/events?{query}", token)
        assert got == 400, query
    got, _ = await call(desk, "POST", f"/api/v1/chats/{chat}/typing", token, {"state": "gone"})
    assert got == 400
    got, _ = await call(desk, "GET", "/api/v1/chats/acme.99/events", token)
    assert got == 403  # the token is another chat's
    got, _ = await call(desk, "GET", "/api/v1/chats/acme.99/events", "no-such-token")
    assert got == 401


async def test_cors_over_the_real_stack_only_the_sites_stored_origins(desk: Desk) -> None:
    await desk.admin.set_site("acme", {"origins": ("https://shop.example",)})
    await desk.admin.add_site("globex", "Globex")
    await desk.start_component()
    shop, evil = {"Origin": "https://shop.example"}, {"Origin": "https://evil.example"}

    async with aiohttp.ClientSession() as http:
        async with http.options(url(desk, "/api/v1/sites/acme/chats"), headers=shop) as r:
            assert r.status == 204 and r.headers["Access-Control-Allow-Methods"] == "POST"
            assert r.headers["Access-Control-Allow-Origin"] == "https://shop.example"
            assert r.headers["Access-Control-Max-Age"] == str(desk.config.http.cors_max_age)
        async with http.post(
            url(desk, "/api/v1/sites/acme/chats"), json={"text": "hi"}, headers=shop
        ) as r:
            assert r.status == 201 and r.headers["Access-Control-Allow-Origin"] == shop["Origin"]
        async with http.post(
            url(desk, "/api/v1/sites/acme/chats"), json={"text": "hi"}, headers=evil
        ) as r:
            assert r.status == 403 and "Access-Control-Allow-Origin" not in r.headers
        async with http.options(url(desk, "/api/v1/sites/globex/chats"), headers=shop) as r:
            assert r.status == 403  # acme's origin is not globex's
    await desk.flush_archive()
    assert await desk.rows("SELECT COUNT(*) FROM web_chats") == [(1,)]


async def test_a_web_visitor_on_the_websocket_talks_with_a_real_operator_and_resumes(
    desk: Desk,
) -> None:
    alice_jid = desk.user("alice")
    await desk.add_operator("acme", alice_jid, "Alice")
    await desk.start_component()
    alice = await desk.operator_online(alice_jid)
    _, started = await call(desk, "POST", "/api/v1/sites/acme/chats", body={"text": "hello"})
    chat, token = started["chat"], started["token"]
    await alice.expect_from(desk.chat_jid(1), "hello")
    live = url(desk, f"/api/v1/chats/{chat}/live")

    async def next_event(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
        message = await ws.receive(10)
        assert message.type is aiohttp.WSMsgType.TEXT, message
        return dict(message.json())

    seen: list[dict[str, Any]] = []
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(live) as ws:
            await ws.send_json({"type": "hello", "token": token, "after": 0})
            seen += [await next_event(ws), await next_event(ws)]
            assert (seen[0]["seq"], seen[0]["text"]) == (1, "hello")
            assert (seen[1]["seq"], seen[1]["type"], seen[1]["name"]) == (2, "operator", "Alice")
            alice.send(desk.chat_jid(1), "hi, Alice here")
            seen.append(await next_event(ws))
            assert (seen[2]["from"], seen[2]["text"], seen[2]["operator"]) == (
                "operator",
                "hi, Alice here",
                "Alice",
            )
            await ws.send_json({"type": "message", "text": "my parcel is late"})
            seen.append(await next_event(ws))
            assert (seen[3]["from"], seen[3]["text"]) == ("visitor", "my parcel is late")
            await alice.expect_from(desk.chat_jid(1), "my parcel is late")
            await ws.send_json({"type": "typing", "state": "composing"})
            await alice.expect_signal(desk.chat_jid(1), "composing")

        # while the widget is away, Alice writes twice; it comes back after what it saw
        alice.send(desk.chat_jid(1), "let me check")
        alice.send(desk.chat_jid(1), "it ships today")
        for _ in range(50):
            if len(await events(desk, chat, token, seen[-1]["seq"], wait=1)) >= 2:
                break
        async with http.ws_connect(live) as ws:
            await ws.send_json({"type": "hello", "token": token, "after": seen[-1]["seq"]})
            seen += [await next_event(ws), await next_event(ws)]
            alice.send(desk.chat_jid(1), "/close")
            while (message := await ws.receive(10)).type is aiohttp.WSMsgType.TEXT:
                seen.append(message.json())
            assert message.type is aiohttp.WSMsgType.CLOSE and ws.close_code == 1000

    everything = await events(desk, chat, token, 0)
    assert seen == everything  # nothing missed, nothing twice, in order
    assert [e.get("text") for e in seen[4:6]] == ["let me check", "it ships today"]
    assert seen[-1]["type"] == "closed"
