"""A visitor's request racing the chat's close: the check of the chat and the write are one step.

The token is looked up (an await) and the body read (another) before the desk is called; an
operator may close the chat in between. What arrives then is refused with 409 `closed` and opens
nothing: no new chat, nothing archived, no slot of the operator taken.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
from aiohttp import WSMsgType

from component.models import ChatState, Sender, Show
from tests.unit.fakes import ACME, ALICE
from tests.web.test_visitor_api_edges import Stack, bearer, make_stack, running, start
from tests.web.visitor_app import FakeWebChatStore


class ClosingStore(FakeWebChatStore):
    """Runs `meanwhile` once, while a token is being looked up (as the database is awaited);
    `looked_up` is set once a token was."""

    meanwhile: Callable[[], None] | None = None
    looked_up: asyncio.Event | None = None

    async def token_hash_of(self, site_id: int, number: int) -> str | None:
        found = await super().token_hash_of(site_id, number)
        action, self.meanwhile = self.meanwhile, None
        if action is not None:
            action()
        if self.looked_up is not None:
            self.looked_up.set()
        return found


async def body_after(
    store: ClosingStore, action: Callable[[], None], text: str
) -> AsyncIterator[bytes]:
    """A JSON body whose end is sent only once the token was checked and `action` ran: the
    handler is reading the body by then."""
    yield b'{"text": '
    assert store.looked_up is not None
    await store.looked_up.wait()
    await asyncio.sleep(0.05)
    action()
    yield f'"{text}"}}'.encode()


def closing_stack() -> tuple[Stack, ClosingStore]:
    store = ClosingStore()
    stack = make_stack(store)
    stack.desk.presence_available(ALICE.jid, "acme", "res", Show.AVAILABLE, "", 0, None)
    return stack, store


def close_by_alice(stack: Stack) -> Callable[[], None]:
    def close() -> None:
        entry = stack.desk.chats.get(ACME.id, 1)
        assert entry is not None and entry.chat.state is ChatState.ASSIGNED
        operator = stack.desk.directory.operator(ACME.id, ALICE.jid)
        assert operator is not None
        stack.desk.close_chat(ACME, operator, entry)

    return close


def assert_nothing_opened(stack: Stack, archived_before: int) -> None:
    assert len(stack.desk.chats) == 0, "a chat was opened for a visitor whose chat had closed"
    assert stack.desk.chats.open_count(ACME.id, ALICE.jid) == 0
    archive = stack.desk.state.archive
    later = archive.messages[archived_before:]  # type: ignore[attr-defined]
    assert not [m for m in later if m.sender is Sender.VISITOR]


async def test_a_message_arriving_after_the_operator_closed_is_409_and_opens_nothing() -> None:
    stack, store = closing_stack()
    async with running(stack) as client:
        chat = await start(client)
        archived = len(stack.desk.state.archive.messages)  # type: ignore[attr-defined]
        store.looked_up = asyncio.Event()
        answer = await client.post(
            f"/api/v1/chats/{chat['chat']}/messages",
            data=body_after(store, close_by_alice(stack), "one more thing"),
            headers={**bearer(chat["token"]), "Content-Type": "application/json"},
        )
        assert answer.status == 409, await answer.text()
        assert (await answer.json())["error"]["code"] == "closed"
    assert_nothing_opened(stack, archived)


@pytest.mark.parametrize("closed_first", [False, True])
async def test_typing_in_a_chat_that_closed_is_409(closed_first: bool) -> None:
    stack, store = closing_stack()
    async with running(stack) as client:
        chat = await start(client)
        if closed_first:
            close_by_alice(stack)()
        else:
            store.meanwhile = close_by_alice(stack)
        answer = await client.post(
            f"/api/v1/chats/{chat['chat']}/typing",
            json={"state": "composing"},
            headers=bearer(chat["token"]),
        )
        assert answer.status == 409, await answer.text()
        assert (await answer.json())["error"]["code"] == "closed"
    assert len(stack.desk.chats) == 0


async def test_a_frame_after_the_close_over_the_websocket_opens_nothing() -> None:
    stack, _ = closing_stack()
    async with running(stack) as client:
        chat = await start(client)
        socket = await client.ws_connect(f"/api/v1/chats/{chat['chat']}/live")
        await socket.send_json({"type": "hello", "token": chat["token"], "after": 0})
        close_by_alice(stack)()
        await socket.send_json({"type": "message", "text": "are you there?"})
        kinds = []
        async for frame in socket:
            if frame.type is not WSMsgType.TEXT:
                break
            kinds.append(frame.json()["type"])
        assert kinds[-1] == "closed"
        await socket.close()
    assert len(stack.desk.chats) == 0
