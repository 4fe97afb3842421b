"""The visitor API's chat endpoints (§7.1): start a chat, write, type, wait for events, close.

Each handler checks its input (visitor_input.py), calls one desk use case, answers in JSON.
Starting a chat and writing are rate limited (ratelimits.py) after the input is checked (the
text too, as the desk checks it) and before the desk is called, so a refused request changes
nothing, and a refused text takes no token.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from aiohttp import web

from component import texts
from component.chats import OpenChat
from component.desk.helpdesk import HelpDesk
from component.errors import ChatClosed
from component.identity import Identity, InvalidIdentity, verify
from component.models import ChatState, Site, Typing, VisitorCard, VisitorKind, WebChat
from component.tokens import new_token, new_visitor_id, token_hash, token_matches
from component.visitor_card import make_card
from component.web import visitor_input as check
from component.web.bodies import json_object
from component.web.errors import ApiError
from component.web.held import HELD
from component.web.keys import CLIENT_IP
from component.web.ratelimits import RATE_LIMITS, RateLimits
from component.web.visitors import WebVisitors


class WebChatStore(Protocol):
    async def add_web_chat(self, chat: WebChat) -> None: ...

    async def token_hash_of(self, site_id: int, number: int) -> str | None: ...

    async def is_known_hash(self, token_hash: str) -> bool: ...

    async def set_page(self, site_id: int, number: int, page: str, title: str) -> None: ...


@dataclass(frozen=True, slots=True)
class VisitorApi:
    """What the handlers use: the desk, the web transport, the token store."""

    desk: HelpDesk
    visitors: WebVisitors
    store: WebChatStore
    flush_archive: Callable[[], Awaitable[None]]  # a chat's row is stored before its token's

    def visitor_of(self, site: Site, start: check.StartChat) -> tuple[str, VisitorCard]:
        """The new chat's visitor name and card: a signed identity verified (its name and e-mail
        win), a chosen operator checked. ApiError 400 for a bad identity or choice."""
        identity = self._identity(site, start.identity) if start.identity else None
        card = make_card(
            email=start.email,
            page=start.page,
            referrer=start.referrer,
            lang=start.lang,
            identity=identity,
            chosen_operator=None if start.operator is None else self._chosen(site, start.operator),
        )
        return (identity.name if identity and identity.name else start.name), card

    def _identity(self, site: Site, identity: str) -> Identity:
        try:
            return verify(identity, site.settings.api_key, self.desk.state.clock())
        except InvalidIdentity as error:
            raise ApiError(400, "invalid_identity", str(error)) from None

    def _chosen(self, site: Site, operator_id: int) -> str:
        """The JID of the operator a visitor picked (their id in the site's operator list)."""
        if not site.settings.visitor_choice:
            raise ApiError(400, "choice_disabled", "this site does not let visitors pick operators")
        found = (op for op in self.desk.directory.operators(site.id) if op.id == operator_id)
        operator = next(found, None)
        if operator is None or not operator.enabled:
            raise ApiError(400, "unknown_operator", "there is no such operator at this site")
        return operator.jid

    async def start(
        self, site: Site, start: check.StartChat, name: str, card: VisitorCard
    ) -> dict[str, object]:
        token, visitor, slug = new_token(), new_visitor_id(), site.slug
        message = self.desk.visitor_wrote(
            slug, visitor, VisitorKind.WEB, name, start.text, card=card, lang=start.lang
        )
        self.visitors.visitor_said(site, message)
        answer = self.describe(site, self.desk.chats.get(site.id, message.chat_number))
        number, hashed = message.chat_number, token_hash(token)
        try:
            await self.flush_archive()
            await self.store.add_web_chat(WebChat(site.id, number, hashed, card))
        except BaseException:
            self.desk.visitor_closed(slug, visitor)  # nobody could ever write to it or close it
            raise
        return {"chat": f"{slug}.{message.chat_number}", "token": token, **answer}

    def describe(self, site: Site, entry: OpenChat | None) -> dict[str, object]:
        """The chat's state for its visitor: queued (and where), assigned (to whom), offline."""
        if entry is None or entry.chat.state is ChatState.QUEUED:
            position = entry.told_position if entry is not None else 0
            return {"state": "queued", **({"position": position} if position else {})}
        operator = self.desk.directory.operator(site.id, entry.chat.operator or "")
        online = self.desk.state.is_online(site, entry.chat.operator)
        avatar = self.visitors.avatar_url(site)
        named = {"operator": {"name": operator.name, "avatar": avatar}} if operator else {}
        return {"state": "assigned" if online else "offline", **named}

    async def open_chat(self, request: web.Request) -> tuple[Site, OpenChat | None]:
        """The chat of the path when the request's token is its own (401, 403 otherwise)."""
        slug, number = check.chat_id(request)
        return await self.authorize(slug, number, check.bearer(request))

    async def authorize(self, slug: str, number: int, token: str) -> tuple[Site, OpenChat | None]:
        """The chat when `token` is its own: ApiError 401, or 403 for another chat's token."""
        site = self.desk.state.site(slug)
        stored = await self.store.token_hash_of(site.id, number)
        if stored is None or not token_matches(token, stored):
            if await self.store.is_known_hash(token_hash(token)):
                raise ApiError(403, "forbidden", "this token belongs to another chat")
            raise ApiError(401, "unauthorized", "a valid token is needed")
        return site, self.desk.chats.get(site.id, number)

    def write(self, site: Site, number: int, limits: RateLimits, ip: str, text: str) -> int:
        """The visitor's message (checked text) into chat `number`, rate limited; its seq.
        ChatClosed (409) when the chat closed meanwhile: the chat is read here, after every await
        of the request, and the desk checks it again as it writes, so nothing new is opened."""
        entry = self.desk.chats.get(site.id, number)
        if entry is None:
            raise ChatClosed(texts.chat_closed(site, number))
        self.desk.state.checked_body(text)  # a refused text takes no token
        limits.send_message(ip, (site.id, number))
        message = self.desk.visitor_wrote_in(site.slug, number, entry.chat.visitor, text)
        self.visitors.visitor_said(site, message)
        return message.seq

    def typing(self, site: Site, number: int, state: Typing) -> None:
        """The visitor's typing, passed on (dropped quietly, as for XMPP visitors, while nobody
        holds the chat); ChatClosed (409) when the chat is closed."""
        entry = self.desk.chats.get(site.id, number)
        if entry is None:
            raise ChatClosed(texts.chat_closed(site, number))
        self.desk.signals.visitor_typing(site.slug, entry.chat.visitor, state)


API = web.AppKey("visitor_api", VisitorApi)


async def start_chat(request: web.Request) -> web.Response:
    api, slug = request.app[API], request.match_info["slug"]
    start = check.start_chat(await json_object(request))
    site = api.desk.state.site(slug)  # an unknown site is 404 before anything is counted
    name, card = api.visitor_of(site, start)  # a bad identity or choice is not counted either
    api.desk.state.checked_body(start.text)  # nor a refused text
    api.desk.feedback.refuse_chat(site, card)  # nor a chat refused as nobody is online (409)
    spoken = api.desk.state.spoken(site, start.lang)
    api.desk.state.check_room(site, spoken)  # nor a chat the site has no room for (503 busy)
    request.app[RATE_LIMITS].start_chat(request[CLIENT_IP], site.id)
    answer = await api.start(site, start, name, card)
    return web.json_response(answer, status=201)


async def post_message(request: web.Request) -> web.Response:
    api = request.app[API]
    site, _ = await api.open_chat(request)
    text = check.message(await json_object(request))
    number = check.chat_id(request)[1]
    seq = api.write(site, number, request.app[RATE_LIMITS], request[CLIENT_IP], text)
    return web.json_response({"seq": seq}, status=202)


async def post_typing(request: web.Request) -> web.Response:
    api = request.app[API]
    site, _ = await api.open_chat(request)
    state = check.typing(await json_object(request))
    api.typing(site, check.chat_id(request)[1], state)
    return web.Response(status=204)


async def get_events(request: web.Request) -> web.Response:
    api = request.app[API]
    site, _ = await api.open_chat(request)
    after, wait = check.after_and_wait(request.query)
    number = check.chat_id(request)[1]
    if wait <= 0:
        events = await api.visitors.wait(site, (site.id, number), after, wait)
    else:
        with request.app[HELD].held(request[CLIENT_IP]):  # a waiting poll holds a connection
            events = await api.visitors.wait(site, (site.id, number), after, wait)
    return web.json_response({"events": [e.to_json() for e in events]})


async def close_chat(request: web.Request) -> web.Response:
    api = request.app[API]
    site, entry = await api.open_chat(request)
    if entry is not None:  # closing a closed chat again changes nothing
        api.desk.visitor_closed(site.slug, entry.chat.visitor)
    return web.Response(status=204)


def add_routes(app: web.Application, api: VisitorApi) -> None:
    app[API] = api
    app.router.add_post("/api/v1/sites/{slug}/chats", start_chat)
    app.router.add_post("/api/v1/chats/{chat}/messages", post_message)
    app.router.add_post("/api/v1/chats/{chat}/typing", post_typing)
    app.router.add_get("/api/v1/chats/{chat}/events", get_events)
    app.router.add_post("/api/v1/chats/{chat}/close", close_chat)
