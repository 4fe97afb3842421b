"""A web visitor's event log over the real stack (§7.1): `operator` and `queue` events, receipts,
typing both ways, and the log after HelperChat or ejabberd restarts (nothing missed or twice)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp

from component import chat_events
from component.admin import web_changes
from component.models import Tier, VisitorKind
from component.web.visitors import WebVisitors
from tests.integration.clients import Client
from tests.integration.helpdesk_fixtures import Desk
from tests.integration.test_http import url
from tests.integration.test_visitor_api import call, events

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))
PUBLIC_URL = "https://help.example"
WS = aiohttp.ClientWebSocketResponse


async def start_chat(desk: Desk, text: str = "hello") -> tuple[str, str]:
    status, started = await call(desk, "POST", "/api/v1/sites/acme/chats", body={"text": text})
    assert status == 201, started
    return started["chat"], started["token"]


async def alice_online(desk: Desk, max_chats: int = 0) -> tuple[str, Client]:
    alice_jid = desk.user("alice")
    await desk.add_operator("acme", alice_jid, "Alice", max_chats=max_chats)
    await desk.start_component()
    return alice_jid, await desk.operator_online(alice_jid)


@asynccontextmanager
async def live(desk: Desk, chat: str, token: str, after: int) -> AsyncIterator[WS]:
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(url(desk, f"/api/v1/chats/{chat}/live")) as ws,
    ):
        await ws.send_json({"type": "hello", "token": token, "after": after})
        yield ws


async def next_event(ws: WS) -> dict[str, Any]:
    message = await ws.receive(10)
    assert message.type is aiohttp.WSMsgType.TEXT, message
    return dict(message.json())


async def nothing_more_on(ws: WS) -> None:
    """No frame within a moment (the server sends what it has at once)."""
    try:
        message = await ws.receive(0.5)
    except TimeoutError:
        return
    raise AssertionError(f"unexpected frame {message}")


async def until(desk: Desk, chat: str, token: str, after: int, count: int) -> list[Any]:
    """Long-poll until `count` events after `after` are there."""
    for _ in range(100):
        found = await events(desk, chat, token, after, wait=2)
        if len(found) >= count:
            return found
    raise AssertionError(f"fewer than {count} events after {after}")


def kinds(found: list[Any]) -> list[tuple[str, Any]]:
    return [(e["type"], e.get("text") or e.get("name") or e.get("position")) for e in found]


async def test_a_web_chat_assigned_at_once_gets_an_operator_event(desk: Desk) -> None:
    desk.config = dataclasses.replace(
        desk.config, http=dataclasses.replace(desk.config.http, public_url=PUBLIC_URL)
    )
    await desk.admin.set_site("acme", web_changes(avatar=PNG))
    await alice_online(desk)
    status, started = await call(desk, "POST", "/api/v1/sites/acme/chats", body={"text": "hi"})
    assert status == 201
    avatar = f"{PUBLIC_URL}/api/v1/sites/acme/avatar"
    assert started["operator"] == {"name": "Alice", "avatar": avatar}
    chat, token = started["chat"], started["token"]
    found = await events(desk, chat, token, 0)
    assert [(e["seq"], e["type"]) for e in found] == [(1, "message"), (2, "operator")]
    assert (found[1]["name"], found[1]["avatar"]) == ("Alice", avatar)
    await desk.flush_archive()
    rows = await desk.rows(
        "SELECT seq, notice, notice_detail FROM messages"
        " WHERE chat_number = 1 AND sender = 'system'"
    )
    assert rows == [(2, "assigned", "Alice")]


async def test_a_queued_web_chat_gets_queue_events_as_the_queue_moves_then_operator(
    desk: Desk,
) -> None:
    _, alice = await alice_online(desk, max_chats=1)
    first, first_token = await start_chat(desk, "first")
    second, second_token = await start_chat(desk, "second")
    third, third_token = await start_chat(desk, "third")
    assert kinds(await events(desk, second, second_token, 0)) == [
        ("message", "second"),
        ("queue", 1),
    ]
    assert kinds(await events(desk, third, third_token, 0)) == [("message", "third"), ("queue", 2)]
    await alice.expect_from(desk.chat_jid(1), "first")
    alice.send(desk.chat_jid(1), "/close")
    assert kinds(await until(desk, second, second_token, 2, 1)) == [("operator", "Alice")]
    assert kinds(await until(desk, third, third_token, 2, 1)) == [("queue", 1)]
    assert kinds(await until(desk, first, first_token, 2, 2))[-1] == ("closed", None)
    await alice.expect_from(desk.chat_jid(2), "second")
    alice.send(desk.chat_jid(2), "/close")
    third_log = await until(desk, third, third_token, 0, 4)
    assert kinds(third_log) == [
        ("message", "third"),
        ("queue", 2),
        ("queue", 1),
        ("operator", "Alice"),
    ]
    seqs = [e["seq"] for e in third_log]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)


def recorded(desk: Desk) -> int:
    """How many messages chat acme.1 has recorded (0 once closed)."""
    entry = desk.service.chats.get(1, 1)
    return 0 if entry is None else entry.next_seq - 1


async def wait_online(desk: Desk, jid: str) -> None:
    await desk.wait_for(lambda: desk.service.presence.tier_of(jid) is Tier.AVAILABLE)


async def test_after_a_helperchat_restart_the_widget_gets_every_event_once_with_its_seq(
    desk: Desk,
) -> None:
    alice_jid, alice = await alice_online(desk)
    chat, token = await start_chat(desk)
    await alice.expect_from(desk.chat_jid(1), "hello")
    alice.send(desk.chat_jid(1), "hi, Alice here")
    before = await until(desk, chat, token, 0, 3)
    status, sent = await call(desk, "POST", f"/api/v1/chats/{chat}/messages", token, {"text": "ok"})
    assert status == 202
    before = await until(desk, chat, token, 0, 4)
    assert before[-1]["seq"] == sent["seq"]

    # restart 1: the operator writes right after it; the widget comes back by long poll first
    await desk.stop_component()
    await desk.start_component()
    await wait_online(desk, alice_jid)
    alice.send(desk.chat_jid(1), "still here after the restart")
    await desk.wait_for(lambda: recorded(desk) == 5)
    resumed = await events(desk, chat, token, sent["seq"])
    assert kinds(resumed) == [("message", "still here after the restart")]
    everything = await events(desk, chat, token, 0)
    assert everything == before + resumed  # the same seqs, the same `at`, nothing twice
    async with live(desk, chat, token, sent["seq"]) as ws:
        assert await next_event(ws) == resumed[0]
        await nothing_more_on(ws)

    # restart 2: the widget comes back over the WebSocket first, and waits there
    await desk.stop_component()
    await desk.start_component()
    await wait_online(desk, alice_jid)
    async with live(desk, chat, token, resumed[0]["seq"]) as ws:
        await nothing_more_on(ws)
        alice.send(desk.chat_jid(1), "and after the second one")
        latest = await next_event(ws)
        assert (latest["seq"], latest["text"]) == (
            resumed[0]["seq"] + 1,
            "and after the second one",
        )
    async with live(desk, chat, token, 0) as ws:
        again = [await next_event(ws) for _ in range(len(everything) + 1)]
        await nothing_more_on(ws)
    assert again == [*everything, latest]

    # closed while nobody read since a restart: the log comes from the archive
    await desk.stop_component()
    await desk.start_component()
    await wait_online(desk, alice_jid)
    alice.send(desk.chat_jid(1), "/close")
    await desk.wait_for(lambda: desk.service.chats.get(1, 1) is None)
    final = await events(desk, chat, token, 0)
    assert final[: len(again)] == again
    assert kinds(final[len(again) :]) == [
        ("message", "The operator closed the chat. Write again any time to start a new one."),
        ("closed", None),
    ]


async def test_a_page_reload_mid_chat_misses_nothing_and_sees_nothing_twice(desk: Desk) -> None:
    _, alice = await alice_online(desk)
    chat, token = await start_chat(desk)
    await alice.expect_from(desk.chat_jid(1), "hello")
    async with live(desk, chat, token, 0) as ws:
        seen = [await next_event(ws), await next_event(ws)]
        alice.send(desk.chat_jid(1), "one")
        seen.append(await next_event(ws))
    alice.send(desk.chat_jid(1), "two")  # between the old page and the new one
    await until(desk, chat, token, seen[-1]["seq"], 1)
    async with live(desk, chat, token, seen[-1]["seq"]) as ws:
        seen.append(await next_event(ws))
        await nothing_more_on(ws)
        alice.send(desk.chat_jid(1), "three")
        seen.append(await next_event(ws))
    assert kinds(seen) == [
        ("message", "hello"),
        ("operator", "Alice"),
        ("message", "one"),
        ("message", "two"),
        ("message", "three"),
    ]
    assert seen == await events(desk, chat, token, 0)


async def test_messages_flow_again_after_ejabberd_restarts_mid_web_chat(desk: Desk) -> None:
    alice_jid, alice = await alice_online(desk)
    chat, token = await start_chat(desk)
    await alice.expect_from(desk.chat_jid(1), "hello")
    app = desk.app
    assert app is not None
    await asyncio.to_thread(desk.ejabberd.restart)
    await asyncio.wait_for(app.component.connected_event.wait(), 30)
    await alice.reconnect()
    await wait_online(desk, alice_jid)

    status, sent = await call(
        desk, "POST", f"/api/v1/chats/{chat}/messages", token, {"text": "still there?"}
    )
    assert status == 202
    assert (await alice.expect_from(desk.chat_jid(1))).body == "still there?"
    alice.send(desk.chat_jid(1), "yes, after the restart")
    answer = await until(desk, chat, token, sent["seq"], 1)
    assert kinds(answer) == [("message", "yes, after the restart")]
    assert kinds(await events(desk, chat, token, 0)) == [
        ("message", "hello"),
        ("operator", "Alice"),
        ("message", "still there?"),
        ("message", "yes, after the restart"),
    ]


async def test_typing_both_ways(desk: Desk) -> None:
    _, alice = await alice_online(desk)
    chat, token = await start_chat(desk)
    await alice.expect_from(desk.chat_jid(1), "hello")
    status, _ = await call(
        desk, "POST", f"/api/v1/chats/{chat}/typing", token, {"state": "composing"}
    )
    assert status == 204
    await alice.expect_signal(desk.chat_jid(1), "composing")
    async with live(desk, chat, token, 2) as ws:
        await ws.send_json({"type": "typing", "state": "paused"})
        await alice.expect_signal(desk.chat_jid(1), "paused")
        alice.send_typing(desk.chat_jid(1), "composing")
        typing = await next_event(ws)
        assert (typing["type"], typing["state"], typing["seq"]) == ("typing", "composing", 2)
    assert await events(desk, chat, token, 2) == []  # live only: nothing kept


async def test_the_operators_receipts_reach_the_web_visitor(desk: Desk) -> None:
    _, alice = await alice_online(desk)
    chat, token = await start_chat(desk)
    header = await alice.expect_from(desk.chat_jid(1), "hello")
    assert header.request and header.markable  # the component asks Alice's client for both
    async with live(desk, chat, token, 2) as ws:
        await ws.send_json({"type": "message", "text": "my order 1234"})
        own = await next_event(ws)
        relayed = await alice.expect_from(desk.chat_jid(1), "my order 1234")
        assert relayed.request and relayed.markable
        alice.send_ack(desk.chat_jid(1), "received", relayed.id)
        delivered = await next_event(ws)
        alice.send_ack(desk.chat_jid(1), "displayed", relayed.id)
        read = await next_event(ws)
        alice.send_ack(desk.chat_jid(1), "displayed", header.id)
        first_read = await next_event(ws)
    assert (delivered["type"], delivered["of"], delivered["state"]) == (
        "receipt",
        own["seq"],
        "delivered",
    )
    assert (read["of"], read["state"], read["seq"]) == (own["seq"], "read", own["seq"])
    assert (first_read["of"], first_read["state"]) == (1, "read")
    assert await events(desk, chat, token, own["seq"]) == []  # receipts are live only


async def every_page(desk: Desk, chat: str, token: str, after: int, cap: int) -> list[Any]:
    """Every event after `after` by long poll, asking after the last seq got till none come;
    no answer holds more than `cap`."""
    got: list[Any] = []
    while found := await events(desk, chat, token, after):
        assert len(found) <= cap
        got += found
        after = found[-1]["seq"]
    return got


async def test_a_widget_resuming_from_before_the_capped_log_gets_the_rest_from_the_archive(
    desk: Desk, monkeypatch: Any
) -> None:
    cap = 4
    monkeypatch.setattr(chat_events, "MAX_EVENTS_PER_CHAT", cap)
    alice_jid, alice = await alice_online(desk)
    chat, token = await start_chat(desk)
    await alice.expect_from(desk.chat_jid(1), "hello")
    for n in range(8):
        alice.send(desk.chat_jid(1), f"answer {n}")
    await desk.wait_for(lambda: recorded(desk) == 10)
    said = [("message", f"answer {n}") for n in range(8)]
    opened = await every_page(desk, chat, token, 0, cap)  # open: the desk's tail holds it all
    assert kinds(opened) == [("message", "hello"), ("operator", "Alice"), *said]

    alice.send(desk.chat_jid(1), "/close")
    await desk.wait_for(lambda: desk.service.chats.get(1, 1) is None)
    closed = await every_page(desk, chat, token, 0, cap)  # closed: from the archive
    assert closed[: len(opened)] == opened
    assert kinds(closed[len(opened) :]) == [
        ("message", "The operator closed the chat. Write again any time to start a new one."),
        ("closed", None),
    ]
    seqs = [e["seq"] for e in closed]
    assert seqs == sorted(set(seqs))
    assert await every_page(desk, chat, token, seqs[2], cap) == closed[3:]

    await desk.stop_component()  # its log is gone: rebuilt from the archive's newest, capped
    await desk.start_component()
    await wait_online(desk, alice_jid)
    assert await every_page(desk, chat, token, 0, cap) == closed
    async with live(desk, chat, token, seqs[1]) as ws:
        assert [await next_event(ws) for _ in closed[2:]] == closed[2:]
        message = await ws.receive(10)
        assert message.type is aiohttp.WSMsgType.CLOSE
    log = desk.service.state.visitors[VisitorKind.WEB]
    assert isinstance(log, WebVisitors) and log.events.log((1, 1)) is None  # nothing kept


async def test_an_open_chat_longer_than_the_desk_keeps_is_read_from_the_archive(
    desk: Desk, monkeypatch: Any
) -> None:
    cap = 4
    monkeypatch.setattr(chat_events, "MAX_EVENTS_PER_CHAT", cap)
    _, alice = await alice_online(desk)
    chat, token = await start_chat(desk)
    await alice.expect_from(desk.chat_jid(1), "hello")
    for n in range(30):  # more than an open chat's tail holds
        alice.send(desk.chat_jid(1), f"answer {n}")
    await desk.wait_for(lambda: recorded(desk) == 32)
    entry = desk.service.chats.get(1, 1)
    assert entry is not None and not entry.tail.holds_after(0)
    said = [("message", f"answer {n}") for n in range(30)]
    opened = await every_page(desk, chat, token, 0, cap)  # from the archive, page by page
    assert kinds(opened) == [("message", "hello"), ("operator", "Alice"), *said]
    seqs = [e["seq"] for e in opened]
    assert seqs == sorted(set(seqs))
