"""`GET /api/v1/sites/{slug}` and the site's avatar over fakes (a desk of tests/unit/fakes.py)."""

from __future__ import annotations

import dataclasses

from component.config import HttpConfig
from component.directory import Directory
from component.site_web import checked_avatar
from tests.unit.fakes import ALICE, BOB, MALLORY
from tests.web.helpers import serve
from tests.web.openapi_check import documented_answer
from tests.web.visitor_app import ACME_ORIGIN, GLOBEX_ORIGIN, VisitorWorld, visitor_world

INFO = "/api/v1/sites/acme"
AVATAR = "/api/v1/sites/acme/avatar"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 40
SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><rect width="1" height="1"/></svg>'
)


def with_avatar(data: bytes, config: HttpConfig | None = None) -> VisitorWorld:
    image = checked_avatar(data)
    vw = visitor_world(config, avatar_type=image.content_type, avatar_etag=image.etag)
    vw.avatars.images[1] = image
    return vw


async def test_the_site_info_says_online_while_an_operator_is() -> None:
    vw = visitor_world()
    async with serve(vw.app) as client:
        r = await client.get(INFO)
        assert r.status == 200
        assert await r.json() == {
            "slug": "acme",
            "name": "Acme Inc.",
            "online": True,
            "lang": "en",
            "feedback_form": False,
            "avatar": None,
            "welcome": "",
            "operators": [],  # online, but the site does not let visitors choose
        }
        vw.world.offline(ALICE.jid)
        assert (await (await client.get(INFO)).json())["online"] is False


async def test_a_disabled_operator_online_does_not_count() -> None:
    vw = visitor_world(visitor_choice=True)
    site = vw.world.desk.directory.site("acme")
    assert site is not None
    disabled = dataclasses.replace(ALICE, enabled=False)
    vw.world.desk.apply_directory(Directory([site], (disabled, BOB, MALLORY)))
    async with serve(vw.app) as client:
        info = await (await client.get(INFO)).json()
        assert (info["online"], info["operators"]) == (False, [])


async def test_visitor_choice_lists_the_online_operators_only() -> None:
    vw = visitor_world(visitor_choice=True)
    async with serve(vw.app) as client:
        info = await (await client.get(INFO)).json()
        assert info["operators"] == [{"id": ALICE.id, "name": "Alice", "avatar": None}]
        vw.world.online(BOB.jid)
        info = await (await client.get(INFO)).json()
        assert [op["name"] for op in info["operators"]] == ["Alice", "Bob"]
        vw.world.offline(ALICE.jid)
        vw.world.offline(BOB.jid)
        info = await (await client.get(INFO)).json()
        assert (info["online"], info["operators"]) == (False, [])


async def test_the_avatar_url_is_under_public_url_or_the_requests_own_host() -> None:
    vw = with_avatar(PNG, HttpConfig(public_url="https://help.example.com"))
    async with serve(vw.app) as client:
        info = await (await client.get(INFO)).json()
        assert info["avatar"] == "https://help.example.com/api/v1/sites/acme/avatar"
    vw = with_avatar(PNG)
    async with serve(vw.app) as client:
        info = await (await client.get(INFO)).json()
        assert info["avatar"] == f"http://{client.host}:{client.port}/api/v1/sites/acme/avatar"


async def test_an_unknown_site_is_404_in_the_error_format() -> None:
    async with serve(visitor_world().app) as client:
        for path in ("/api/v1/sites/nope", "/api/v1/sites/nope/avatar"):
            r = await client.get(path)
            assert r.status == 404
            assert (await r.json())["error"]["code"] == "unknown_site"


async def test_cors_is_the_sites_own_origins() -> None:
    async with serve(visitor_world().app) as client:
        r = await client.get(INFO, headers={"Origin": ACME_ORIGIN})
        assert r.status == 200 and r.headers["Access-Control-Allow-Origin"] == ACME_ORIGIN
        r = await client.get(INFO, headers={"Origin": GLOBEX_ORIGIN})
        assert r.status == 403 and "Access-Control-Allow-Origin" not in r.headers
        assert (await r.json())["error"]["code"] == "origin_not_allowed"
        preflight = {"Origin": ACME_ORIGIN, "Access-Control-Request-Method": "GET"}
        r = await client.options(INFO, headers=preflight)
        assert r.status == 204 and r.headers["Access-Control-Allow-Methods"] == "GET"


async def test_the_avatar_is_served_with_etag_cache_and_nosniff_then_304() -> None:
    vw = with_avatar(PNG)
    etag = f'"{checked_avatar(PNG).etag}"'
    async with serve(vw.app) as client:
        r = await client.get(AVATAR)
        assert r.status == 200 and await r.read() == PNG
        assert r.headers["Content-Type"] == "image/png"
        assert r.headers["ETag"] == etag
        assert r.headers["Cache-Control"] == "public, max-age=300"
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert "Content-Security-Policy" not in r.headers
        r = await client.get(AVATAR, headers={"If-None-Match": etag})
        assert r.status == 304 and await r.read() == b"" and r.headers["ETag"] == etag
        r = await client.get(AVATAR, headers={"If-None-Match": '"other"'})
        assert r.status == 200 and await r.read() == PNG
    assert vw.avatars.reads == 1  # the bytes came from the store once, then from the cache


async def test_an_svg_avatar_gets_a_sandboxing_content_security_policy() -> None:
    vw = with_avatar(SVG)
    async with serve(vw.app) as client:
        r = await client.get(AVATAR)
        assert r.status == 200 and await r.read() == SVG
        assert r.headers["Content-Type"] == "image/svg+xml"
        assert r.headers["Content-Security-Policy"] == (
            "default-src 'none'; style-src 'unsafe-inline'; sandbox"
        )
        assert r.headers["X-Content-Type-Options"] == "nosniff"


async def test_no_avatar_is_404() -> None:
    vw = visitor_world()
    async with serve(vw.app) as client:
        r = await client.get(AVATAR)
        assert r.status == 404 and (await r.json())["error"]["code"] == "no_avatar"
    assert vw.avatars.reads == 0
    vw = visitor_world(avatar_type="image/png", avatar_etag="gone")  # removed meanwhile
    async with serve(vw.app) as client:
        assert (await client.get(AVATAR)).status == 404


async def test_the_new_endpoints_answer_as_documented() -> None:
    vw = with_avatar(SVG)
    cases: list[tuple[str, dict[str, str], int]] = [
        (INFO, {}, 200),
        (INFO, {"Origin": GLOBEX_ORIGIN}, 403),
        ("/api/v1/sites/nope", {}, 404),
        (AVATAR, {}, 200),
        (AVATAR, {"If-None-Match": f'"{checked_avatar(SVG).etag}"'}, 304),
        ("/api/v1/sites/globex/avatar", {}, 404),
        ("/widget.js", {}, 200),
        ("/widget.css", {"Accept-Encoding": "gzip"}, 200),
    ]
    async with serve(vw.app) as client:
        for path, headers, expected in cases:
            template = {"/api/v1/sites/nope": INFO, "/api/v1/sites/globex/avatar": AVATAR}
            async with client.get(path, headers=headers) as r:
                assert r.status == expected, path
                body = await r.read()
                documented_answer(
                    template.get(path, path).replace("acme", "{slug}"),
                    "GET",
                    r.status,
                    r.content_type,
                    body,
                )
        for path in (INFO, AVATAR):
            r = await client.options(path, headers={"Origin": ACME_ORIGIN})
            documented_answer(path.replace("acme", "{slug}"), "OPTIONS", r.status, "", b"")
