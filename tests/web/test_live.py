"""The visitor API's WebSocket (§7.1) over the real WebVisitors and VisitorApi, a desk of fakes."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from component.chat_events import CLOSED_GRACE_SECONDS
from component.config import RateConfig, RateLimitsConfig
from component.directory import Directory
from component.models import Show, Typing
from component.visitor_limits import VisitorLimits
from component.web import live
from component.web.ratelimits import RATE_LIMITS, RateLimits
from tests.unit.fakes import ACME, ALICE, GLOBEX, FakeOut
from tests.web.helpers import serve
from tests.web.test_visitor_api_edges import Client, Stack, bearer, make_stack, running, start
from tests.web.visitor_app import ACME_ORIGIN, visitor_world

WS = aiohttp.ClientWebSocketResponse


def online_stack() -> Stack:
    stack = make_stack()
    stack.desk.presence_available(ALICE.jid, "acme", "res", Show.AVAILABLE, "", 0, None)
    return stack


def path(chat: str) -> str:
    return f"/api/v1/chats/{chat}/live"


async def connect(client: Client, chat: dict[str, Any], after: int = 0) -> WS:
    ws = await client.ws_connect(path(chat["chat"]))
    await ws.send_json({"type": "hello", "token": chat["token"], "after": after})
    return ws


async def receive(ws: WS, timeout: float = 2.0) -> dict[str, Any]:
    message = await ws.receive(timeout)
    assert message.type is aiohttp.WSMsgType.TEXT, message
    return dict(message.json())


async def nothing_more(ws: WS) -> None:
    with pytest.raises(asyncio.TimeoutError):
        await ws.receive(0.2)


async def greeted(ws: WS) -> None:
    """The start of an assigned chat: the visitor's first message, then who answers it."""
    assert [(await receive(ws))["type"] for _ in range(2)] == ["message", "operator"]


async def closed_with(ws: WS) -> tuple[int | None, str]:
    message = await ws.receive(2.0)
    assert message.type is aiohttp.WSMsgType.CLOSE, message
    return ws.close_code, str(message.extra)


async def test_hello_sends_the_chats_events_then_live_ones() -> None:
    stack = online_stack()
    async with running(stack) as client:
        chat = await start(client, text="hi there")
        ws = await connect(client, chat)
        first = await receive(ws)
        assert (first["seq"], first["type"], first["from"], first["text"]) == (
            1,
            "message",
            "visitor",
            "hi there",
        )
        assert (await receive(ws))["name"] == ALICE.name
        await nothing_more(ws)
        stack.desk.operator_wrote_chat(ALICE.jid, "acme", 1, "hello, Alice here")
        answer = await receive(ws)
        assert (answer["type"], answer["from"], answer["text"], answer["operator"]) == (
            "message",
            "operator",
            "hello, Alice here",
            ALICE.name,
        )
        assert answer["seq"] > 1
        stack.desk.signals.operator_typing(ALICE.jid, "acme", 1, Typing.COMPOSING)
        typing = await receive(ws)
        assert (typing["type"], typing["state"], typing["seq"]) == (
            "typing",
            "composing",
            answer["seq"],
        )
        await ws.close()


async def test_an_offer_of_permessage_deflate_is_declined() -> None:
    """Browsers offer it; accepted, its zlib state would be most of an open widget's memory."""
    stack = online_stack()
    async with running(stack) as client:
        chat = await start(client, text="hi there")
        ws = await client.ws_connect(path(chat["chat"]), compress=15)
        assert ws.compress == 0  # the server's answer agreed to no extension
        await ws.send_json({"type": "hello", "token": chat["token"], "after": 0})
        first = await receive(ws)
        assert (first["type"], first["text"]) == ("message", "hi there")
        await ws.close()


async def test_resuming_with_after_sends_only_later_events_and_nothing_twice() -> None:
    stack = online_stack()
    async with running(stack) as client:
        chat = await start(client)
        posted = await client.post(
            f"/api/v1/chats/{chat['chat']}/messages",
            json={"text": "second"},
            headers=bearer(chat["token"]),
        )
        second = (await posted.json())["seq"]
        ws = await connect(client, chat, after=2)  # the message, who answers it
        event = await receive(ws)
        assert (event["seq"], event["text"]) == (second, "second")
        await nothing_more(ws)
        await ws.close()
        stack.desk.operator_wrote_chat(ALICE.jid, "acme", 1, "while you were away")
        ws = await connect(client, chat, after=second)
        event = await receive(ws)
        assert event["seq"] > second and event["text"] == "while you were away"
        await nothing_more(ws)
        await ws.close()


