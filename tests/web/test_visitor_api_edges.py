"""The visitor API at its limits, over the real WebVisitors and a desk of fakes."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from component.addresses import Addresses
from component.config import HttpConfig
from component.desk.helpdesk import HelpDesk
from component.desk.state import PRESENCE_SETTLE_SECONDS, DeskState
from component.directory import Directory
from component.locales import shipped_catalogue
from component.metrics import Metrics
from component.models import Show, VisitorKind
from component.web.app import build_app
from component.web.health import Health
from component.web.visitor_api import VisitorApi
from component.web.visitors import WebVisitors
from component.xmpp.jids import normalize_bare_jid
from component.xmpp.visitors import XmppVisitors
from tests.unit.fakes import (
    ACME,
    ALICE,
    DOMAIN,
    GLOBEX,
    Clock,
    FakeArchive,
    FakeOut,
    FakeTranscripts,
)
from tests.web.helpers import FakeDatabase, serve
from tests.web.visitor_app import FakeAvatars, FakeWebChatStore, notify_api


@dataclass
class Stack:
    desk: HelpDesk
    visitors: WebVisitors
    store: FakeWebChatStore
    clock: Clock
    app: web.Application


def make_stack(store: FakeWebChatStore | None = None) -> Stack:
    out, archive, clock = FakeOut(), FakeArchive(), Clock()
    visitors = WebVisitors(clock)
    addresses = Addresses(DOMAIN)
    desk = HelpDesk(
        DeskState(
            catalogue=shipped_catalogue(),
            addresses=addresses,
            archive=archive,
            out=out,
            transcripts=FakeTranscripts(),
            visitors={VisitorKind.XMPP: XmppVisitors(out, addresses), VisitorKind.WEB: visitors},
            clock=clock,
            rng=random.Random(7),
            max_body_chars=1000,
            jid_form=normalize_bare_jid,
        )
    )
    desk.apply_directory(Directory([ACME, GLOBEX], (ALICE,)))
    desk.on_connected()
    clock.advance(PRESENCE_SETTLE_SECONDS)
    desk.on_tick()

    store = store or FakeWebChatStore()
    store.archive = archive
    visitors.attach(desk, store.web_history, None)

    async def flush() -> None:
        return None

    api = VisitorApi(desk, visitors, store, flush)
    health = Health(lambda: True, FakeDatabase().ping)
    notify, _ = notify_api(desk, clock)
    app = build_app(
        HttpConfig(),
        health=health,
        metrics=Metrics(),
        visitor_api=api,
        avatars=FakeAvatars(),
        notify=notify,
    )
    return Stack(desk, visitors, store, clock, app)


Client = TestClient[web.Request, web.Application]


@asynccontextmanager
async def running(stack: Stack) -> AsyncIterator[Client]:
    async with serve(stack.app) as client:
        yield client


async def start(client: Client, slug: str = "acme", **body: Any) -> dict[str, Any]:
    answer = await client.post(f"/api/v1/sites/{slug}/chats", json={"text": "hello", **body})
    assert answer.status == 201, await answer.text()
    return dict(await answer.json())


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def raw_get(client: Client, path: str, header: bytes) -> bytes:
    reader, writer = await asyncio.open_connection(client.server.host, client.server.port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\n".encode() + header + b"\r\n")
    writer.write(b"Connection: close\r\n\r\n")
    await writer.drain()
    answer = await reader.read()
    writer.close()
    return answer


async def test_a_deeply_nested_body_is_bad_json_not_a_500() -> None:
    async with running(make_stack()) as client:
        answer = await client.post(
            "/api/v1/sites/acme/chats",
            data='{"text": ' + "[" * 30_000 + "]" * 30_000 + "}",
            headers={"Content-Type": "application/json"},
        )
        assert answer.status == 400
        assert (await answer.json())["error"]["code"] == "bad_json"


async def test_a_bearer_token_of_raw_bytes_is_unauthorized_not_a_500() -> None:
    stack = make_stack()
    async with running(stack) as client:
        chat = await start(client)
        answer = await raw_get(
            client, f"/api/v1/chats/{chat['chat']}/events", b"Authorization: Bearer \xff\xfe"
        )
        assert answer.startswith(b"HTTP/1.1 401 "), answer[:200]


@pytest.mark.parametrize("after", ["%D9%A3", "1_0", "+1", "%201"])
async def test_after_is_plain_ascii_digits(after: str) -> None:
    async with running(make_stack()) as client:
        chat = await start(client)
        answer = await client.get(
            f"/api/v1/chats/{chat['chat']}/events?after={after}", headers=bearer(chat["token"])
        )
        assert answer.status == 400


async def test_a_chat_whose_token_could_not_be_stored_does_not_stay_open() -> None:
    stack = make_stack(FakeWebChatStore(failure=RuntimeError("database gone")))
    stack.desk.presence_available(ALICE.jid, "acme", "res", Show.AVAILABLE, "", 0, None)
    async with running(stack) as client:
        answer = await client.post("/api/v1/sites/acme/chats", json={"text": "hello"})
        assert answer.status == 500  # the visitor never got a token for it
    # ...yet Alice holds chat acme.1 (a slot of hers taken) that nobody can write to or close
    assert stack.desk.chats.get(ACME.id, 1) is None


async def test_the_closed_event_is_still_there_after_the_grace_period() -> None:
    # §7.1: `closed` is a kept event (the chat's archive). After CLOSED_GRACE_SECONDS (and any
    # other chat closing), a widget that reconnects gets no event at all and long-polls forever.
    stack = make_stack()
    async with running(stack) as client:
        first, second = await start(client), await start(client)
        await client.post(f"/api/v1/chats/{first['chat']}/close", headers=bearer(first["token"]))
        stack.clock.advance(3600)
        await client.post(f"/api/v1/chats/{second['chat']}/close", headers=bearer(second["token"]))
        answer = await client.get(
            f"/api/v1/chats/{first['chat']}/events?after=0&wait=0.2", headers=bearer(first["token"])
        )
        assert answer.status == 200
        assert [e["type"] for e in (await answer.json())["events"]][-1:] == ["closed"]
