"""Connections a visitor holds open (live sockets, long polls) are capped: per chat (a new socket
closes the oldest, as a reload would), per client address and in all (so file descriptors stay
for ejabberd and the database), over the real WebVisitors and VisitorApi and a desk of fakes."""

from __future__ import annotations

import asyncio
import dataclasses
from contextlib import ExitStack
from typing import Any

import aiohttp
import pytest

from component.config import HttpConfig
from component.metrics import Metrics
from component.web import live
from component.web.app import build_app
from component.web.health import Health
from component.web.held import (
    GOING_AWAY,
    HELD,
    REPLACED,
    RESERVED_DESCRIPTORS,
    HeldConnections,
    connection_cap,
)
from component.web.visitor_api import VisitorApi
from tests.web.helpers import FakeDatabase
from tests.web.test_live import closed_with, connect, greeted, online_stack, path
from tests.web.test_visitor_api_edges import Client, Stack, bearer, running, start
from tests.web.visitor_app import FakeAvatars


def capped(stack: Stack, **caps: int) -> Stack:
    """The stack's app rebuilt with these caps (HttpConfig fields)."""
    config = dataclasses.replace(HttpConfig(), **caps)

    async def flush() -> None:
        return None

    api = VisitorApi(stack.desk, stack.visitors, stack.store, flush)
    health = Health(lambda: True, FakeDatabase().ping)
    stack.app = build_app(
        config, health=health, metrics=Metrics(), visitor_api=api, avatars=FakeAvatars()
    )
    return stack


async def refused_handshake(client: Client, chat: dict[str, Any]) -> tuple[int, str]:
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await client.ws_connect(path(chat["chat"]))
    return refused.value.status, str(refused.value.message)


async def test_a_new_socket_of_a_chat_closes_its_oldest_past_the_cap() -> None:
    stack = capped(online_stack(), max_sockets_per_chat=2)
    async with running(stack) as client:
        chat = await start(client)
        first = await connect(client, chat)
        await greeted(first)
        second = await connect(client, chat)
        await greeted(second)
        third = await connect(client, chat)
        await greeted(third)
        assert await closed_with(first) == (REPLACED, "replaced by a newer connection")
        stack.desk.operator_wrote_chat("alice@x.test", "acme", 1, "still here")
        for ws in (second, third):
            assert (await ws.receive_json(timeout=2))["text"] == "still here"
        held = stack.app[HELD]
        assert held.sockets_of((1, 1)) == 2
        for ws in (second, third):
            await ws.close()
    assert stack.visitors.subscribed_chats() == 0
    assert stack.app[HELD].total == 0


async def test_a_socket_without_its_token_cannot_push_the_visitors_sockets_out() -> None:
    stack = capped(online_stack(), max_sockets_per_chat=1)
    async with running(stack) as client:
        chat = await start(client)
        own = await connect(client, chat)
        await greeted(own)
        strangers = [await client.ws_connect(path(chat["chat"])) for _ in range(3)]
        for stranger in strangers:
            await stranger.send_json({"type": "hello", "token": "x" * 43, "after": 0})
            assert (await closed_with(stranger))[0] == live.UNAUTHORIZED
        stack.desk.operator_wrote_chat("alice@x.test", "acme", 1, "you are still connected")
        assert (await own.receive_json(timeout=2))["text"] == "you are still connected"
        await own.close()


async def test_one_address_holds_at_most_its_share_of_connections() -> None:
    stack = capped(online_stack(), max_connections_per_ip=2, max_sockets_per_chat=10)
    async with running(stack) as client:
        chat = await start(client)
        sockets = [await connect(client, chat) for _ in range(2)]
        status, _ = await refused_handshake(client, chat)
        assert status == 429
        answer = await client.get(
            f"/api/v1/chats/{chat['chat']}/events?after=9&wait=5", headers=bearer(chat["token"])
        )
        assert answer.status == 429
        assert (await answer.json())["error"]["code"] == "too_many_connections"
        assert answer.headers["Retry-After"]
        await sockets[0].close()
        await asyncio.sleep(0.05)
        again = await connect(client, chat)  # a slot freed is taken again
        await greeted(again)
        for ws in (sockets[1], again):
            await ws.close()


async def test_past_the_cap_of_all_connections_new_ones_are_503_and_nothing_else_changes() -> None:
    stack = capped(online_stack(), max_held_connections=2, max_connections_per_ip=100)
    async with running(stack) as client:
        first, second = await start(client), await start(client)
        held = [await connect(client, first), await connect(client, second)]
        status, _ = await refused_handshake(client, first)
        assert status == 503
        answer = await client.get(
            f"/api/v1/chats/{first['chat']}/events?after=9&wait=5", headers=bearer(first["token"])
        )
        assert answer.status == 503
        assert (await answer.json())["error"]["code"] == "busy"
        # short requests still work: writing, the site info, the health check
        write = await client.post(
            f"/api/v1/chats/{first['chat']}/messages",
            json={"text": "still writing"},
            headers=bearer(first["token"]),
        )
        assert write.status == 202
        assert (await client.get("/api/v1/sites/acme")).status == 200
        for ws in held:
            await ws.close()


async def test_a_long_poll_holds_a_slot_while_it_waits() -> None:
    stack = capped(online_stack(), max_held_connections=1)
    async with running(stack) as client:
        chat = await start(client)
        events = f"/api/v1/chats/{chat['chat']}/events?after=99&wait=1"
        waiting = asyncio.create_task(client.get(events, headers=bearer(chat["token"])))
        await asyncio.sleep(0.2)
        assert stack.app[HELD].total == 1
        status, _ = await refused_handshake(client, chat)
        assert status == 503
        assert (await waiting).status == 200
        assert stack.app[HELD].total == 0


def test_the_cap_of_all_connections_leaves_file_descriptors_for_everything_else() -> None:
    assert connection_cap(None, 1024) == 1024 - RESERVED_DESCRIPTORS
    assert connection_cap(None, 100) >= 1  # a tiny limit still serves someone
    assert connection_cap(50, 1024) == 50
    assert connection_cap(5000, 1024) == 1024 - RESERVED_DESCRIPTORS  # never past the limit


async def test_a_stopping_server_closes_its_live_sockets_at_once_with_going_away() -> None:
    stack = online_stack()
    async with running(stack) as client:
        chats = [await start(client), await start(client)]
        sockets = [await connect(client, chat) for chat in chats]
        for ws in sockets:
            await greeted(ws)
        await stack.app.shutdown()  # what the runner's cleanup runs first
        for ws in sockets:
            code, reason = await closed_with(ws)
            assert (code, reason) == (GOING_AWAY, "the server is stopping; reconnect")


class Socket:
    def __init__(self) -> None:
        self.ended: tuple[int, str] | None = None

    def end(self, code: int, reason: str) -> None:
        self.ended = (code, reason)


def test_a_replaced_socket_that_ends_last_leaves_the_chats_newer_sockets_counted() -> None:
    held = HeldConnections(per_chat=1, per_ip=10, total=10)
    key = (1, 1)
    old, new, newest = Socket(), Socket(), Socket()
    with ExitStack() as old_block:
        old_block.enter_context(held.joined(key, old))
        with held.joined(key, new):  # a reload: the old socket is told to end
            assert old.ended is not None and old.ended[0] == REPLACED
        newest_block = ExitStack()
        newest_block.enter_context(held.joined(key, newest))  # the page reloaded again
    # the old socket's block ended only now (its client was slow to close)
    assert held.sockets_of(key) == 1  # the newest still counts against the chat's cap
    newest_block.close()
    assert held.sockets_of(key) == 0
