"""One structured access-log line per request, and the HTTP request counter.

Logged: method, route pattern (never the raw path or query, where tokens travel), status,
duration and client address; never a header. Unknown methods and paths are folded ("other",
"unmatched") so neither the log nor the metric labels grow with what clients invent.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from component.web.keys import CLIENT_IP
from component.web.proxies import Network, client_ip
from component.web.routes import route_of

access_log = logging.getLogger("component.web.access")

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
CLIENT_CLOSED = 499  # nginx's word for a request the client gave up on


def access_middleware(
    trusted: Sequence[Network], count: Callable[[str, str, int], None]
) -> Middleware:
    """Log and count every request; set request[CLIENT_IP] for the handlers."""

    @web.middleware
    async def log_access(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        forwarded = ",".join(request.headers.getall("X-Forwarded-For", ()))
        request[CLIENT_IP] = client_ip(request.remote, forwarded, trusted)
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        except asyncio.CancelledError:
            status = CLIENT_CLOSED
            raise
        finally:
            method = request.method if request.method in METHODS else "other"
            route, took = route_of(request), (time.perf_counter() - started) * 1000
            count(route, method, status)
            _log(method, route, status, took, request[CLIENT_IP])

    return log_access


def _log(method: str, route: str, status: int, took: float, client: str) -> None:
    access_log.info(
        "method=%s route=%s status=%d duration_ms=%.1f client=%s",
        method,
        route,
        status,
        took,
        client,
        extra={
            "http_method": method,
            "http_route": route,
            "http_status": status,
            "http_duration_ms": round(took, 1),
            "http_client": client,
        },
    )
