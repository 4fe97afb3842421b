"""The visitor API over fakes: a HelpDesk of tests/unit/fakes.py, a token store in memory."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from aiohttp import web

from component.chat_events import ChatHistory, ChatKey, shown_on_web
from component.config import HttpConfig
from component.desk.helpdesk import HelpDesk
from component.desk.notify import Notifier
from component.directory import Directory
from component.idempotency import Seen, StoredRequest, seen
from component.metrics import Metrics
from component.models import VisitorKind, WebChat
from component.site_web import Avatar
from component.web.app import build_app
from component.web.health import Health
from component.web.notify_api import NotifyApi
from component.web.visitor_api import VisitorApi
from component.web.visitors import WebVisitors
from tests.unit.fakes import ACME, ALICE, BOB, GLOBEX, MALLORY, FakeArchive, World, make_world
from tests.web.helpers import FakeDatabase

ACME_ORIGIN = "https://shop.acme.test"
GLOBEX_ORIGIN = "https://globex.test"


@dataclass
class FakeWebChatStore:
    """The WebChatStore of component.web.visitor_api in memory; `web_history` reads `archive`,
    the desk's fake archive, as the archive repository reads the database."""

    chats: list[WebChat] = field(default_factory=list)
    archive: FakeArchive = field(default_factory=FakeArchive)
    failure: Exception | None = None

    async def add_web_chat(self, chat: WebChat) -> None:
        if self.failure is not None:
            raise self.failure
        self.chats.append(chat)

    async def token_hash_of(self, site_id: int, number: int) -> str | None:
        found = [c.token_hash for c in self.chats if (c.site_id, c.number) == (site_id, number)]
        return found[0] if found else None

    async def is_known_hash(self, token_hash: str) -> bool:
        return any(c.token_hash == token_hash for c in self.chats)

    async def set_page(self, site_id: int, number: int, page: str, title: str) -> None:
        for index, chat in enumerate(self.chats):
            if (chat.site_id, chat.number) == (site_id, number):
                card = dataclasses.replace(chat.card, page=page, page_title=title)
                self.chats[index] = dataclasses.replace(chat, card=card)

    async def web_history(self, key: ChatKey, limit: int, after: int | None) -> ChatHistory:
        rows = [c for c in self.archive.chats if (c.site_id, c.number) == key]
        messages = [m for m in self.archive.messages if (m.site_id, m.chat_number) == key]
        last_seq = max((m.seq for m in messages), default=0)
        closed_at = rows[-1].closed_at if rows else None
        shown = [m for m in messages if shown_on_web(m)]
        page = shown[-limit:] if after is None else [m for m in shown if m.seq > after][:limit]
        return ChatHistory(page, last_seq, closed_at)


@dataclass
class FakeAvatars:
    """The AvatarStore of component.web.site_api in memory, by site id; counts its reads."""

    images: dict[int, Avatar] = field(default_factory=dict)
    reads: int = 0

    async def get_avatar(self, site_id: int) -> Avatar | None:
        self.reads += 1
        return self.images.get(site_id)


@dataclass
class FakeNotifyRequests:
    """The NotifyRequestStore of component.web.notify_api in memory, deciding as the table's
    repository does (component.idempotency); `purged_before` records each purge."""

    rows: dict[tuple[int, str], StoredRequest] = field(default_factory=dict)
    purged_before: list[float] = field(default_factory=list)

    async def claim(
        self, site_id: int, key: str, request_hash: str, now: float
    ) -> StoredRequest | None:
        stored = self.rows.get((site_id, key))
        if seen(stored, request_hash, now) is not Seen.NEW:
            return stored
        self.rows[(site_id, key)] = StoredRequest(request_hash, "", now)
        return None

    async def complete(self, site_id: int, key: str, answer: str) -> None:
        self.rows[(site_id, key)] = replace(self.rows[(site_id, key)], answer=answer)

    async def release(self, site_id: int, key: str, request_hash: str) -> None:
        stored = self.rows.get((site_id, key))
        if stored is not None and stored.request_hash == request_hash and not stored.answer:
            del self.rows[(site_id, key)]

    async def purge(self, before: float) -> int:
        self.purged_before.append(before)
        old = [k for k, v in self.rows.items() if v.created_at < before]
        for k in old:
            del self.rows[k]
        return len(old)


def notify_api(
    world_desk: HelpDesk, clock: Callable[[], float]
) -> tuple[NotifyApi, FakeNotifyRequests]:
    """The notification API over the desk, its keys in memory."""
    requests = FakeNotifyRequests()
    return NotifyApi(world_desk, Notifier(world_desk.state), requests, clock), requests


@dataclass
class VisitorWorld:
    world: World
    store: FakeWebChatStore
    app: web.Application
    avatars: FakeAvatars
    notify_requests: FakeNotifyRequests


def visitor_world(
    config: HttpConfig | None = None, public_url: str | None = None, **acme_settings: Any
) -> VisitorWorld:
    """acme allows ACME_ORIGIN (and has `acme_settings`), globex GLOBEX_ORIGIN; Alice (acme) is
    online."""
    world = make_world()
    acme = dataclasses.replace(ACME.settings, origins=(ACME_ORIGIN,), **acme_settings)
    sites = [
        dataclasses.replace(ACME, settings=acme),
        dataclasses.replace(
            GLOBEX, settings=dataclasses.replace(GLOBEX.settings, origins=(GLOBEX_ORIGIN,))
        ),
    ]
    world.desk.apply_directory(Directory(sites, (ALICE, BOB, MALLORY)))
    world.online(ALICE.jid)
    store = FakeWebChatStore(archive=world.archive)

    async def flush() -> None:
        return None

    visitors = WebVisitors(world.clock)
    visitors.attach(world.desk, store.web_history, public_url)
    state = world.desk.state
    state.visitors = {**state.visitors, VisitorKind.WEB: visitors}  # the desk's web transport
    api = VisitorApi(world.desk, visitors, store, flush)
    health = Health(lambda: True, FakeDatabase().ping)
    avatars = FakeAvatars()
    notify, requests = notify_api(world.desk, world.clock)
    app = build_app(
        config or HttpConfig(),
        health=health,
        metrics=Metrics(),
        visitor_api=api,
        avatars=avatars,
        notify=notify,
        clock=world.clock,  # the rate limits' time too
    )
    return VisitorWorld(world, store, app, avatars, requests)
