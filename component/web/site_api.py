"""`GET /api/v1/sites/{slug}` (what the widget shows before a chat) and the site's avatar.

The site info is component.site_info's pure shape over the desk's directory and presence. The
avatar is read from the database through AvatarStore and kept in a small cache keyed by its ETag
(a new image has a new ETag, so nothing stale is served); a request whose `If-None-Match` names
the ETag the directory knows gets 304 without touching the database. CORS is the visitor API's
(the site's origins), done by the middleware.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Protocol

from aiohttp import web

from component.desk.helpdesk import HelpDesk
from component.models import Site
from component.site_info import AVATAR_PATH, site_info
from component.site_web import Avatar
from component.web.errors import ApiError
from component.web.etags import unchanged

AVATAR_CACHE_ENTRIES = 64  # at most 256 KiB each (site_web.MAX_AVATAR_BYTES): 16 MiB at worst
AVATAR_CACHE_CONTROL = "public, max-age=300"
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


class AvatarStore(Protocol):
    async def get_avatar(self, site_id: int) -> Avatar | None: ...


@dataclass(slots=True)
class SiteApi:
    """The desk (sites, operators, presence), the avatar store, and where browsers reach us."""

    desk: HelpDesk
    avatars: AvatarStore
    public_url: str | None
    _cache: OrderedDict[str, Avatar] = field(default_factory=OrderedDict)

    def info(self, slug: str, base_url: str) -> dict[str, object]:
        site = self.desk.state.site(slug)
        state = self.desk.state
        online = [
            op
            for op in self.desk.directory.operators(site.id)
            if op.enabled and state.is_online(site, op.jid)
        ]
        return site_info(site, online, self.public_url or base_url)

    async def avatar(self, site: Site) -> Avatar | None:
        etag = site.settings.avatar_etag
        if etag is not None and etag in self._cache:
            self._cache.move_to_end(etag)
            return self._cache[etag]
        image = await self.avatars.get_avatar(site.id)
        if image is not None:
            self._cache[image.etag] = image
            while len(self._cache) > AVATAR_CACHE_ENTRIES:
                self._cache.popitem(last=False)
        return image


SITE_API = web.AppKey("site_api", SiteApi)


async def get_site(request: web.Request) -> web.Response:
    api = request.app[SITE_API]
    base_url = f"{request.scheme}://{request.host}"
    return web.json_response(api.info(request.match_info["slug"], base_url))


async def get_avatar(request: web.Request) -> web.Response:
    api = request.app[SITE_API]
    site = api.desk.state.site(request.match_info["slug"])
    known = site.settings.avatar_etag
    if known is not None and unchanged(request, f'"{known}"'):
        return web.Response(status=304, headers=_avatar_headers(known, None))
    image = await api.avatar(site) if known is not None else None
    if image is None:
        raise ApiError(404, "no_avatar", f"site {site.slug!r} has no avatar")
    headers = _avatar_headers(image.etag, image.content_type)
    return web.Response(body=image.data, content_type=image.content_type, headers=headers)


def _avatar_headers(etag: str, content_type: str | None) -> dict[str, str]:
    headers = {
        "ETag": f'"{etag}"',
        "Cache-Control": AVATAR_CACHE_CONTROL,
        "X-Content-Type-Options": "nosniff",
    }
    if content_type == "image/svg+xml":
        headers["Content-Security-Policy"] = SVG_POLICY
    return headers


def add_routes(app: web.Application, api: SiteApi) -> None:
    app[SITE_API] = api
    app.router.add_get("/api/v1/sites/{slug}", get_site)
    app.router.add_get(AVATAR_PATH, get_avatar)
