"""CORS of the visitor API: only the request's own site's origins (§7.1)."""

from __future__ import annotations

from typing import Any

import pytest

from component.config import HttpConfig
from tests.web.helpers import serve
from tests.web.visitor_app import ACME_ORIGIN, GLOBEX_ORIGIN, visitor_world

START = "/api/v1/sites/acme/chats"


def _cors(headers: Any) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower().startswith("access-control-")}


async def test_an_allowed_origin_is_echoed_with_vary_and_retry_after_exposed() -> None:
    vw = visitor_world()
    async with serve(vw.app) as client:
        r = await client.post(START, json={"text": "hi"}, headers={"Origin": ACME_ORIGIN})
        assert r.status == 201, await r.text()
        assert r.headers["Access-Control-Allow-Origin"] == ACME_ORIGIN
        assert "Origin" in r.headers.getall("Vary")
        assert r.headers["Access-Control-Expose-Headers"] == "Retry-After"
        assert "Access-Control-Allow-Credentials" not in r.headers


async def test_error_answers_to_an_allowed_origin_carry_cors_headers_too() -> None:
    vw = visitor_world()
    async with serve(vw.app) as client:
        r = await client.post(
            "/api/v1/chats/acme.1/messages", json={"text": "x"}, headers={"Origin": ACME_ORIGIN}
        )
        assert r.status == 401
        assert r.headers["Access-Control-Allow-Origin"] == ACME_ORIGIN


async def test_a_refused_origin_gets_403_without_cors_headers_and_starts_nothing() -> None:
    vw = visitor_world()
    async with serve(vw.app) as client:
        for origin in ("https://evil.test", "null", ACME_ORIGIN.upper(), ACME_ORIGIN + "/"):
            r = await client.post(START, json={"text": "hi"}, headers={"Origin": origin})
            assert r.status == 403
            assert (await r.json())["error"]["code"] == "origin_not_allowed"
            assert _cors(r.headers) == {}
    assert vw.store.chats == [] and len(vw.world.desk.chats) == 0
    assert vw.world.archive.messages == []


async def test_a_request_without_origin_is_not_cors_and_passes() -> None:
    vw = visitor_world()
    async with serve(vw.app) as client:
        r = await client.post(START, json={"text": "hi"})
        assert r.status == 201
        assert _cors(r.headers) == {} and "Vary" not in r.headers


@pytest.mark.parametrize(
    ("path", "methods"),
    [
        (START, "POST"),
        ("/api/v1/chats/acme.7/messages", "POST"),
        ("/api/v1/chats/acme.7/events", "GET"),
    ],
)
async def test_a_preflight_from_an_allowed_origin_answers_204(path: str, methods: str) -> None:
    vw = visitor_world(HttpConfig(cors_max_age=1234))
    async with serve(vw.app) as client:
        r = await client.options(
            path,
            headers={"Origin": ACME_ORIGIN, "Access-Control-Request-Method": methods},
        )
        assert r.status == 204
        assert _cors(r.headers) == {
            "Access-Control-Allow-Origin": ACME_ORIGIN,
            "Access-Control-Allow-Methods": methods,
            "Access-Control-Allow-Headers": "Content-Type, Authorization",
            "Access-Control-Max-Age": "1234",
            "Access-Control-Expose-Headers": "Retry-After",
        }
        assert "Origin" in r.headers.getall("Vary")


async def test_a_preflight_from_a_refused_origin_is_403_in_the_error_format() -> None:
    vw = visitor_world()
    async with serve(vw.app) as client:
        r = await client.options(
            START, headers={"Origin": "https://evil.test", "Access-Control-Request-Method": "POST"}
        )
        assert r.status == 403
        assert await r.json() == {
            "error": {"code": "origin_not_allowed", "message": "this origin is not allowed"}
        }
        assert _cors(r.headers) == {}


async def test_one_sites_origin_does_not_open_another_sites_chats() -> None:
    vw = visitor_world()
    async with serve(vw.app) as client:
        r = await client.post(START, json={"text": "hi"}, headers={"Origin": ACME_ORIGIN})
        chat, token = (await r.json())["chat"], (await r.json())["token"]
        auth = {"Authorization": f"Bearer {token}"}
        events = f"/api/v1/chats/{chat}/events"
        ok = await client.get(events, headers={"Origin": ACME_ORIGIN, **auth})
        assert ok.status == 200
        wrong = await client.get(events, headers={"Origin": GLOBEX_ORIGIN, **auth})
        assert wrong.status == 403 and _cors(wrong.headers) == {}
        pre = await client.options(events, headers={"Origin": GLOBEX_ORIGIN})
        assert pre.status == 403
        other = await client.post(
            "/api/v1/sites/globex/chats", json={"text": "x"}, headers={"Origin": ACME_ORIGIN}
        )
        assert other.status == 403
        unknown = await client.options(
            "/api/v1/sites/nosuch/chats", headers={"Origin": ACME_ORIGIN}
        )
        assert unknown.status == 403


async def test_health_and_metrics_have_no_cors() -> None:
    vw = visitor_world()
    async with serve(vw.app) as client:
        for path in ("/healthz", "/metrics"):
            r = await client.get(path, headers={"Origin": ACME_ORIGIN})
            assert r.status == 200 and _cors(r.headers) == {}
            r = await client.options(path, headers={"Origin": ACME_ORIGIN})
            assert r.status == 405 and _cors(r.headers) == {}


async def test_options_without_origin_is_not_a_preflight() -> None:
    vw = visitor_world()
    async with serve(vw.app) as client:
        r = await client.options(START)
        assert r.status == 204 and _cors(r.headers) == {}
        assert r.headers["Allow"] == "OPTIONS, POST"