@pytest.mark.parametrize(
    "hello",
    [
        {"type": "message", "text": "hi"},
        {"type": "hello", "token": "x", "after": -1},
        {"type": "hello", "token": "x", "after": "1"},
        {"type": "hello", "token": "x", "after": True},
        {"type": "hello", "token": "x", "extra": 1},
        [1, 2],
        "not json",
    ],
)
async def test_a_bad_hello_closes_with_4400(hello: Any) -> None:
    async with running(online_stack()) as client:
        chat = await start(client)
        ws = await client.ws_connect(path(chat["chat"]))
        if isinstance(hello, str):
            await ws.send_str(hello)
        else:
            await ws.send_json(hello)
        code, _ = await closed_with(ws)
        assert code == live.BAD_FRAME


async def test_a_binary_hello_closes_with_4400() -> None:
    async with running(online_stack()) as client:
        chat = await start(client)
        ws = await client.ws_connect(path(chat["chat"]))
        await ws.send_bytes(b'{"type": "hello"}')
        assert (await closed_with(ws))[0] == live.BAD_FRAME


async def test_no_hello_in_time_closes_with_4408(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live, "HELLO_SECONDS", 0.2)
    async with running(online_stack()) as client:
        chat = await start(client)
        ws = await client.ws_connect(path(chat["chat"]))
        code, reason = await closed_with(ws)
        assert (code, reason) == (live.HELLO_TIMEOUT, "no hello in time")


async def test_a_wrong_token_is_4401_and_another_chats_token_4403() -> None:
    stack = online_stack()
    async with running(stack) as client:
        first, second = await start(client), await start(client)
        for token, code in [
            ("nope", live.UNAUTHORIZED),
            ("", live.UNAUTHORIZED),
            (second["token"], live.FORBIDDEN),
        ]:
            ws = await connect(client, {"chat": first["chat"], "token": token})
            assert (await closed_with(ws))[0] == code
        assert stack.visitors.subscribed_chats() == 0


async def test_an_unknown_chat_or_site_is_404_before_the_handshake() -> None:
    async with running(online_stack()) as client:
        for chat in ("nope.1", "acme.x"):
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await client.ws_connect(path(chat))
            assert refused.value.status == 404


async def test_the_handshake_is_refused_to_origins_not_of_the_site() -> None:
    vw = visitor_world()
    async with serve(vw.app) as client:
        r = await client.post("/api/v1/sites/acme/chats", json={"text": "hi"})
        chat = await r.json()
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await client.ws_connect(path(chat["chat"]), origin="https://evil.test")
        assert refused.value.status == 403
        ws = await client.ws_connect(path(chat["chat"]), origin=ACME_ORIGIN)
        await ws.send_json({"type": "hello", "token": chat["token"], "after": 0})
        assert (await receive(ws))["text"] == "hi"
        await ws.close()


async def test_message_and_typing_frames_reach_the_operator() -> None:
    stack = online_stack()
    out = stack.desk.state.out
    assert isinstance(out, FakeOut)
    async with running(stack) as client:
        chat = await start(client)
        ws = await connect(client, chat)
        await greeted(ws)
        out.take()
        await ws.send_json({"type": "message", "text": "where is my parcel?"})
        own = await receive(ws)
        assert (own["from"], own["text"]) == ("visitor", "where is my parcel?")
        assert own["seq"] > 1
        assert [s.body for s in out.take() if s.recipient == ALICE.jid] == ["where is my parcel?"]
        await ws.send_json({"type": "typing", "state": "composing"})
        await ws.send_json({"type": "page", "url": "https://shop.acme.test/checkout"})
        await nothing_more(ws)  # page frames are checked, not answered
        assert [(to, state) for _, to, state in out.states] == [(ALICE.jid, Typing.COMPOSING)]
        assert out.take() == []
        await ws.close()


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("{", "bad_json"),
        ("[]", "bad_json"),
        ('{"type": "hello", "token": "x"}', "invalid"),
        ('{"type": "shout", "text": "x"}', "invalid"),
        ('{"type": "message"}', "invalid"),
        ('{"type": "message", "text": 5}', "invalid"),
        ('{"type": "message", "text": "x", "to": "y"}', "invalid"),
        ('{"type": "message", "text": "   "}', "empty_message"),
        ('{"type": "message", "text": "' + "x" * 1001 + '"}', "too_large"),
        ('{"type": "typing", "state": "gone"}', "invalid"),
        ('{"type": "page"}', "invalid"),
        ('{"type": "page", "url": "' + "x" * 2001 + '"}', "invalid"),
    ],
)
async def test_a_bad_frame_gets_an_error_frame_and_the_socket_stays_open(
    frame: str, code: str
) -> None:
    stack = online_stack()
    async with running(stack) as client:
        chat = await start(client)
        ws = await connect(client, chat)
        await greeted(ws)
        await ws.send_str(frame)
        error = await receive(ws)
        assert error["type"] == "error" and error["error"]["code"] == code, error
        assert isinstance(error["error"]["message"], str)
        await ws.send_json({"type": "message", "text": "still here"})
        assert (await receive(ws))["text"] == "still here"
        await ws.close()


