"""The running app holds to component/web/openapi.json: every route is documented and every
documented operation answers, for valid and invalid requests, as documented (status, body)."""

from __future__ import annotations

from typing import Any

import aiohttp
import jsonschema_rs
import pytest

from component.config import HttpConfig, RateConfig, RateLimitsConfig
from component.models import Receipt, Show, Typing
from component.web.openapi import PATH, description
from tests.unit.fakes import ALICE
from tests.web.helpers import serve
from tests.web.openapi_check import DOC, documented_answer, schema_check
from tests.web.test_visitor_api_edges import Client, Stack, bearer, make_stack, running
from tests.web.visitor_app import ACME_ORIGIN, GLOBEX_ORIGIN, visitor_world

CHATS = "/api/v1/sites/{slug}/chats"
MESSAGES = "/api/v1/chats/{chat}/messages"
TYPING = "/api/v1/chats/{chat}/typing"
EVENTS = "/api/v1/chats/{chat}/events"
CLOSE = "/api/v1/chats/{chat}/close"
LIVE = "/api/v1/chats/{chat}/live"


def online_stack() -> Stack:
    stack = make_stack()
    stack.desk.presence_available(ALICE.jid, "acme", "res", Show.AVAILABLE, "", 0, None)
    return stack


class Caller:
    """Requests to the app, each answer checked against the operation's documented responses;
    `statuses` records (operation, status) for the coverage check at the end."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.statuses: set[tuple[str, str, int]] = set()

    async def __call__(
        self, method: str, template: str, values: dict[str, str] | None = None, **kw: Any
    ) -> tuple[int, dict[str, Any]]:
        path = template.format(**(values or {}))
        async with self.client.request(method, path, **kw) as answer:
            body = await answer.read()
            value = documented_answer(template, method, answer.status, answer.content_type, body)
            self.statuses.add((method, template, answer.status))
            return answer.status, value


async def start(call: Caller, **body: Any) -> dict[str, Any]:
    status, value = await call("POST", CHATS, {"slug": "acme"}, json={"text": "hello", **body})
    assert status == 201, value
    return value


def routes_of_app() -> set[tuple[str, str]]:
    app = visitor_world().app
    found = set()
    for route in app.router.routes():
        resource = route.resource
        assert resource is not None
        if route.method == "HEAD":  # aiohttp's automatic HEAD beside a GET: not an operation
            continue
        found.add((route.method.lower(), resource.canonical))
    return found


def test_every_route_is_documented_and_every_documented_operation_is_a_route() -> None:
    documented = {(method, path) for path, item in DOC["paths"].items() for method in item}
    assert routes_of_app() == documented


def test_the_description_is_openapi_3_1_with_valid_schemas() -> None:
    assert DOC["openapi"].startswith("3.1.")
    for schema in DOC["components"]["schemas"].values():
        jsonschema_rs.meta.validate(schema)  # each schema is a valid JSON Schema itself


async def test_ops_and_the_description_answer_as_documented() -> None:
    async with running(make_stack()) as client:
        call = Caller(client)
        assert (await call("GET", "/healthz"))[0] == 200
        assert (await call("GET", "/metrics"))[0] == 200
        status, value = await call("GET", PATH)
        assert (status, value) == (200, description())
        async with client.get(PATH) as answer:
            etag = answer.headers["ETag"]
        status, _ = await call("GET", PATH, headers={"If-None-Match": etag})
        assert status == 304
        assert (await call("GET", PATH, headers={"Origin": ACME_ORIGIN}))[0] == 403
        assert (await call("OPTIONS", PATH))[0] == 204


async def test_starting_a_chat_answers_as_documented() -> None:
    async with running(online_stack()) as client:
        call = Caller(client)
        site = {"slug": "acme"}
        chat = await start(call, name="Vic", email="v@x.test", page="/", referrer="", lang="en")
        assert chat["state"] == "assigned"
        bad: list[tuple[object, int]] = [
            ({"text": "hi", "color": "red"}, 400),
            ({"text": 1}, 400),
            ({"name": "x"}, 400),
            ({"text": "hi", "name": "x" * 201}, 400),
            ({"text": "hi", "lang": "x" * 17}, 400),
            ({"text": "   "}, 400),
            ({"text": "x" * 5000}, 413),
            ([1, 2], 400),
        ]
        for body, expected in bad:
            assert (await call("POST", CHATS, site, json=body))[0] == expected, body
        assert (await call("POST", CHATS, site, data=b"{", headers=_json()))[0] == 400
        assert (await call("POST", CHATS, site, data=b"x" * 70_000, headers=_json()))[0] == 413
        assert (await call("POST", CHATS, site, data=b"{}"))[0] == 415
        assert (await call("POST", CHATS, {"slug": "nope"}, json={"text": "hi"}))[0] == 404
        origin = {"Origin": GLOBEX_ORIGIN}
        assert (await call("POST", CHATS, site, json={"text": "hi"}, headers=origin))[0] == 403
        assert (await call("OPTIONS", CHATS, site))[0] == 204
        assert (await call("OPTIONS", CHATS, site, headers=origin))[0] == 403


async def test_a_queued_chat_and_the_rate_limit_answer_as_documented() -> None:
    one = RateConfig(count=1, per_seconds=3600)
    config = HttpConfig(rate_limits=RateLimitsConfig(chats_per_ip=one))
    async with running_world(config) as client:
        call = Caller(client)
        status, value = await call("POST", CHATS, {"slug": "globex"}, json={"text": "hi"})
        assert status == 201 and value["state"] in ("queued", "offline")
        status, _ = await call("POST", CHATS, {"slug": "globex"}, json={"text": "hi"})
        assert status == 429
        preflight = {"Origin": ACME_ORIGIN, "Access-Control-Request-Method": "POST"}
        for template in (CHATS, MESSAGES, TYPING, EVENTS, CLOSE, LIVE):
            values = {"slug": "acme", "chat": "acme.1"}
            assert (await call("OPTIONS", template, values, headers=preflight))[0] == 204


async def test_chat_endpoints_answer_as_documented() -> None:
    stack = online_stack()
    async with running(stack) as client:
        call = Caller(client)
        chat, other = await start(call), await start(call)
        me, auth = {"chat": chat["chat"]}, bearer(chat["token"])
        for template in (MESSAGES, TYPING, EVENTS, CLOSE):
            method = "GET" if template == EVENTS else "POST"
            kw: dict[str, Any] = {} if template in (EVENTS, CLOSE) else {"json": {}}
            assert (await call(method, template, me, **kw))[0] == 401
            wrong = bearer("not-a-token")
            assert (await call(method, template, me, headers=wrong, **kw))[0] == 401
            theirs = bearer(other["token"])
            assert (await call(method, template, me, headers=theirs, **kw))[0] == 403
            for path in ({"chat": "acme"}, {"chat": "nope.1"}, {"chat": "acme.0"}):
                assert (await call(method, template, path, headers=auth, **kw))[0] == 404

        assert (await call("POST", MESSAGES, me, headers=auth, json={"text": "more"}))[0] == 202
        for body, expected in [
            ({}, 400),
            ({"text": 5}, 400),
            ({"text": "x", "more": 1}, 400),
            ({"text": ""}, 400),
            ({"text": "x" * 5000}, 413),
        ]:
            assert (await call("POST", MESSAGES, me, headers=auth, json=body))[0] == expected
        assert (await call("POST", MESSAGES, me, headers=auth, data=b"[]"))[0] == 415

        for state in ("composing", "paused", "active"):
            body = {"state": state}
            assert (await call("POST", TYPING, me, headers=auth, json=body))[0] == 204
        for bad in ({"state": "inactive"}, {"state": 1}, {}, {"state": "active", "x": 1}):
            assert (await call("POST", TYPING, me, headers=auth, json=bad))[0] == 400

        stack.desk.operator_wrote_chat(ALICE.jid, "acme", 1, "hello, Alice here")
        stack.desk.signals.operator_typing(ALICE.jid, "acme", 1, Typing.COMPOSING)
        status, value = await call("GET", EVENTS, me, headers=auth)
        said = {e["from"] for e in value["events"] if e["type"] == "message"}
        assert status == 200 and said == {"visitor", "operator"}
        assert [e["name"] for e in value["events"] if e["type"] == "operator"] == [ALICE.name]
        for query in ({"after": "2", "wait": "0.01"}, {"after": "99", "wait": "0"}):
            assert (await call("GET", EVENTS, me, headers=auth, params=query))[0] == 200
        for query in ({"after": "-1"}, {"after": "x"}, {"wait": "31"}, {"wait": "nan"}, {"a": "1"}):
            assert (await call("GET", EVENTS, me, headers=auth, params=query))[0] == 400

        assert (await call("POST", CLOSE, me, headers=auth))[0] == 204
        assert (await call("POST", CLOSE, me, headers=auth))[0] == 204
        status, value = await call("GET", EVENTS, me, headers=auth)
        assert status == 200 and value["events"][-1]["type"] == "closed"
        assert (await call("POST", MESSAGES, me, headers=auth, json={"text": "x"}))[0] == 409
        assert (await call("POST", TYPING, me, headers=auth, json={"state": "paused"}))[0] == 409

        for template in (MESSAGES, TYPING, EVENTS, CLOSE, LIVE):
            assert (await call("OPTIONS", template, me))[0] == 204
            assert (await call("OPTIONS", template, me, headers={"Origin": "https://x"}))[0] == 403


async def test_the_live_socket_answers_as_documented() -> None:
    stack = online_stack()
    async with running(stack) as client:
        call = Caller(client)
        chat = await start(call)
        me = {"chat": chat["chat"]}
        assert (await call("GET", LIVE, me))[0] == 400  # no upgrade
        assert (await call("GET", LIVE, {"chat": "nope.1"}))[0] == 404
        assert (await call("GET", LIVE, {"chat": "x"}))[0] == 404
        origin = {"Origin": GLOBEX_ORIGIN}
        assert (await call("GET", LIVE, me, headers=origin))[0] == 403

        hello = {"type": "hello", "token": chat["token"], "after": 0}
        schema_check("Hello", hello)
        ws = await client.ws_connect(LIVE.format(**me))
        await ws.send_json(hello)
        schema_check("Event", await ws.receive_json(timeout=2))
        stack.desk.operator_wrote_chat(ALICE.jid, "acme", 1, "hello, Alice here")
        stack.desk.signals.operator_typing(ALICE.jid, "acme", 1, Typing.PAUSED)
        for _ in range(3):  # who answers, what they wrote, their typing
            schema_check("Event", await ws.receive_json(timeout=2))
        frames: list[dict[str, object]] = [
            {"type": "message", "text": "thanks"},
            {"type": "typing", "state": "composing"},
            {"type": "page", "url": "/checkout", "title": "Checkout"},
        ]
        for frame in frames:
            schema_check("ClientFrame", frame)
            await ws.send_json(frame)
        schema_check("Event", await ws.receive_json(timeout=2))  # the visitor's own message
        await ws.send_json({"type": "dance"})
        error = await ws.receive_json(timeout=2)
        schema_check("FrameError", error)
        stack.desk.visitor_closed("acme", stack.desk.chats.get(1, 1).chat.visitor)  # type: ignore[union-attr]
        closed = await ws.receive_json(timeout=2)
        schema_check("Event", closed)
        assert closed["type"] == "closed"
        message = await ws.receive(timeout=2)
        assert message.type is aiohttp.WSMsgType.CLOSE
        await ws.close()


def test_every_event_type_has_a_schema_that_refuses_a_stranger() -> None:
    at = "2026-01-01T00:00:00.000Z"
    for event in [
        {"seq": 1, "type": "message", "at": at, "from": "visitor", "text": "hi"},
        {"seq": 2, "type": "message", "at": at, "from": "operator", "text": "hi", "operator": "A"},
        {"seq": 2, "type": "typing", "at": at, "state": Typing.INACTIVE.value},
        {"seq": 2, "type": "queue", "at": at, "position": 3},
        {"seq": 2, "type": "operator", "at": at, "name": "Alice", "avatar": None},
        {"seq": 2, "type": "receipt", "at": at, "of": 1, "state": Receipt.READ.value},
        {"seq": 3, "type": "closed", "at": at},
    ]:
        schema_check("Event", event)
    with pytest.raises(jsonschema_rs.ValidationError):
        schema_check("Event", {"seq": 3, "type": "closed", "at": at, "extra": 1})
    with pytest.raises(jsonschema_rs.ValidationError):
        schema_check("Event", {"seq": 3, "type": "dance", "at": at})


def _json() -> dict[str, str]:
    return {"Content-Type": "application/json"}


def running_world(config: HttpConfig) -> Any:
    return serve(visitor_world(config).app)
