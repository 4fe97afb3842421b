"""Every error answer is JSON `{"error": {"code", "message"}}` with the right status (SPEC 7.1)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from aiohttp import web

from component.config import HttpConfig
from component.errors import (
    ArchiveFull,
    EmptyMessage,
    HelpDeskError,
    InvalidInput,
    MessageTooLong,
    NotAllowed,
    UnknownChat,
    UnknownSite,
)
from component.web.bodies import json_object
from component.web.errors import ApiError
from tests.web.helpers import make_app, serve


async def error_of(response: Any, status: int) -> dict[str, str]:
    assert response.status == status
    assert response.content_type == "application/json"
    body = await response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    return dict(body["error"])


async def test_an_unknown_route_is_a_json_404() -> None:
    async with serve(make_app()) as client:
        error = await error_of(await client.get("/no/such/thing?token=x"), 404)
    assert error["code"] == "not_found"
    assert "token" not in error["message"]


async def test_a_wrong_method_is_a_json_405_naming_the_allowed_ones() -> None:
    async with serve(make_app()) as client:
        response = await client.post("/healthz")
        error = await error_of(response, 405)
    assert error["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


def raising(error: Exception) -> web.Application:
    async def handler(_: web.Request) -> web.Response:
        raise error

    app = make_app()
    app.router.add_get("/raise", handler)
    return app


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (UnknownSite("there is no site 'x' here"), 404, "unknown_site"),
        (UnknownChat("there is no chat acme.9"), 404, "unknown_chat"),
        (NotAllowed("only operators of acme may do that"), 403, "forbidden"),
        (EmptyMessage("empty message"), 400, "empty_message"),
        (MessageTooLong("message longer than 10 characters"), 413, "too_large"),
        (InvalidInput("bad name"), 400, "invalid"),
        (ArchiveFull("the archive is catching up"), 503, "busy"),
        (HelpDeskError("something the desk refused"), 400, "bad_request"),
        (ApiError(409, "offline", "nobody is online"), 409, "offline"),
        (ApiError(429, "rate_limited", "slow down", retry_after=7), 429, "rate_limited"),
    ],
)
async def test_domain_and_api_errors_become_their_status_and_code(
    error: Exception, status: int, code: str
) -> None:
    async with serve(raising(error)) as client:
        response = await client.get("/raise")
        got = await error_of(response, status)
    assert got == {"code": code, "message": str(error)}
    if isinstance(error, ArchiveFull):
        assert response.headers["Retry-After"] == "5"
    if isinstance(error, ApiError) and error.status == 429:
        assert response.headers["Retry-After"] == "7"


async def test_an_unexpected_error_is_a_500_that_tells_nothing_inside(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with serve(raising(RuntimeError("password=hunter2"))) as client:
        with caplog.at_level(logging.ERROR, logger="component.web"):
            error = await error_of(await client.get("/raise"), 500)
    assert error["code"] == "internal"
    assert "hunter2" not in error["message"]
    assert any(r.exc_info for r in caplog.records), "the traceback is logged for the admin"


def echoing(config: HttpConfig | None = None) -> web.Application:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response(await json_object(request))

    app = make_app(config)
    app.router.add_post("/echo", handler)
    return app


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b"{not json", "application/json", 400, "bad_json"),
        ("\u00ff".encode("latin-1"), "application/json", 400, "bad_json"),
        (b"[1, 2]", "application/json", 400, "bad_json"),
        (b"", "application/json", 400, "bad_json"),
        (b'{"text": "hi"}', "text/plain", 415, "unsupported_media_type"),
        (b'{"text": "hi"}', "", 415, "unsupported_media_type"),
        (b'{"text": "' + b"x" * 200 + b'"}', "application/json", 413, "too_large"),
    ],
)
async def test_a_bad_json_body_is_refused(
    body: bytes, content_type: str, status: int, code: str
) -> None:
    async with serve(echoing(HttpConfig(max_body_bytes=100))) as client:
        headers = {"Content-Type": content_type} if content_type else {}
        response = await client.post("/echo", data=body, headers=headers)
        assert (await error_of(response, status))["code"] == code


async def test_a_json_object_is_read() -> None:
    async with serve(echoing()) as client:
        response = await client.post(
            "/echo", data=b'{"text": "hi"}', headers={"Content-Type": "application/json"}
        )
        assert response.status == 200
        assert await response.json() == {"text": "hi"}