async def test_a_binary_frame_gets_an_error_frame() -> None:
    async with running(online_stack()) as client:
        chat = await start(client)
        ws = await connect(client, chat)
        await greeted(ws)
        await ws.send_bytes(b"{}")
        assert (await receive(ws))["error"]["code"] == "bad_frame"
        await ws.close()


async def test_message_frames_are_rate_limited_like_post_messages() -> None:
    stack = online_stack()
    one = RateConfig(count=2, per_seconds=3600.0)
    limits = RateLimitsConfig(messages_per_ip=one, messages_per_chat=one)
    stack.app[RATE_LIMITS] = RateLimits(VisitorLimits(limits, stack.clock))
    async with running(stack) as client:
        chat = await start(client)
        ws = await connect(client, chat)
        await greeted(ws)
        await ws.send_json({"type": "message", "text": "one"})
        assert (await receive(ws))["text"] == "one"
        posted = await client.post(
            f"/api/v1/chats/{chat['chat']}/messages",
            json={"text": "two"},
            headers=bearer(chat["token"]),
        )
        assert posted.status == 202  # the same buckets as POST messages
        assert (await receive(ws))["text"] == "two"
        await ws.send_json({"type": "message", "text": "three"})
        error = (await receive(ws))["error"]
        assert error["code"] == "rate_limited" and error["retry_after"] > 0
        await nothing_more(ws)
        await ws.close()
    archived = stack.store.archive.messages
    assert [m.body for m in archived if m.sender.value == "visitor"] == ["hello", "one", "two"]


async def test_a_closed_chat_sends_closed_then_the_server_closes() -> None:
    stack = online_stack()
    async with running(stack) as client:
        chat = await start(client)
        ws = await connect(client, chat)
        await greeted(ws)
        await client.post(f"/api/v1/chats/{chat['chat']}/close", headers=bearer(chat["token"]))
        closed = await receive(ws)
        assert closed["type"] == "closed"
        assert (await closed_with(ws))[0] == live.CHAT_CLOSED
        # a widget coming back gets `closed` again, then the close
        ws = await connect(client, chat)
        assert [(await receive(ws))["type"] for _ in range(3)] == ["message", "operator", "closed"]
        assert (await closed_with(ws))[0] == live.CHAT_CLOSED
        ws = await connect(client, chat, after=closed["seq"])
        assert (await closed_with(ws))[0] == live.CHAT_CLOSED  # nothing twice
    assert stack.visitors.subscribed_chats() == 0


async def test_a_closed_chat_whose_log_is_gone_is_rebuilt_from_the_archive() -> None:
    stack = online_stack()
    async with running(stack) as client:
        first, second = await start(client), await start(client)
        await client.post(f"/api/v1/chats/{first['chat']}/close", headers=bearer(first["token"]))
        stack.clock.advance(3600)
        await client.post(f"/api/v1/chats/{second['chat']}/close", headers=bearer(second["token"]))
        assert stack.visitors.events.log((ACME.id, 1)) is None
        ws = await connect(client, first)
        assert [(await receive(ws))["type"] for _ in range(3)] == ["message", "operator", "closed"]
        assert (await closed_with(ws))[0] == live.CHAT_CLOSED


async def test_the_subscription_goes_when_the_client_disconnects() -> None:
    stack = online_stack()
    async with running(stack) as client:
        chats = [await start(client) for _ in range(3)]
        sockets = [await connect(client, chat) for chat in chats]
        for ws in sockets:
            await receive(ws)
        assert stack.visitors.subscribed_chats() == 3
        for ws in sockets:
            await ws.close()
        for _ in range(50):
            if stack.visitors.subscribed_chats() == 0:
                break
            await asyncio.sleep(0.02)
        assert stack.visitors.subscribed_chats() == 0


