"""A widget resuming with an `after` older than its chat's event log still holds (the cap dropped
those events) gets every event after it, in order, none twice (§7.1), over the long poll and the
WebSocket, for an open chat (the desk's transcript) and a closed one (the archive)."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from component.chat_events import ChatEvents, shown_on_web
from tests.unit.fakes import ALICE
from tests.web.test_live import connect, online_stack, receive
from tests.web.test_visitor_api_edges import Client, Stack, bearer, running, start

CAP = 5
SAID = 12  # the operator's messages: with the visitor's first one and `operator`, 14 events


async def a_long_chat(stack: Stack, client: Client, closed: bool) -> dict[str, Any]:
    """Chat acme.1: more kept events than the log's cap; closed by its visitor if `closed`."""
    chat = await start(client, text="hi there")
    for n in range(SAID):
        stack.desk.operator_wrote_chat(ALICE.jid, "acme", 1, f"answer {n}")
    if closed:
        answer = await client.post(
            f"/api/v1/chats/{chat['chat']}/close", headers=bearer(chat["token"])
        )
        assert answer.status == 204
    return chat


def capped_stack() -> Stack:
    stack = online_stack()
    stack.visitors.events = ChatEvents(cap=CAP)
    return stack


def every_seq(stack: Stack) -> list[int]:
    """The seqs of every kept event of chat acme.1 (the archive holds every message)."""
    messages = stack.store.archive.messages
    closed = [] if stack.desk.chats.get(1, 1) is not None else [messages[-1].seq + 1]
    return [m.seq for m in messages if shown_on_web(m)] + closed


async def long_polled(client: Client, chat: dict[str, Any], after: int) -> list[dict[str, Any]]:
    """Every event after `after`, asking again after the last seq got until none come."""
    got: list[dict[str, Any]] = []
    for _ in range(100):
        answer = await client.get(
            f"/api/v1/chats/{chat['chat']}/events?after={after}&wait=0",
            headers=bearer(chat["token"]),
        )
        assert answer.status == 200
        found = (await answer.json())["events"]
        if not found:
            return got
        assert len(found) <= CAP  # each answer bounded
        got += found
        after = found[-1]["seq"]
    raise AssertionError("the events never ended")


def seqs(events: list[dict[str, Any]]) -> list[int]:
    return [e["seq"] for e in events]


@pytest.mark.parametrize("closed", [False, True], ids=["open", "closed"])
async def test_a_long_poll_from_before_the_cap_misses_nothing(closed: bool) -> None:
    stack = capped_stack()
    async with running(stack) as client:
        chat = await a_long_chat(stack, client, closed)
        log = stack.visitors.events.log((1, 1))
        assert log is not None and len(log.events) == CAP  # the cap dropped the oldest
        expected = every_seq(stack)
        assert len(expected) > 2 * CAP
        for after in (0, 1, expected[3]):
            got = await long_polled(client, chat, after)
            assert seqs(got) == [s for s in expected if s > after], after
        first = (await long_polled(client, chat, 0))[0]
        assert (first["type"], first["text"]) == ("message", "hi there")
        log = stack.visitors.events.log((1, 1))
        assert log is not None and len(log.events) <= CAP  # the log did not grow


@pytest.mark.parametrize("closed", [False, True], ids=["open", "closed"])
async def test_a_websocket_from_before_the_cap_misses_nothing(closed: bool) -> None:
    stack = capped_stack()
    async with running(stack) as client:
        chat = await a_long_chat(stack, client, closed)
        expected = every_seq(stack)
        ws = await connect(client, chat, after=0)
        got = [await receive(ws) for _ in expected]
        assert seqs(got) == expected
        if closed:
            assert got[-1]["type"] == "closed"
            message = await ws.receive(2.0)
            assert message.type is aiohttp.WSMsgType.CLOSE
        else:  # then the live ones
            stack.desk.operator_wrote_chat(ALICE.jid, "acme", 1, "still here")
            assert (await receive(ws))["text"] == "still here"
            await ws.close()


async def test_events_arriving_while_the_websocket_catches_up_come_once_in_order() -> None:
    stack = capped_stack()
    async with running(stack) as client:
        chat = await a_long_chat(stack, client, closed=False)
        before = every_seq(stack)
        ws = await connect(client, chat, after=0)
        got = [await receive(ws)]
        for n in range(CAP + 2):  # more than the cap: the log drops again meanwhile
            stack.desk.operator_wrote_chat(ALICE.jid, "acme", 1, f"meanwhile {n}")
        expected = every_seq(stack)
        assert len(expected) == len(before) + CAP + 2
        got += [await receive(ws) for _ in expected[1:]]
        assert seqs(got) == expected
        assert [e["text"] for e in got[-(CAP + 2) :]] == [f"meanwhile {n}" for n in range(CAP + 2)]
        await ws.close()


async def test_a_log_capped_by_its_text_still_gives_every_event_in_order() -> None:
    stack = online_stack()
    stack.visitors.events = ChatEvents(max_chars=40)  # about four of the operator's answers
    async with running(stack) as client:
        chat = await a_long_chat(stack, client, closed=False)
        log = stack.visitors.events.log((1, 1))
        assert log is not None and log.chars <= 40 and 0 < len(log.events) < SAID
        expected = every_seq(stack)
        answer = await client.get(
            f"/api/v1/chats/{chat['chat']}/events?after=0&wait=0", headers=bearer(chat["token"])
        )
        assert seqs((await answer.json())["events"]) == expected  # one page from the history
        ws = await connect(client, chat, after=0)
        assert seqs([await receive(ws) for _ in expected]) == expected
        stack.desk.operator_wrote_chat(ALICE.jid, "acme", 1, "still here")
        assert (await receive(ws))["text"] == "still here"
        await ws.close()
        log = stack.visitors.events.log((1, 1))
        assert log is not None and log.chars <= 40  # reading did not grow it
