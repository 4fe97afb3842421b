"""`GET /widget.js` and `GET /widget.css`: the embeddable chat widget (SPEC §7.2), package data.

Each file is read and gzip-compressed once when the routes are added. Answers carry an ETag (the
file's hash; the gzip copy, another representation, has its own), `304` on `If-None-Match`, gzip
when the client accepts it (`Vary: Accept-Encoding`), a short public cache time, and
`Access-Control-Allow-Origin: *` (any page may load them).
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from importlib import resources

from aiohttp import web

from component.web.etags import unchanged

CACHE_CONTROL = "public, max-age=300"
FILES = {
    "widget.js": "application/javascript",
    "widget.css": "text/css",
}


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    gzipped: bytes
    content_type: str
    etag: str

    @classmethod
    def of(cls, body: bytes, content_type: str) -> Asset:
        etag = hashlib.sha256(body).hexdigest()[:32]
        return cls(body, gzip.compress(body, mtime=0), content_type, etag)


def load(name: str) -> Asset:
    body = resources.files("component.web").joinpath("widget", name).read_bytes()
    return Asset.of(body, FILES[name])


def _accepts_gzip(request: web.Request) -> bool:
    """Whether `Accept-Encoding` names gzip (or `*`) with a weight above zero."""
    for part in request.headers.get("Accept-Encoding", "").split(","):
        coding, *params = (piece.strip() for piece in part.split(";"))
        if coding.lower() in ("gzip", "*") and _weight(params) > 0:
            return True
    return False


def _weight(params: list[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def answer(request: web.Request, asset: Asset) -> web.Response:
    """`asset` as the request asks for it: 304 when unchanged, gzip when accepted."""
    gzipped = _accepts_gzip(request)
    etag = f'"{asset.etag}-gzip"' if gzipped else f'"{asset.etag}"'
    headers = {
        "ETag": etag,
        "Cache-Control": CACHE_CONTROL,
        "Vary": "Accept-Encoding",
        "Access-Control-Allow-Origin": "*",
        "X-Content-Type-Options": "nosniff",
    }
    if unchanged(request, etag):
        return web.Response(status=304, headers=headers)
    body = asset.gzipped if gzipped else asset.body
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    return web.Response(
        body=body, headers=headers, content_type=asset.content_type, charset="utf-8"
    )


def add_routes(app: web.Application) -> None:
    for name in FILES:
        asset = load(name)

        async def handler(request: web.Request, asset: Asset = asset) -> web.Response:
            return answer(request, asset)

        app.router.add_get(f"/{name}", handler)