async def test_a_client_too_slow_for_its_queue_is_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live, "QUEUE_LIMIT", 1)
    stack = online_stack()
    async with running(stack) as client:
        chat = await start(client)
        ws = await connect(client, chat)
        await greeted(ws)
        for n in range(3):  # one burst, before the socket's sender runs
            stack.desk.operator_wrote_chat(ALICE.jid, "acme", 1, f"line {n}")
        messages = []
        while (message := await ws.receive(2.0)).type is aiohttp.WSMsgType.TEXT:
            messages.append(message.json())
        assert message.type is aiohttp.WSMsgType.CLOSE and ws.close_code == live.TOO_SLOW
        # reconnecting after the last seq it got, it misses nothing
        last = messages[-1]["seq"] if messages else 2
        ws = await connect(client, chat, after=last)
        rest = [await receive(ws) for _ in range(3 - len(messages))]
        assert [m["text"] for m in messages + rest] == ["line 0", "line 1", "line 2"]
        await ws.close()
    assert stack.visitors.subscribed_chats() == 0


async def test_a_plain_get_is_a_json_400_not_a_websocket() -> None:
    async with running(online_stack()) as client:
        chat = await start(client)
        answer = await client.get(path(chat["chat"]))
        assert answer.status == 400
        assert "error" in await answer.json()


async def test_typing_frames_count_per_address_like_post_typing() -> None:
    stack = online_stack()
    out = stack.desk.state.out
    assert isinstance(out, FakeOut)
    limits = RateLimitsConfig(requests_per_ip=RateConfig(count=4, per_seconds=3600.0))
    stack.app[RATE_LIMITS] = RateLimits(VisitorLimits(limits, stack.clock))
    async with running(stack) as client:
        chat = await start(client)  # one request, the handshake a second
        ws = await connect(client, chat)
        await greeted(ws)
        out.states.clear()
        for state in ("composing", "paused", "composing", "paused"):
            await ws.send_json({"type": "typing", "state": state})
        error = (await receive(ws))["error"]  # the third frame is one too many
        assert error["code"] == "rate_limited" and error["retry_after"] > 0
        await ws.close()
    assert [state for _, _, state in out.states] == [Typing.COMPOSING, Typing.PAUSED]


async def test_a_deleted_sites_chats_end_for_their_visitors_and_their_logs_go() -> None:
    stack = online_stack()
    async with running(stack) as client:
        chat = await start(client)
        ws = await connect(client, chat)
        await greeted(ws)
        stack.desk.apply_directory(Directory([GLOBEX], ()))  # acme is deleted
        assert (await receive(ws))["type"] == "closed"
        assert (await closed_with(ws))[0] == live.CHAT_CLOSED
        stack.clock.advance(CLOSED_GRACE_SECONDS)
        other = await start(client, slug="globex")  # a later close sweeps the old logs
        await client.post(f"/api/v1/chats/{other['chat']}/close", headers=bearer(other["token"]))
    assert stack.visitors.events.log((ACME.id, 1)) is None
    assert stack.visitors.subscribed_chats() == 0


async def test_a_failure_while_sending_closes_with_1011_and_the_subscription_goes(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    stack = online_stack()
    async with running(stack) as client:
        chat = await start(client)
        ws = await connect(client, chat)
        await greeted(ws)  # the sender caught up and waits for the next wake-up

        async def broken(*args: object) -> list[object]:
            raise RuntimeError("the history cannot be read")

        monkeypatch.setattr(stack.visitors, "events_after", broken)
        stack.desk.operator_wrote_chat(ALICE.jid, "acme", 1, "hello")
        assert (await closed_with(ws))[0] == live.INTERNAL
    assert stack.visitors.subscribed_chats() == 0
    assert "the live WebSocket of a chat failed" in caplog.text


async def test_every_burst_after_an_idle_spell_is_sent() -> None:
    stack = online_stack()
    async with running(stack) as client:
        chat = await start(client)
        ws = await connect(client, chat)
        await greeted(ws)
        for burst in range(3):
            await nothing_more(ws)  # idle: the sender has nothing to send
            for n in range(2):
                stack.desk.operator_wrote_chat(ALICE.jid, "acme", 1, f"burst {burst} line {n}")
            texts = [(await receive(ws))["text"] for _ in range(2)]
            assert texts == [f"burst {burst} line 0", f"burst {burst} line 1"]
        await ws.close()
    assert stack.visitors.subscribed_chats() == 0
