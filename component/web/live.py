"""`GET /api/v1/chats/{chat}/live`: the visitor API's WebSocket (§7.1).

The handshake is checked like any /api/v1 request (the path's chat and site: 404; `Origin`: the
CORS middleware, the site's own origins only). A browser cannot set headers on a WebSocket, so the
token comes in the first frame, `{"type": "hello", "token", "after"}`, within HELLO_SECONDS; it is
checked as the HTTP endpoints check it (VisitorApi.authorize). Then the server sends every kept
event after `after`, in seq order, then the live ones as they come (a Subscription of WebVisitors;
the kept log, rebuilt once from the chat's history after a restart, is the source of truth, read
after the last seq sent, so nothing is sent twice and nothing is missed; what the capped log no
longer holds comes from the chat's history in pages first, WebVisitors.events_after, while the
subscription keeps the wake-ups that come meanwhile). After `closed` the server closes the socket.

Client frames after the hello, each counted per address as an HTTP request is, checked as the
HTTP bodies are and passed to the same steps:
`message` (VisitorApi.write, rate limited like POST messages; its seq comes back as the visitor's
own `message` event), `typing` (VisitorApi.typing), `page` (HelpDesk.visitor_page: the card keeps
it, the operator gets a rate-limited note; no HTTP twin, so long-poll clients send none). A bad
frame gets `{"type": "error", "error": {"code", "message"}}` and the socket stays open.

The socket declines permessage-deflate (browsers offer it): its zlib state would cost about 100 KB
per open widget (bench/web.py) to squeeze frames of a few hundred bytes.

A socket holds one of the connections its address and the server may hold (held.py: 429 or 503
before the handshake); once its hello proved the token it counts among its chat's sockets, and
past their cap it closes the chat's oldest (4409), as a reload would.

Close codes: 4400 bad hello, 4401 no or wrong token, 4403 another chat's token, 4408 no hello in
time, 4409 replaced by a newer socket of the chat, 1013 the client reads too slowly (reconnect
with `after`), 1000 the chat is closed, 1001 the server is stopping (reconnect), 1011 a failure
on our side.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import WSMsgType, web

from component.chat_events import ChatKey, Event
from component.errors import HelpDeskError
from component.models import Site
from component.web import visitor_input as check
from component.web.bodies import parse_object
from component.web.errors import ApiError, from_domain
from component.web.held import GOING_AWAY, HELD
from component.web.keys import CLIENT_IP
from component.web.pages import PageSaver
from component.web.ratelimits import RATE_LIMITS
from component.web.visitor_api import API, VisitorApi
from component.web.visitors import SUBSCRIPTION_LIMIT, Subscription

log = logging.getLogger(__name__)

HELLO_SECONDS = 10.0
HEARTBEAT_SECONDS = 30.0
MAX_FRAME_BYTES = 64 * 1024
QUEUE_LIMIT = SUBSCRIPTION_LIMIT  # wake-ups pending per socket before it counts as too slow

BAD_FRAME, UNAUTHORIZED, FORBIDDEN, HELLO_TIMEOUT = 4400, 4401, 4403, 4408
TOO_SLOW, CHAT_CLOSED, INTERNAL = 1013, 1000, 1011


_ENDED = (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED)  # as `async for` over a socket


class _Close(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


async def live(request: web.Request) -> web.StreamResponse:
    api = request.app[API]
    slug, number = check.chat_id(request)
    api.desk.state.site(slug)  # an unknown site is 404 before the handshake
    with request.app[HELD].held(request[CLIENT_IP]):  # 429/503 before the handshake
        ws = web.WebSocketResponse(
            heartbeat=HEARTBEAT_SECONDS, max_msg_size=MAX_FRAME_BYTES, compress=False
        )
        await ws.prepare(request)  # from here on, nothing may reach the error middleware
        try:
            await _session(request, ws, api, slug, number)
        except _Close as close:
            await ws.close(code=close.code, message=close.reason.encode())
        except Exception:
            log.exception("the live WebSocket of a chat failed")
            await ws.close(code=INTERNAL, message=b"something went wrong on our side")
    return ws


async def _session(
    request: web.Request, ws: web.WebSocketResponse, api: VisitorApi, slug: str, number: int
) -> None:
    hello = await _hello(ws)
    try:
        site, entry = await api.authorize(slug, number, hello.token)
    except ApiError as error:
        raise _Close(FORBIDDEN if error.status == 403 else UNAUTHORIZED, error.message) from None
    key = (site.id, number)
    if entry is None:  # closed already: what is left to see, from its log or the archive
        sent = hello.after
        while events := await api.visitors.events_after(site, key, sent):
            for event in events:
                await ws.send_json(event.to_json())
            sent = events[-1].seq
        raise _Close(CHAT_CLOSED, "the chat is closed")
    await _serve(request, ws, api, site, key, hello.after)


async def _serve(
    request: web.Request,
    ws: web.WebSocketResponse,
    api: VisitorApi,
    site: Site,
    key: ChatKey,
    after: int,
) -> None:
    """Send the chat's events after `after` (the sender) while reading the client's frames."""
    sender = _Sender(ws, api, site, key, after)
    with (
        request.app[HELD].joined(key, sender),  # the chat's oldest may go
        api.visitors.subscribe(key, sender.wake, QUEUE_LIMIT) as subscription,
    ):
        await api.visitors.history(site, key)  # rebuilt once (after a restart) before sending
        sender.start(subscription)
        try:  # the sender closes the socket when it ends, which ends the reading
            await _read_frames(request, ws, api, site, key[1])
        except ConnectionError:
            pass  # a client gone mid-send is no failure
        finally:  # the socket is gone or closed: nothing more to send
            await sender.stop()


async def _hello(ws: web.WebSocketResponse) -> check.Hello:
    try:
        message = await ws.receive(timeout=HELLO_SECONDS)
    except TimeoutError:
        raise _Close(HELLO_TIMEOUT, "no hello in time") from None
    if message.type is not WSMsgType.TEXT:
        raise _Close(BAD_FRAME, "the first frame must be a JSON hello")
    try:
        return check.hello(parse_object(message.data))
    except ApiError as error:
        raise _Close(UNAUTHORIZED if error.status == 401 else BAD_FRAME, error.message) from None


class _Sender:
    """Sends a chat's events to its socket: the kept events after the last seq sent whenever the
    log changed, live ones between; pages of the chat's history one after another while the log
    lacks what follows the last seq sent. Its task runs only while there is something to send,
    started by the subscription's wake-ups: an idle socket has none (the frames are read in the
    handler's own task), where a sender and a reader task cost about 3.4 KB per open widget.

    When the chat is closed, the client too slow or sending fails, it closes the socket, which
    ends the reading of its frames."""

    def __init__(
        self, ws: web.WebSocketResponse, api: VisitorApi, site: Site, key: ChatKey, after: int
    ) -> None:
        self._ws, self._api, self._site, self._key = ws, api, site, key
        self._sent = after
        self._subscription: Subscription | None = None
        self._task: asyncio.Task[None] | None = None
        self._ended = False
        self._ending: tuple[int, str] | None = None

    def start(self, subscription: Subscription) -> None:
        """Send what is kept after `after`, then each wake-up of `subscription`."""
        self._subscription = subscription
        self.wake()

    def end(self, code: int, reason: str) -> None:
        """Close the socket with `code` (a newer one took its place, or the server stops)."""
        self._ending = (code, reason)
        self.wake()

    def wake(self) -> None:
        if self._task is None and self._subscription is not None and not self._ended:
            self._task = asyncio.create_task(self._run(self._subscription))

    async def stop(self) -> None:
        """Nothing more is sent (a send under way is cancelled)."""
        self._ended = True
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self, subscription: Subscription) -> None:
        try:
            await self._send(subscription)
        except _Close as close:
            self._ended = True
            await self._ws.close(code=close.code, message=close.reason.encode())
        except ConnectionError:
            self._ended = True  # a client gone mid-send is no failure; the reading ends too
        except Exception:
            self._ended = True
            log.exception("the live WebSocket of a chat failed")
            await self._ws.close(code=INTERNAL, message=b"something went wrong on our side")

    async def _send(self, subscription: Subscription) -> None:
        visitors, site, key, ws = self._api.visitors, self._site, self._key, self._ws
        live: Event | None = None
        while True:
            paged = not visitors.holds(key, self._sent)  # the log lacks some: a history page
            events = await visitors.events_after(site, key, self._sent)
            for event in events:
                await ws.send_json(event.to_json())
                self._sent = event.seq
                if event.type == "closed":
                    raise _Close(CHAT_CLOSED, "the chat is closed")
            if paged and events:
                continue  # what follows the page, before waiting for anything new
            if live is not None:
                await ws.send_json(live.to_json())
            if self._ending is not None:  # end() may come while this task runs: checked here
                raise _Close(*self._ending)
            if not subscription.pending:  # no await since: the next wake-up starts a task
                self._task = None
                return
            live = subscription.take()
            if subscription.overflowed:
                raise _Close(TOO_SLOW, "too slow; reconnect with after")


async def _read_frames(
    request: web.Request, ws: web.WebSocketResponse, api: VisitorApi, site: Site, number: int
) -> None:
    pages = PageSaver(api.store, site.id, number, api.desk.state.clock)
    try:
        while (message := await ws.receive()).type not in _ENDED:  # `async for` costs a frame
            if message.type is not WSMsgType.TEXT:
                if message.type is WSMsgType.ERROR:
                    return
                await _error(ws, ApiError(400, "bad_frame", "send JSON text frames"))
                continue
            try:
                request.app[RATE_LIMITS].request(request[CLIENT_IP])  # each, as its HTTP twin
                page = _frame(request, api, site, number, parse_object(message.data))
            except ApiError as error:
                await _error(ws, error)
            except HelpDeskError as error:
                await _error(ws, from_domain(error))
            else:
                if page is not None:
                    await pages.saw(page)
    finally:
        await pages.flush()


def _frame(
    request: web.Request, api: VisitorApi, site: Site, number: int, frame: dict[str, object]
) -> tuple[str, str] | None:
    """Pass one client frame on; for a `page` frame, the page (URL, title) as the chat's card
    keeps it."""
    kind, body = check.frame_type(frame), check.without_type(frame)
    if kind == "message":
        text = check.message(body)
        api.write(site, number, request.app[RATE_LIMITS], request[CLIENT_IP], text)
    elif kind == "typing":
        api.typing(site, number, check.typing(body))
    else:
        url, title = check.page(body)
        entry = api.desk.chats.get(site.id, number)  # now: the chat may have closed or moved
        if entry is not None:  # the desk rate-limits the operator's notes
            api.desk.visitor_page(site.slug, entry.chat.visitor, url, title)
            return entry.card.page, entry.card.page_title
    return None


async def _error(ws: web.WebSocketResponse, error: ApiError) -> None:
    body: dict[str, object] = {"code": error.code, "message": error.message}
    if "Retry-After" in error.headers:
        body["retry_after"] = int(error.headers["Retry-After"])
    if not ws.closed:
        await ws.send_json({"type": "error", "error": body})


async def _going_away(app: web.Application) -> None:
    app[HELD].end_all(GOING_AWAY, "the server is stopping; reconnect")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/chats/{chat}/live", live, allow_head=False)
    app.on_shutdown.append(_going_away)
