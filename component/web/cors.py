"""CORS for the visitor API (§7.1): only the origins configured for the request's own site.

The site comes from the path: `{slug}` on site routes, `<slug>.<number>` of `{chat}` on chat
routes, so one site's origin never opens another site's chats. A request without `Origin` is not
a cross-origin browser request (curl, a site's server) and passes untouched. A refused origin gets
403 in the JSON error format, for the preflight and for the request itself (so a "simple" request
the browser sends without a preflight changes nothing either), and no CORS headers.

Only routes under /api/v1/ take part; /healthz and /metrics send no CORS headers at all. The
routes for sites' own servers (the notification API, which takes the site's API key) are never
for browsers: any `Origin` there is refused, preflights included.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from component.web.errors import ApiError, error_response

API_PREFIX = "/api/v1/"
ALLOW_HEADERS = "Content-Type, Authorization"
EXPOSE_HEADERS = "Retry-After"
_CHAT_SLUG = re.compile(r"([a-z0-9-]{1,32})\.[1-9][0-9]{0,9}")
SERVER_ONLY = frozenset({"/api/v1/sites/{slug}/notify"})
"""Routes for sites' servers: no Origin is allowed there."""

OriginsOf = Callable[[str], tuple[str, ...]]
"""A site's allowed origins by slug; () for an unknown site (nothing is allowed)."""


def site_slug(request: web.Request) -> str | None:
    """The site a visitor API request is about, read from its path; None when there is none (or
    the route is for sites' servers only)."""
    resource = request.match_info.route.resource
    if resource is not None and resource.canonical in SERVER_ONLY:
        return None
    info = request.match_info
    if "slug" in info:
        return info["slug"]
    if "chat" in info:
        found = _CHAT_SLUG.fullmatch(info["chat"])
        return None if found is None else found[1]
    return None


def is_api(request: web.Request) -> bool:
    resource = request.match_info.route.resource
    return resource is not None and resource.canonical.startswith(API_PREFIX)


def cors_middleware(origins_of: OriginsOf, max_age: int) -> Middleware:
    """Check `Origin` against the site's origins; answer preflights; add CORS headers."""

    @web.middleware
    async def cors(request: web.Request, handler: Handler) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if origin is None or not is_api(request):
            return await handler(request)
        slug = site_slug(request)
        if slug is None or origin not in origins_of(slug):
            return error_response(ApiError(403, "origin_not_allowed", "this origin is not allowed"))
        if request.method == "OPTIONS":
            response: web.StreamResponse = _preflight(request, max_age)
        else:
            response = await handler(request)
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
        response.headers.add("Vary", "Origin")
        return response

    return cors


def _preflight(request: web.Request, max_age: int) -> web.Response:
    resource = request.match_info.route.resource
    assert resource is not None  # is_api() matched a resource
    methods = sorted({route.method for route in resource} - {"OPTIONS", "HEAD"})
    return web.Response(
        status=204,
        headers={
            "Access-Control-Allow-Methods": ", ".join(methods),
            "Access-Control-Allow-Headers": ALLOW_HEADERS,
            "Access-Control-Max-Age": str(max_age),
        },
    )


async def _no_preflight(request: web.Request) -> web.Response:
    """Reached only by an OPTIONS request without Origin: no CORS, nothing to say."""
    return web.Response(status=204, headers={"Allow": _allow(request)})


def _allow(request: web.Request) -> str:
    resource = request.match_info.route.resource
    assert resource is not None
    return ", ".join(sorted({route.method for route in resource}))


def add_preflight_routes(app: web.Application) -> None:
    """An OPTIONS route beside every /api/v1/ resource, so a preflight matches its route."""
    for resource in list(app.router.resources()):
        if not isinstance(resource, web.Resource) or not resource.canonical.startswith(API_PREFIX):
            continue
        if "OPTIONS" not in {route.method for route in resource}:
            resource.add_route("OPTIONS", _no_preflight)
