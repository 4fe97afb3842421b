"""Rate limits of the visitor API: 429 with Retry-After, per address, nothing done when refused."""

from __future__ import annotations

from typing import Any

from component.config import HttpConfig, RateConfig, RateLimitsConfig
from tests.web.helpers import serve
from tests.web.visitor_app import ACME_ORIGIN, VisitorWorld, visitor_world

START = "/api/v1/sites/acme/chats"


def limited(limits: RateLimitsConfig) -> VisitorWorld:
    # the test client is 127.0.0.1: trusting it lets X-Forwarded-For play other addresses
    config = HttpConfig(trusted_proxies=("127.0.0.1",), rate_limits=limits)
    return visitor_world(config)


def ip(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


async def _json(r: Any) -> Any:
    return await r.json()


async def test_chats_per_ip_429_with_retry_after_and_another_ip_is_not_limited() -> None:
    vw = limited(RateLimitsConfig(chats_per_ip=RateConfig(count=2, per_seconds=60)))
    async with serve(vw.app) as client:
        for _ in range(2):
            r = await client.post(START, json={"text": "hi"}, headers=ip("192.0.2.1"))
            assert r.status == 201
        vw.world.clock.advance(10.5)
        r = await client.post(START, json={"text": "hi"}, headers=ip("192.0.2.1"))
        assert r.status == 429
        assert await _json(r) == {
            "error": {"code": "rate_limited", "message": "too many requests; try again later"}
        }
        assert r.headers["Retry-After"] == "20"  # one chat back every 30 s: 19.5 s, rounded up
        r = await client.post(START, json={"text": "hi"}, headers=ip("192.0.2.2"))
        assert r.status == 201
        vw.world.clock.advance(19.5)
        r = await client.post(START, json={"text": "hi"}, headers=ip("192.0.2.1"))
        assert r.status == 201


async def test_a_limited_start_starts_no_chat() -> None:
    vw = limited(RateLimitsConfig(chats_per_ip=RateConfig(count=1, per_seconds=60)))
    async with serve(vw.app) as client:
        assert (await client.post(START, json={"text": "first"})).status == 201
        chats, messages = len(vw.world.desk.chats), list(vw.world.archive.messages)
        r = await client.post(START, json={"text": "second"})
        assert r.status == 429 and int(r.headers["Retry-After"]) >= 1
    assert len(vw.world.desk.chats) == chats and len(vw.store.chats) == 1
    assert vw.world.archive.messages == messages


async def test_chats_per_site_limit_all_addresses_together_and_not_other_sites() -> None:
    vw = limited(RateLimitsConfig(chats_per_site=RateConfig(count=2, per_seconds=60)))
    async with serve(vw.app) as client:
        for n in (1, 2):
            r = await client.post(START, json={"text": "hi"}, headers=ip(f"192.0.2.{n}"))
            assert r.status == 201
        r = await client.post(START, json={"text": "hi"}, headers=ip("192.0.2.3"))
        assert r.status == 429 and r.headers["Retry-After"] == "30"
        r = await client.post(
            "/api/v1/sites/globex/chats", json={"text": "hi"}, headers=ip("192.0.2.3")
        )
        assert r.status == 201


async def test_messages_per_chat_429_and_a_limited_message_is_not_archived() -> None:
    vw = limited(RateLimitsConfig(messages_per_chat=RateConfig(count=2, per_seconds=10)))
    async with serve(vw.app) as client:
        started = await _json(await client.post(START, json={"text": "hi"}))
        path = f"/api/v1/chats/{started['chat']}/messages"
        auth = {"Authorization": f"Bearer {started['token']}"}
        for text in ("one", "two"):
            assert (await client.post(path, json={"text": text}, headers=auth)).status == 202
        archived = [m.body for m in vw.world.archive.messages]
        r = await client.post(path, json={"text": "three"}, headers=auth)
        assert r.status == 429 and r.headers["Retry-After"] == "5"
        assert [m.body for m in vw.world.archive.messages] == archived
        assert "three" not in archived
        vw.world.clock.advance(5)
        assert (await client.post(path, json={"text": "four"}, headers=auth)).status == 202


async def test_messages_per_ip_spans_chats_and_spares_other_addresses() -> None:
    vw = limited(RateLimitsConfig(messages_per_ip=RateConfig(count=1, per_seconds=60)))
    async with serve(vw.app) as client:
        chats = []
        for n in (1, 2):
            r = await client.post(START, json={"text": "hi"}, headers=ip(f"192.0.2.{n}"))
            chats.append(await _json(r))

        async def send(chat: Any, address: str) -> int:
            r = await client.post(
                f"/api/v1/chats/{chat['chat']}/messages",
                json={"text": "x"},
                headers={"Authorization": f"Bearer {chat['token']}", **ip(address)},
            )
            return r.status

        assert await send(chats[0], "192.0.2.1") == 202
        assert await send(chats[1], "192.0.2.1") == 429  # the same address, another chat
        assert await send(chats[1], "192.0.2.2") == 202


async def test_ipv6_addresses_of_one_64_share_a_limit() -> None:
    vw = limited(RateLimitsConfig(chats_per_ip=RateConfig(count=1, per_seconds=60)))
    async with serve(vw.app) as client:
        r = await client.post(START, json={"text": "hi"}, headers=ip("2001:db8:1:2::1"))
        assert r.status == 201
        r = await client.post(START, json={"text": "hi"}, headers=ip("2001:db8:1:2::99"))
        assert r.status == 429
        r = await client.post(START, json={"text": "hi"}, headers=ip("2001:db8:1:3::1"))
        assert r.status == 201


async def test_a_429_to_an_allowed_origin_exposes_retry_after() -> None:
    vw = limited(RateLimitsConfig(chats_per_ip=RateConfig(count=1, per_seconds=60)))
    origin = {"Origin": "https://shop.acme.test"}
    async with serve(vw.app) as client:
        assert (await client.post(START, json={"text": "hi"}, headers=origin)).status == 201
        r = await client.post(START, json={"text": "hi"}, headers=origin)
        assert r.status == 429 and r.headers["Retry-After"] == "60"
        assert r.headers["Access-Control-Allow-Origin"] == origin["Origin"]
        assert r.headers["Access-Control-Expose-Headers"] == "Retry-After"


async def test_every_api_request_counts_per_address_long_polls_and_websockets_included() -> None:
    vw = limited(RateLimitsConfig(requests_per_ip=RateConfig(count=3, per_seconds=60)))
    async with serve(vw.app) as client:
        r = await client.post(START, json={"text": "hi"}, headers=ip("192.0.2.1"))
        assert r.status == 201
        chat, token = (await _json(r))["chat"], (await _json(r))["token"]
        bearer = {"Authorization": f"Bearer {token}", **ip("192.0.2.1")}
        r = await client.get(f"/api/v1/chats/{chat}/events?after=0", headers=bearer)
        assert r.status == 200
        r = await client.post(
            f"/api/v1/chats/{chat}/typing", json={"state": "paused"}, headers=bearer
        )
        assert r.status == 204
        r = await client.get(f"/api/v1/chats/{chat}/live", headers=bearer)  # the handshake counts
        assert r.status == 429 and r.headers["Retry-After"] == "20"
        assert (await _json(r))["error"]["code"] == "rate_limited"
        r = await client.get(f"/api/v1/chats/{chat}/events?after=0", headers=ip("192.0.2.2"))
        assert r.status == 401  # another address is not limited (and has no token)
        for path in ("/api/v1/openapi.json", "/healthz"):  # documents and operations are free
            assert (await client.get(path, headers=ip("192.0.2.1"))).status == 200
        r = await client.options(
            START,
            headers={
                "Origin": ACME_ORIGIN,
                "Access-Control-Request-Method": "POST",
                **ip("192.0.2.1"),
            },
        )
        assert r.status == 204  # a browser's preflight is never refused for the count


async def test_a_refused_empty_message_takes_no_token() -> None:
    vw = limited(RateLimitsConfig(messages_per_chat=RateConfig(count=1, per_seconds=60)))
    async with serve(vw.app) as client:
        started = await _json(await client.post(START, json={"text": "hi"}))
        path = f"/api/v1/chats/{started['chat']}/messages"
        auth = {"Authorization": f"Bearer {started['token']}"}
        for text in ("   ", "x" * 5000):
            r = await client.post(path, json={"text": text}, headers=auth)
            assert r.status in (400, 413), await r.text()
        assert (await client.post(path, json={"text": "real"}, headers=auth)).status == 202


async def test_a_refused_empty_start_takes_no_token() -> None:
    vw = limited(RateLimitsConfig(chats_per_ip=RateConfig(count=1, per_seconds=60)))
    async with serve(vw.app) as client:
        r = await client.post(START, json={"text": "  "})
        assert r.status == 400, await r.text()
        assert (await client.post(START, json={"text": "hi"})).status == 201


async def test_each_429_is_counted_in_the_metrics_by_the_limit_that_refused_it() -> None:
    limits = RateLimitsConfig(
        chats_per_ip=RateConfig(count=1, per_seconds=60),
        requests_per_ip=RateConfig(count=4, per_seconds=60),
    )
    vw = limited(limits)
    async with serve(vw.app) as client:
        statuses = [
            (await client.post(START, json={"text": "hi"}, headers=ip("192.0.2.1"))).status
            for _ in range(5)
        ]
        text = await (await client.get("/metrics")).text()
    assert statuses == [201, 429, 429, 429, 429]  # the fifth: over the request limit
    lines = text.splitlines()
    assert 'helperchat_rate_limited_total{limit="chats_per_ip"} 3.0' in lines
    assert 'helperchat_rate_limited_total{limit="requests_per_ip"} 1.0' in lines


async def test_a_start_at_a_site_with_no_room_is_503_busy_and_takes_no_token() -> None:
    vw = limited(RateLimitsConfig(chats_per_ip=RateConfig(count=2, per_seconds=3600)))
    vw.world.desk.state.max_open_chats = 1
    async with serve(vw.app) as client:
        assert (await client.post(START, json={"text": "first"})).status == 201
        chats, messages = len(vw.world.desk.chats), list(vw.world.archive.messages)
        r = await client.post(START, json={"text": "second"})
        assert r.status == 503 and r.headers["Retry-After"] == "60"
        assert (await _json(r))["error"]["code"] == "busy"
        assert len(vw.world.desk.chats) == chats and vw.world.archive.messages == messages
        vw.world.desk.state.max_open_chats = 2
        assert (await client.post(START, json={"text": "second"})).status == 201  # its token
