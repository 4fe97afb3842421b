"""`POST /api/v1/sites/{slug}/notify` (SPEC §6, §7.1): a site's server tells its operators
something, with the site's API key; for servers, never browsers (no CORS: cors.py refuses any
`Origin` here, since a page calling it would show the key to everyone).

In order: the site (404), the key (401, compared in constant time; a wrong key or another site's
takes nothing, not even a token of the site's rate limit), the body (400, 413, 415), the optional
`Idempotency-Key` (a repeat answered from notify_requests, 422 for another body, 409 while the
first is being answered), the site's rate limit (429), then the use case; its answer is stored
under the key before it is given. A request refused after its key was claimed frees the key.
Expired keys are purged every hour.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from aiohttp import web

from component.desk.helpdesk import HelpDesk
from component.desk.notify import Audience, Notification, Notifier
from component.idempotency import (
    KEY_TTL_SECONDS,
    Seen,
    StoredRequest,
    request_hash,
    seen,
    valid_key,
)
from component.models import Site
from component.web.bodies import json_object
from component.web.errors import ApiError
from component.web.ratelimits import RATE_LIMITS, RateLimits

log = logging.getLogger(__name__)

PATH = "/api/v1/sites/{slug}/notify"
MAX_TEXT_CHARS = 2000
MAX_URL_CHARS = 2000
PURGE_EVERY_SECONDS = 3600.0
IN_PROGRESS_RETRY_SECONDS = 1


class NotifyRequestStore(Protocol):
    """component.storage.notify_requests.NotifyRequestRepository."""

    async def claim(
        self, site_id: int, key: str, request_hash: str, now: float
    ) -> StoredRequest | None: ...

    async def complete(self, site_id: int, key: str, answer: str) -> None: ...

    async def release(self, site_id: int, key: str, request_hash: str) -> None: ...

    async def purge(self, before: float) -> int: ...


@dataclass(frozen=True, slots=True)
class NotifyApi:
    """What the handler uses: the desk (sites and their keys), the use case, the key store and
    the wall clock (POSIX seconds, for keys' ages)."""

    desk: HelpDesk
    notifier: Notifier
    requests: NotifyRequestStore
    clock: Callable[[], float]

    def authorize(self, site: Site, request: web.Request) -> None:
        """ApiError 401 unless the request carries the site's own API key."""
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        expected = site.settings.api_key
        if scheme.lower() != "bearer" or not expected:
            raise _unauthorized()
        if not hmac.compare_digest(given.strip().encode(), expected.encode()):
            raise _unauthorized()

    def send(self, site: Site, note: Notification, limits: RateLimits) -> dict[str, object]:
        """Within the site's rate limit (429 otherwise), the use case; the answer's body."""
        limits.notify(site.id)
        return {"delivered_to": self.notifier.notify(site, note)}

    async def once(
        self, site: Site, key: str, note: Notification, limits: RateLimits
    ) -> dict[str, object]:
        """`send`, once per key and request: a repeat gets the stored answer."""
        hashed = request_hash(_values(note))
        stored = await self.requests.claim(site.id, key, hashed, self.clock())
        if stored is not None:
            return _repeated(stored, seen(stored, hashed, self.clock()))
        try:
            answer = self.send(site, note, limits)
        except Exception:
            await self.requests.release(site.id, key, hashed)  # refused: nothing was sent
            raise
        await self.requests.complete(site.id, key, json.dumps(answer))
        return answer


NOTIFY_API = web.AppKey("notify_api", NotifyApi)


async def notify(request: web.Request) -> web.Response:
    api = request.app[NOTIFY_API]
    site = api.desk.state.site(request.match_info["slug"])  # 404 before anything else
    api.authorize(site, request)
    note = notification(await json_object(request))
    key, limits = idempotency_key(request), request.app[RATE_LIMITS]
    if key is None:
        return web.json_response(api.send(site, note, limits), status=202)
    return web.json_response(await api.once(site, key, note, limits), status=202)


def notification(body: dict[str, object]) -> Notification:
    """The body checked: `text` (1 to 2,000 characters), `url` (http or https, optional), `to`."""
    unknown = sorted(set(body) - {"text", "url", "to"})
    if unknown:
        raise ApiError(400, "invalid", f"unknown field `{unknown[0]}`")
    text, url, to = body.get("text"), body.get("url", ""), body.get("to")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT_CHARS:
        raise ApiError(400, "invalid", f"`text` is 1 to {MAX_TEXT_CHARS} characters")
    if not isinstance(url, str) or (url and not _web_url(url)):
        raise ApiError(
            400, "invalid", f"`url` is an http(s) URL of at most {MAX_URL_CHARS} characters"
        )
    if to not in (Audience.ONLINE.value, Audience.ALL.value):
        raise ApiError(400, "invalid", '`to` is "online" or "all"')
    return Notification(text.strip(), url, Audience(str(to)))


def idempotency_key(request: web.Request) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is not None and not valid_key(key):
        raise ApiError(400, "invalid", "`Idempotency-Key` is 1 to 255 visible ASCII characters")
    return key


def _web_url(url: str) -> bool:
    if len(url) > MAX_URL_CHARS or not url.isprintable():
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _values(note: Notification) -> dict[str, object]:
    return {"text": note.text, "url": note.url, "to": note.audience.value}


def _repeated(stored: StoredRequest, outcome: Seen) -> dict[str, object]:
    if outcome is Seen.REPLAY:
        answer: dict[str, object] = json.loads(stored.answer)
        return answer
    if outcome is Seen.MISMATCH:
        raise ApiError(
            422, "idempotency_key_reused", "this Idempotency-Key was used for another request"
        )
    raise ApiError(
        409,
        "in_progress",
        "a request with this Idempotency-Key is being answered",
        retry_after=IN_PROGRESS_RETRY_SECONDS,
    )


def _unauthorized() -> ApiError:
    return ApiError(
        401,
        "unauthorized",
        "the site's API key is needed (Authorization: Bearer <key>)",
        headers={"WWW-Authenticate": 'Bearer realm="helperchat"'},
    )


def add_routes(app: web.Application, api: NotifyApi) -> None:
    app[NOTIFY_API] = api
    app.router.add_post(PATH, notify)
    app.cleanup_ctx.append(_purging)


async def _purging(app: web.Application) -> AsyncIterator[None]:
    """Forget expired Idempotency-Keys now and every PURGE_EVERY_SECONDS while the app runs."""
    task = asyncio.create_task(_purge_loop(app[NOTIFY_API]))
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _purge_loop(api: NotifyApi) -> None:
    while True:
        try:
            gone = await api.requests.purge(api.clock() - KEY_TTL_SECONDS)
            if gone:
                log.info("forgot %d expired Idempotency-Key(s)", gone)
        except Exception:
            log.exception("purging expired Idempotency-Keys failed; trying again later")
        await asyncio.sleep(PURGE_EVERY_SECONDS)
