"""Reading request bodies: a JSON object or an ApiError (415, 413, 400), nothing half-read."""

from __future__ import annotations

import json

from aiohttp import web

from component.web.errors import ApiError


async def json_object(request: web.Request) -> dict[str, object]:
    """The body as a JSON object; its size is capped by the app's client_max_size (413)."""
    if request.content_type != "application/json":
        raise ApiError(415, "unsupported_media_type", "send a JSON body (application/json)")
    raw = await request.read()  # raises HTTPRequestEntityTooLarge past client_max_size
    return parse_object(raw)


def parse_object(raw: bytes | str) -> dict[str, object]:
    """A JSON object of a body or a WebSocket frame; ApiError 400 `bad_json` otherwise."""
    try:
        value = json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
    except (UnicodeDecodeError, ValueError, RecursionError):  # too deep: RecursionError
        raise ApiError(400, "bad_json", "the body is not valid UTF-8 JSON") from None
    if not isinstance(value, dict):
        raise ApiError(400, "bad_json", "the body must be a JSON object")
    return value
