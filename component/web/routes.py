"""The route pattern a request matched, for logs and metric labels (never the raw path)."""

from __future__ import annotations

from aiohttp import web

UNMATCHED = "unmatched"
"""No route matched (unknown path, or a method the path does not take)."""


def route_of(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return UNMATCHED if resource is None else resource.canonical
