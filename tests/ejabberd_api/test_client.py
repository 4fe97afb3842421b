"""The ejabberd API client against a small aiohttp server playing mod_http_api: the arguments
of each command, the credentials sent, the newer API's `groups` tried after a refusal, and every
failure (refused, a 5xx, not JSON, a timeout, nobody listening) an EjabberdApiError that names
the command and never a secret."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import web

from component.config import EjabberdApiConfig
from component.ejabberd_api import EjabberdApi, EjabberdApiError
from component.roster_push import RosterApiError
from devstack.ports import free_port

Handler = Callable[[str, dict[str, Any]], tuple[int, str]]


class FakeEjabberd:
    """Records each call (command, JSON arguments, Authorization header); `answer` decides."""

    def __init__(self) -> None:
        self.port = free_port()
        self.calls: list[tuple[str, dict[str, Any], str]] = []
        self.answer: Handler = lambda command, args: (200, "0")
        self.delay = 0.0
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    async def _handle(self, request: web.Request) -> web.Response:
        command = request.match_info["command"]
        args = json.loads(await request.read())
        self.calls.append((command, args, request.headers.get("Authorization", "")))
        if self.delay:
            await asyncio.sleep(self.delay)
        status, body = self.answer(command, args)
        return web.Response(status=status, text=body, content_type="application/json")

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/api/{command}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


@pytest.fixture
async def server() -> AsyncIterator[FakeEjabberd]:
    fake = FakeEjabberd()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


def client(url: str, **settings: Any) -> EjabberdApi:
    return EjabberdApi(EjabberdApiConfig(url=url, **settings))


async def test_add_rosteritem_sends_ejabberd_23s_arguments(server: FakeEjabberd) -> None:
    await client(server.url).add_rosteritem(
        "alice@example.com", "acme@helpdesk.example.com", "Acme Inc.", "HelperChat"
    )
    assert server.calls == [
        (
            "add_rosteritem",
            {
                "localuser": "alice",
                "localhost": "example.com",
                "user": "acme",
                "host": "helpdesk.example.com",
                "nick": "Acme Inc.",
                "group": "HelperChat",
                "subs": "both",
            },
            "",
        )
    ]


async def test_an_api_refusing_those_arguments_gets_groups_as_a_list(server: FakeEjabberd) -> None:
    def newer(command: str, args: dict[str, Any]) -> tuple[int, str]:
        if "group" in args:
            return 400, '"Request have unknown arguments: [group]"'
        return 200, "0"

    server.answer = newer
    await client(server.url).add_rosteritem("a@example.com", "acme@hd.example.com", "A", "G")
    assert [args.get("groups") for _, args, _ in server.calls] == [None, ["G"]]


async def test_delete_and_get_roster(server: FakeEjabberd) -> None:
    roster = '[{"jid": "acme@hd.example.com", "subscription": "both"}]'
    server.answer = lambda command, args: (200, roster if command == "get_roster" else "0")
    api = client(server.url)
    await api.delete_rosteritem("a@example.com", "acme@hd.example.com")
    assert await api.get_roster("a@example.com") == [
        {"jid": "acme@hd.example.com", "subscription": "both"}
    ]
    assert [(c, a) for c, a, _ in server.calls] == [
        (
            "delete_rosteritem",
            {
                "localuser": "a",
                "localhost": "example.com",
                "user": "acme",
                "host": "hd.example.com",
            },
        ),
        ("get_roster", {"user": "a", "host": "example.com"}),
    ]


async def test_basic_auth_and_token_are_sent_and_never_shown(server: FakeEjabberd) -> None:
    server.answer = lambda command, args: (401, '{"message": "You are not authorized"}')
    with pytest.raises(EjabberdApiError) as basic:
        await client(server.url, user="admin@example.com", password="pa55word").delete_rosteritem(
            "a@example.com", "acme@hd.example.com"
        )
    with pytest.raises(EjabberdApiError) as token:
        await client(server.url, token="t0ken-secret").delete_rosteritem(
            "a@example.com", "acme@hd.example.com"
        )
    sent = [auth for _, _, auth in server.calls]
    assert sent == [
        "Basic " + base64.b64encode(b"admin@example.com:pa55word").decode(),
        "Bearer t0ken-secret",
    ]
    for caught in (basic, token):
        text = str(caught.value)
        assert "delete_rosteritem: HTTP 401" in text and "not authorized" in text
        assert "pa55word" not in text and "t0ken-secret" not in text
        assert isinstance(caught.value, RosterApiError)


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (500, '"internal_error"', "add_rosteritem: HTTP 500"),
        (403, '{"message": "AccessRules: Account does not have the right"}', "HTTP 403"),
        (200, "1", "add_rosteritem: ejabberd answered 1"),
        (200, "<html>", "add_rosteritem: not JSON"),
        (400, '"Request have missing argument: nick"', "HTTP 400"),  # both forms refused
    ],
)
async def test_a_failure_names_the_command_and_why(
    server: FakeEjabberd, status: int, body: str, reason: str
) -> None:
    server.answer = lambda command, args: (status, body)
    with pytest.raises(EjabberdApiError) as caught:
        await client(server.url).add_rosteritem("a@example.com", "acme@hd.example.com", "A", "G")
    assert reason in str(caught.value)


async def test_a_slow_api_times_out(server: FakeEjabberd) -> None:
    server.delay = 2.0
    with pytest.raises(EjabberdApiError, match=r"did not answer in 0\.3 s"):
        await client(server.url, timeout=0.3).delete_rosteritem("a@example.com", "d@hd.example.com")


async def test_nobody_listening_is_unreachable() -> None:
    url = f"http://127.0.0.1:{free_port()}/api"
    with pytest.raises(EjabberdApiError, match="unreachable"):
        await client(url).delete_rosteritem("a@example.com", "d@hd.example.com")


async def test_a_jid_that_is_not_bare_is_refused_before_anything_is_sent(
    server: FakeEjabberd,
) -> None:
    with pytest.raises(EjabberdApiError, match="not a bare JID"):
        await client(server.url).delete_rosteritem("no-at-sign", "d@hd.example.com")
    assert server.calls == []
