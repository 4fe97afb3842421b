"""Conditional GETs: whether a request's `If-None-Match` already names the representation's ETag.

One rule for every cached answer (the widget's files, avatars, the OpenAPI description): the tags
are compared weakly (a `W/` prefix ignored) and `*` matches any (RFC 9110 §13.1.2).
"""

from __future__ import annotations

from aiohttp import web


def unchanged(request: web.Request, etag: str) -> bool:
    """Whether `If-None-Match` names `etag` (quoted, as the `ETag` header sends it) or is `*`."""
    sent = request.headers.get("If-None-Match", "")
    tags = {tag.strip().removeprefix("W/") for tag in sent.split(",")}
    return "*" in tags or etag in tags
