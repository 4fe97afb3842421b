"""The visitor API's rate limits (§7.1): chats started, messages sent and feedback left, per
client address and per site or chat, and every request to /api/v1 per client address (WebSocket
handshakes, long polls, typing, each client frame of a WebSocket), as configured under
http.rate_limits and kept by the one VisitorLimits the XMPP side uses too (a site's chats started
count both kinds of visitor). A refused request gets 429 with Retry-After and changes nothing: it
is checked before the desk is called, and a request one limit refuses takes no token from the
others.

An IPv6 client is counted by its /64 (one subscriber's usual allocation), so walking through the
addresses of one network does not multiply its allowance.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Awaitable, Callable

from aiohttp import web

from component.ratelimit import retry_after
from component.visitor_limits import VisitorLimits
from component.web.errors import ApiError
from component.web.keys import CLIENT_IP

API_PREFIX = "/api/v1/"
UNCOUNTED = frozenset({"/api/v1/openapi.json"})


@functools.lru_cache(maxsize=4096)  # parsing an address costs more than the bucket arithmetic
def client_key(ip: str) -> str:
    """The key a client address is counted under: itself, or its /64 for IPv6."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class RateLimits:
    """The visitor limits (component.visitor_limits) as the web sees them: a refusal is 429."""

    def __init__(self, limits: VisitorLimits) -> None:
        self._limits = limits

    def request(self, ip: str) -> None:
        """Count one request to the API from `ip`; ApiError 429 when over the limit."""
        _refuse_over(self._limits.web_request(client_key(ip)))

    def start_chat(self, ip: str, site_id: int) -> None:
        """Count a chat started from `ip` on the site; ApiError 429 when over a limit."""
        _refuse_over(self._limits.web_chat(client_key(ip), site_id))

    def send_message(self, ip: str, chat: tuple[int, int]) -> None:
        """Count a message from `ip` in the chat; ApiError 429 when over a limit."""
        _refuse_over(self._limits.web_message(client_key(ip), chat))

    def notify(self, site_id: int) -> None:
        """Count a notification from the site's server; ApiError 429 when over its limit."""
        _refuse_over(self._limits.site_notify(site_id))

    def feedback_wait(self, ip: str, site_id: int) -> int:
        """Count feedback left from `ip` at the site: 0, or the whole seconds to wait when over
        a limit (the caller refuses it, in the visitor's language)."""
        wait = self._limits.web_feedback(client_key(ip), site_id)
        return retry_after(wait) if wait > 0 else 0


def _refuse_over(wait: float) -> None:
    if wait > 0:
        raise ApiError(
            429, "rate_limited", "too many requests; try again later", retry_after=retry_after(wait)
        )


RATE_LIMITS = web.AppKey("rate_limits", RateLimits)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def requests_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every API request counts against its client's address (preflights and the OpenAPI
    description excepted: a browser sends the one by itself, the other is a static document)."""
    counted = request.path.startswith(API_PREFIX) and request.path not in UNCOUNTED
    if counted and request.method != "OPTIONS":
        request.app[RATE_LIMITS].request(request[CLIENT_IP])
    return await handler(request)
