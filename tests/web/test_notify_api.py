"""POST /api/v1/sites/{slug}/notify over a desk of fakes: the site's key or 401 and nothing else,
the body checked, online or all operators told from the desk JID, a site event archived, the
Idempotency-Key's repeat answered without sending, another body 422, the site's rate limit,
no CORS, nothing sent when refused."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from typing import Any

import pytest

from component.config import HttpConfig, RateConfig, RateLimitsConfig
from component.directory import Directory
from component.idempotency import KEY_TTL_SECONDS, StoredRequest, request_hash
from component.records import SiteEventRecorded
from tests.unit.fakes import ACME, ALICE, BOB, DOMAIN, GLOBEX, MALLORY
from tests.web.helpers import serve
from tests.web.openapi_check import documented_answer
from tests.web.visitor_app import ACME_ORIGIN, VisitorWorld, visitor_world

ACME_KEY, GLOBEX_KEY = "acme-key-" + "a" * 32, "globex-key-" + "g" * 32
NOTIFY = "/api/v1/sites/acme/notify"
CART = {"text": "Cart filled: 3 anvils", "url": "https://shop.acme.test/carts/7", "to": "online"}
DESK = f"acme@{DOMAIN}"


def keyed(rates: RateLimitsConfig | None = None) -> VisitorWorld:
    """acme and globex with their API keys; Alice (acme) online, Bob (acme) and Mallory
    (globex) offline."""
    config = HttpConfig(rate_limits=rates or RateLimitsConfig())
    vw = visitor_world(config, api_key=ACME_KEY)
    acme = vw.world.desk.directory.site("acme")
    assert acme is not None
    globex = dataclasses.replace(
        GLOBEX, settings=dataclasses.replace(GLOBEX.settings, api_key=GLOBEX_KEY)
    )
    vw.world.desk.apply_directory(Directory([acme, globex], (ALICE, BOB, MALLORY)))
    return vw


def bearer(key: str, **more: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", **more}


def told(vw: VisitorWorld) -> list[tuple[str, str, str]]:
    """(from, to, body) of every message the component sent."""
    return [(m.sender, m.recipient, m.body) for m in vw.world.out.messages]


def events(vw: VisitorWorld) -> list[SiteEventRecorded]:
    return [r for r in vw.world.archive.records if isinstance(r, SiteEventRecorded)]


async def answer(r: Any) -> tuple[int, Any]:
    return r.status, await r.json()


async def test_online_operators_are_told_from_the_desk_and_the_event_is_archived() -> None:
    vw = keyed()
    async with serve(vw.app) as client:
        r = await client.post(NOTIFY, json=CART, headers=bearer(ACME_KEY))
        assert await answer(r) == (202, {"delivered_to": 1})
    assert told(vw) == [(DESK, ALICE.jid, "Cart filled: 3 anvils\nhttps://shop.acme.test/carts/7")]
    (event,) = events(vw)
    assert (event.site_id, event.category) == (ACME.id, "notify")
    assert (event.text, event.url, event.audience) == (CART["text"], CART["url"], "online")
    assert (event.delivered_to, event.at) == (1, vw.world.clock())
    assert event.event_key.startswith("notify:")


async def test_all_means_every_enabled_operator_of_the_site_and_no_one_else() -> None:
    vw = keyed()
    directory = vw.world.desk.directory
    carol = dataclasses.replace(BOB, jid="carol@x.test", name="Carol", enabled=False, id=13)
    vw.world.desk.apply_directory(Directory(directory.sites(), (*directory.operators(), carol)))
    async with serve(vw.app) as client:
        r = await client.post(
            NOTIFY, json={"text": "Order #123 placed", "to": "all"}, headers=bearer(ACME_KEY)
        )
        assert await answer(r) == (202, {"delivered_to": 2})
    assert sorted(told(vw)) == [
        (DESK, ALICE.jid, "Order #123 placed"),
        (DESK, BOB.jid, "Order #123 placed"),  # offline: his server keeps it
    ]  # not Carol (disabled), not Mallory (globex)
    assert events(vw)[0].audience == "all"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        bearer("wrong"),
        bearer(GLOBEX_KEY),  # another site's key
        bearer(ACME_KEY[:-1]),
        {"Authorization": f"Basic {ACME_KEY}"},
        {"Authorization": ACME_KEY},
    ],
)
async def test_no_key_a_wrong_key_or_another_sites_is_401_and_nothing_else(
    headers: dict[str, str],
) -> None:
    vw = keyed(RateLimitsConfig(notify_per_site=RateConfig(count=1, per_seconds=3600)))
    async with serve(vw.app) as client:
        for _ in range(3):
            r = await client.post(NOTIFY, json=CART, headers={**headers, "Idempotency-Key": "k1"})
            assert r.status == 401
            assert r.headers["WWW-Authenticate"] == 'Bearer realm="helperchat"'
            assert (await r.json())["error"]["code"] == "unauthorized"
        assert told(vw) == [] and events(vw) == [] and vw.notify_requests.rows == {}
        r = await client.post(NOTIFY, json=CART, headers=bearer(ACME_KEY))
        assert r.status == 202  # the refusals took nothing from the site's one notification


async def test_a_site_without_a_key_takes_no_notification() -> None:
    vw = visitor_world()  # acme has no API key yet
    async with serve(vw.app) as client:
        r = await client.post(NOTIFY, json=CART, headers=bearer(""))
        assert r.status == 401
        r = await client.post(NOTIFY, json=CART, headers={"Authorization": "Bearer "})
        assert r.status == 401
    assert told(vw) == []


async def test_globex_key_notifies_globex_only() -> None:
    vw = keyed()
    vw.world.online(MALLORY.jid)
    async with serve(vw.app) as client:
        r = await client.post("/api/v1/sites/globex/notify", json=CART, headers=bearer(GLOBEX_KEY))
        assert await answer(r) == (202, {"delivered_to": 1})
        r = await client.post("/api/v1/sites/nope/notify", json=CART, headers=bearer(GLOBEX_KEY))
        assert r.status == 404
    assert [to for _, to, _ in told(vw)] == [MALLORY.jid]
    assert [e.site_id for e in events(vw)] == [GLOBEX.id]


@pytest.mark.parametrize(
    "body",
    [
        {"url": "https://x.test", "to": "online"},
        {"text": "", "to": "online"},
        {"text": "   ", "to": "online"},
        {"text": "x" * 2001, "to": "online"},
        {"text": 5, "to": "online"},
        {"text": "hi"},
        {"text": "hi", "to": "everyone"},
        {"text": "hi", "to": "online", "url": "javascript:alert(1)"},
        {"text": "hi", "to": "online", "url": "ftp://x.test/f"},
        {"text": "hi", "to": "online", "url": "https://"},
        {"text": "hi", "to": "online", "url": "https://x.test/" + "a" * 2000},
        {"text": "hi", "to": "online", "url": "https://x.test/\nBcc: y"},
        {"text": "hi", "to": "online", "url": None},
        {"text": "hi", "to": "online", "color": "red"},
    ],
)
async def test_a_bad_body_is_400_and_sends_nothing(body: dict[str, object]) -> None:
    vw = keyed()
    async with serve(vw.app) as client:
        r = await client.post(
            NOTIFY, json=body, headers=bearer(ACME_KEY, **{"Idempotency-Key": "k"})
        )
        status, value = await answer(r)
        assert (status, value["error"]["code"]) == (400, "invalid"), value
    assert told(vw) == [] and events(vw) == [] and vw.notify_requests.rows == {}


@pytest.mark.parametrize("key", ["", "a b", "ключ", "x" * 256])
async def test_a_bad_idempotency_key_is_400(key: str) -> None:
    vw = keyed()
    async with serve(vw.app) as client:
        headers = {"Authorization": f"Bearer {ACME_KEY}", "Idempotency-Key": key}
        r = await client.post(NOTIFY, json=CART, headers=headers)
        assert r.status == 400
    assert told(vw) == []


async def test_the_same_idempotency_key_and_body_again_sends_nothing_and_answers_the_same() -> None:
    vw = keyed()
    vw.world.online(BOB.jid)
    headers = bearer(ACME_KEY, **{"Idempotency-Key": "order-123"})
    async with serve(vw.app) as client:
        first = await answer(await client.post(NOTIFY, json=CART, headers=headers))
        vw.world.offline(BOB.jid)  # the same answer all the same: it is the first one's
        json_headers = {**headers, "Content-Type": "application/json"}
        again = await answer(await client.post(NOTIFY, data=_spaced(CART), headers=json_headers))
    assert first == again == (202, {"delivered_to": 2})
    assert len(told(vw)) == 2 and len(events(vw)) == 1


async def test_the_same_key_with_another_body_is_422_and_sends_nothing() -> None:
    vw = keyed()
    headers = bearer(ACME_KEY, **{"Idempotency-Key": "order-123"})
    async with serve(vw.app) as client:
        assert (await client.post(NOTIFY, json=CART, headers=headers)).status == 202
        other = {**CART, "text": "Cart emptied"}
        status, value = await answer(await client.post(NOTIFY, json=other, headers=headers))
        assert (status, value["error"]["code"]) == (422, "idempotency_key_reused")
        globex = bearer(GLOBEX_KEY, **{"Idempotency-Key": "order-123"})  # keys are per site
        r = await client.post("/api/v1/sites/globex/notify", json=other, headers=globex)
        assert r.status == 202
    assert [text for _, _, text in told(vw)] == [_body(CART)]  # Mallory is offline


async def test_a_key_is_kept_a_day_then_it_is_new() -> None:
    vw = keyed()
    headers = bearer(ACME_KEY, **{"Idempotency-Key": "daily"})
    async with serve(vw.app) as client:
        assert (await client.post(NOTIFY, json=CART, headers=headers)).status == 202
        vw.world.clock.advance(KEY_TTL_SECONDS - 1)
        assert (await client.post(NOTIFY, json=CART, headers=headers)).status == 202
        assert len(told(vw)) == 1
        vw.world.clock.advance(1)
        assert (await client.post(NOTIFY, json=CART, headers=headers)).status == 202
    assert len(told(vw)) == 2


async def test_a_key_being_answered_is_409_and_an_abandoned_one_is_taken_over() -> None:
    vw = keyed()
    now = vw.world.clock()
    pending = StoredRequest(
        request_hash({"text": CART["text"], "url": CART["url"], "to": "online"}), "", now
    )
    vw.notify_requests.rows[(ACME.id, "k")] = pending
    headers = bearer(ACME_KEY, **{"Idempotency-Key": "k"})
    async with serve(vw.app) as client:
        r = await client.post(NOTIFY, json=CART, headers=headers)
        assert (r.status, r.headers["Retry-After"]) == (409, "1")
        assert told(vw) == []
        vw.world.clock.advance(60)  # its first request never came back: the process stopped
        assert (await client.post(NOTIFY, json=CART, headers=headers)).status == 202
    assert len(told(vw)) == 1


async def test_over_the_sites_limit_is_429_sends_nothing_and_frees_the_key() -> None:
    vw = keyed(RateLimitsConfig(notify_per_site=RateConfig(count=1, per_seconds=60)))
    async with serve(vw.app) as client:
        assert (
            await client.post(
                NOTIFY, json=CART, headers=bearer(ACME_KEY, **{"Idempotency-Key": "a"})
            )
        ).status == 202
        replay = await client.post(
            NOTIFY, json=CART, headers=bearer(ACME_KEY, **{"Idempotency-Key": "a"})
        )
        assert replay.status == 202  # a repeat sends nothing and takes nothing
        r = await client.post(
            NOTIFY, json=CART, headers=bearer(ACME_KEY, **{"Idempotency-Key": "b"})
        )
        assert (r.status, r.headers["Retry-After"]) == (429, "60")
        assert (await r.json())["error"]["code"] == "rate_limited"
        assert (ACME.id, "b") not in vw.notify_requests.rows
        globex = await client.post(
            "/api/v1/sites/globex/notify", json=CART, headers=bearer(GLOBEX_KEY)
        )
        assert globex.status == 202  # another site's own allowance
        vw.world.clock.advance(60)
        r = await client.post(
            NOTIFY, json=CART, headers=bearer(ACME_KEY, **{"Idempotency-Key": "b"})
        )
        assert r.status == 202
    assert len(events(vw)) == 3


async def test_the_archive_at_its_cap_is_503_sends_nothing_and_frees_the_key() -> None:
    vw = keyed()
    vw.world.archive.accepting = False
    async with serve(vw.app) as client:
        r = await client.post(
            NOTIFY, json=CART, headers=bearer(ACME_KEY, **{"Idempotency-Key": "a"})
        )
        assert (r.status, (await r.json())["error"]["code"]) == (503, "busy")
        assert "Retry-After" in r.headers
    assert told(vw) == [] and events(vw) == [] and vw.notify_requests.rows == {}


@pytest.mark.parametrize("origin", [ACME_ORIGIN, "https://evil.test"])
async def test_no_browser_may_call_it_not_even_from_the_sites_own_origin(origin: str) -> None:
    vw = keyed()
    async with serve(vw.app) as client:
        r = await client.post(NOTIFY, json=CART, headers=bearer(ACME_KEY, Origin=origin))
        assert (r.status, (await r.json())["error"]["code"]) == (403, "origin_not_allowed")
        assert "Access-Control-Allow-Origin" not in r.headers
        preflight = await client.options(
            NOTIFY, headers={"Origin": origin, "Access-Control-Request-Method": "POST"}
        )
        assert preflight.status == 403
        assert "Access-Control-Allow-Origin" not in preflight.headers
    assert told(vw) == []


async def test_expired_keys_are_purged_when_the_app_starts() -> None:
    vw = keyed()
    vw.notify_requests.rows[(ACME.id, "old")] = StoredRequest("h", "{}", 0.0)
    async with serve(vw.app):
        for _ in range(200):  # the purge task's first round, at start
            if vw.notify_requests.purged_before:
                break
            await asyncio.sleep(0.01)
    assert vw.notify_requests.purged_before == [vw.world.clock() - KEY_TTL_SECONDS]
    assert vw.notify_requests.rows == {}


def _body(note: dict[str, str]) -> str:
    return f"{note['text']}\n{note['url']}"


def _spaced(value: dict[str, str]) -> str:
    """The same JSON object, spaced and ordered otherwise (the same request all the same)."""
    return json.dumps(dict(reversed(list(value.items()))), indent=4)


async def test_its_answers_are_as_documented() -> None:
    vw = keyed(RateLimitsConfig(notify_per_site=RateConfig(count=2, per_seconds=60)))
    template = "/api/v1/sites/{slug}/notify"
    seen: set[int] = set()

    async def call(method: str = "POST", path: str = NOTIFY, **kw: Any) -> None:
        async with client.request(method, path, **kw) as r:
            documented_answer(template, method, r.status, r.content_type, await r.read())
            seen.add(r.status)

    key = bearer(ACME_KEY, **{"Idempotency-Key": "k"})
    async with serve(vw.app) as client:
        await call(json=CART, headers=key)  # 202
        await call(json={**CART, "text": "other"}, headers=key)  # 422
        await call(json={"text": ""}, headers=bearer(ACME_KEY))  # 400
        await call(data=b"{", headers={**bearer(ACME_KEY), "Content-Type": "application/json"})
        await call(json=CART)  # 401
        await call(json=CART, headers=bearer(ACME_KEY, Origin=ACME_ORIGIN))  # 403
        await call(path="/api/v1/sites/nope/notify", json=CART, headers=bearer(ACME_KEY))  # 404
        await call(
            data=b"x" * 70_000, headers={**bearer(ACME_KEY), "Content-Type": "application/json"}
        )
        await call(data=b"{}", headers=bearer(ACME_KEY))  # 415
        await call(json=CART, headers=bearer(ACME_KEY))
        await call(json=CART, headers=bearer(ACME_KEY))  # 429
        vw.notify_requests.rows[(ACME.id, "busy")] = StoredRequest(
            request_hash({"text": "x", "url": "", "to": "all"}), "", vw.world.clock()
        )
        busy = bearer(ACME_KEY, **{"Idempotency-Key": "busy"})
        await call(json={"text": "x", "to": "all"}, headers=busy)  # 409
        vw.world.clock.advance(60)
        vw.world.archive.accepting = False
        await call(json=CART, headers=bearer(ACME_KEY))  # 503
        await call("OPTIONS")  # 204
        await call("OPTIONS", headers={"Origin": ACME_ORIGIN})  # 403
    assert seen == {202, 204, 400, 401, 403, 404, 409, 413, 415, 422, 429, 503}
