"""`GET /api/v1/sites/{slug}` and the site's avatar over the real stack: settings from MariaDB,
presence from a real operator's client, the avatar's bytes read from the database."""

from __future__ import annotations

import aiohttp
import pytest

from component.admin import web_changes
from component.models import Tier
from component.site_web import checked_avatar
from tests.integration.helpdesk_fixtures import Desk
from tests.integration.test_http import url

pytestmark = pytest.mark.integration

ORIGIN = "https://shop.acme.test"
SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 2 2"><circle cx="1" cy="1" r="1"/></svg>'
)


async def info(desk: Desk, **headers: str) -> tuple[int, dict[str, object]]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(url(desk, "/api/v1/sites/acme"), headers=headers) as r,
    ):
        return r.status, await r.json()


async def test_the_site_info_follows_presence_settings_and_the_avatar(desk: Desk) -> None:
    changes = web_changes(origins=ORIGIN, visitor_choice=True, lang="ru", avatar=SVG)
    await desk.admin.set_site("acme", changes)
    alice = desk.user("alice")
    await desk.add_operator("acme", alice, "Alice")
    await desk.start_component()

    status, body = await info(desk, Origin=ORIGIN)
    avatar = url(desk, "/api/v1/sites/acme/avatar")
    assert status == 200
    assert body == {
        "slug": "acme",
        "name": "Acme Inc.",
        "online": False,
        "lang": "ru",
        "feedback_form": False,
        "avatar": avatar,
        "welcome": "",
        "operators": [],
    }
    client = await desk.operator_online(alice)
    _, body = await info(desk)
    assert body["online"] is True
    (row,) = await desk.rows("SELECT id FROM operators WHERE jid = %s", alice)
    assert body["operators"] == [{"id": row[0], "name": "Alice", "avatar": avatar}]
    assert (await info(desk, Origin="https://evil.test"))[0] == 403

    etag = f'"{checked_avatar(SVG).etag}"'
    async with aiohttp.ClientSession() as http:
        async with http.get(avatar) as r:
            assert r.status == 200 and await r.read() == SVG
            assert r.headers["Content-Type"] == "image/svg+xml"
            assert r.headers["ETag"] == etag
            assert "sandbox" in r.headers["Content-Security-Policy"]
        async with http.get(avatar, headers={"If-None-Match": etag}) as r:
            assert r.status == 304

    await client.stop()
    await desk.wait_for(lambda: desk.service.presence.tier_of(alice) is Tier.OFFLINE)
    _, body = await info(desk)
    assert (body["online"], body["operators"]) == (False, [])
