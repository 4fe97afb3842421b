"""Error answers of the HTTP side: `{"error": {"code", "message"}}` with the right status.

One middleware turns ApiError (input the web side refused), the desk's domain errors, aiohttp's
own HTTP errors (no route: 404, wrong method: 405, too large: 413) and anything unexpected (500,
telling nothing of the inside) into that JSON.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from aiohttp import web
from aiohttp.typedefs import Handler

from component.errors import (
    ArchiveFull,
    ChatClosed,
    DeskFull,
    EmptyMessage,
    FeedbackOff,
    HelpDeskError,
    InvalidInput,
    MessageTooLong,
    NobodyOnline,
    NotAllowed,
    UnknownChat,
    UnknownSite,
)
from component.web.routes import route_of

log = logging.getLogger(__name__)

ARCHIVE_FULL_RETRY_SECONDS = 5
DESK_FULL_RETRY_SECONDS = 60
_RETRY: dict[type[HelpDeskError], int] = {
    ArchiveFull: ARCHIVE_FULL_RETRY_SECONDS,
    DeskFull: DESK_FULL_RETRY_SECONDS,
}
"""Retry-After of the 503s the desk answers (the archive catches up fast; chats close slowly)."""


class ApiError(Exception):
    """A request the web side refuses: HTTP `status`, a stable `code`, a message for people."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        retry_after: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})
        if retry_after is not None:
            self.headers["Retry-After"] = str(retry_after)


_DOMAIN: dict[type[HelpDeskError], tuple[int, str]] = {
    UnknownSite: (404, "unknown_site"),
    UnknownChat: (404, "unknown_chat"),
    ChatClosed: (409, "closed"),
    NotAllowed: (403, "forbidden"),
    EmptyMessage: (400, "empty_message"),
    MessageTooLong: (413, "too_large"),
    InvalidInput: (400, "invalid"),
    ArchiveFull: (503, "busy"),
    DeskFull: (503, "busy"),
    NobodyOnline: (409, "offline"),
    FeedbackOff: (409, "feedback_off"),
}

_HTTP: dict[int, tuple[str, str]] = {
    400: ("bad_request", "the request could not be read"),
    401: ("unauthorized", "a valid token is needed"),
    403: ("forbidden", "not allowed"),
    404: ("not_found", "there is nothing here"),
    405: ("method_not_allowed", "this method is not allowed here"),
    413: ("too_large", "the request body is too large"),
    415: ("unsupported_media_type", "send application/json"),
    429: ("rate_limited", "too many requests; try again later"),
}


def from_domain(error: HelpDeskError) -> ApiError:
    status, code = next(
        (_DOMAIN[cls] for cls in type(error).__mro__ if cls in _DOMAIN), (400, "bad_request")
    )
    retry = next((_RETRY[cls] for cls in type(error).__mro__ if cls in _RETRY), None)
    return ApiError(status, code, error.text, retry_after=retry)


def from_http(exc: web.HTTPException) -> ApiError:
    default = ("internal" if exc.status >= 500 else "error", exc.reason)
    code, message = _HTTP.get(exc.status, default)
    kept = {name: exc.headers[name] for name in ("Allow", "Retry-After") if name in exc.headers}
    return ApiError(exc.status, code, message, headers=kept)


def error_response(error: ApiError) -> web.Response:
    body = {"error": {"code": error.code, "message": error.message}}
    return web.json_response(body, status=error.status, headers=error.headers)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as error:
        return error_response(error)
    except HelpDeskError as error:
        return error_response(from_domain(error))
    except web.HTTPException as exc:
        if exc.status < 400:
            raise  # redirects and 304 stay what they are
        return error_response(from_http(exc))
    except Exception:
        log.exception("%s %s failed", request.method, route_of(request))
        return error_response(ApiError(500, "internal", "something went wrong on our side"))
