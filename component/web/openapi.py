"""`GET /api/v1/openapi.json`: the OpenAPI 3.1 description of the web side (SPEC §7.1).

The description is component/web/openapi.json, package data, read once when the routes are added
and served as it is, with an ETag; tests/web/test_openapi.py holds the running app to it.
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources

from aiohttp import web

from component.web.etags import unchanged

PATH = "/api/v1/openapi.json"


def description() -> dict[str, object]:
    """The shipped description, parsed."""
    loaded: dict[str, object] = json.loads(_raw())
    return loaded


def _raw() -> bytes:
    return resources.files("component.web").joinpath("openapi.json").read_bytes()


def add_routes(app: web.Application) -> None:
    body = _raw()
    json.loads(body)  # a broken file fails at startup, not on the first request
    etag = hashlib.sha256(body).hexdigest()[:32]

    async def openapi(request: web.Request) -> web.Response:
        if unchanged(request, f'"{etag}"'):
            return web.Response(status=304, headers={"ETag": f'"{etag}"'})
        return web.Response(
            body=body, content_type="application/json", headers={"ETag": f'"{etag}"'}
        )

    app.router.add_get(PATH, openapi)
