"""The help desk's use cases: visitor wrote, operator wrote, presence changed, settings reloaded.

The only layer that orders I/O. It is synchronous on purpose: adapters call it in stanza order and
it never awaits, so a chat's messages cannot overtake each other; the archive is appended to and
written behind (archive.ArchiveWriter). Must not import slixmpp, aiomysql or aiohttp.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace

from component import texts
from component.addresses import Addresses
from component.archive import OperatorUpdate
from component.chats import ChatBook, OpenChat, transition
from component.directory import Directory
from component.errors import EmptyMessage, MessageTooLong, NotAllowed, UnknownChat, UnknownSite
from component.models import (
    ChatState,
    Message,
    Operator,
    Sender,
    Show,
    Site,
    VisitorKind,
)
from component.ports import ArchiveSink, PresenceType, VisitorTransport, XmppOut
from component.presence import PresenceTable, idle_since
from component.routing import Candidate, Decision, Outcome, RouteOptions, SiteRouter

log = logging.getLogger(__name__)

MAX_NAME_CHARS = 200


class HelpDesk:
    def __init__(
        self,
        *,
        addresses: Addresses,
        archive: ArchiveSink,
        out: XmppOut,
        visitors: Mapping[VisitorKind, VisitorTransport],
        clock: Callable[[], float],
        rng: random.Random,
        max_body_chars: int,
    ) -> None:
        self.addresses = addresses
        self.archive = archive
        self.out = out
        self.visitors = visitors
        self.clock = clock
        self.rng = rng
        self.max_body_chars = max_body_chars
        self.directory = Directory()
        self.presence = PresenceTable()
        self.chats = ChatBook()
        self.connected = False
        self._routers: dict[int, SiteRouter] = {}
        self._last_replied: dict[str, float] = {}
        self._decisions: dict[tuple[int, int], Decision] = {}

    # -- start-up, connection and settings ---------------------------------------------------

    def restore(self, last_numbers: dict[int, int], open_chats: list[OpenChat]) -> None:
        """Take back the chats that were open when the component last stopped."""
        self.chats.restore(last_numbers, open_chats)
        self._rebuild_routers()

    def apply_directory(self, newer: Directory) -> None:
        """Use reloaded sites and operators; greet new operators, release removed ones."""
        for op in newer.operators():
            known = self.directory.operator(op.site_id, op.jid)
            if known is not None and (known.last_assigned_at or 0) > (op.last_assigned_at or 0):
                newer.update_operator(replace(op, last_assigned_at=known.last_assigned_at))
        change = self.directory.diff(newer)
        self.directory = newer
        self._rebuild_routers()
        if self.connected:
            for site, op in change.added:
                self._greet(site, op)
            for site, op in change.removed:
                desk = self.addresses.desk(site.slug)
                self.out.send_presence(desk, op.jid, PresenceType.UNSUBSCRIBED)
                self.out.send_presence(desk, op.jid, PresenceType.UNSUBSCRIBE)
        self._drain_all_queues()

    def on_connected(self) -> None:
        """(Re)connected to the server: forget stale presence, greet and probe every operator."""
        self.connected = True
        self.presence.clear()
        self._rebuild_routers()
        for site in self.directory.sites():
            for op in self.directory.operators(site.id):
                self._greet(site, op)

    def on_disconnected(self) -> None:
        self.connected = False

    # -- visitors ----------------------------------------------------------------------------

    def visitor_wrote(
        self, slug: str, visitor: str, kind: VisitorKind, name: str, body: str
    ) -> None:
        site = self._site(slug)
        body = self._checked_body(body)
        now = self.clock()
        entry = self.chats.of_visitor(site.id, visitor)
        if entry is None:
            entry = self.chats.open(site.id, visitor, kind, clean_name(name) or visitor, now)
            self.archive.add_chat(entry.chat)
            self._record(entry, Sender.VISITOR, visitor, body, now)
            self._route_new(site, entry, now)
            return
        message = self._record(entry, Sender.VISITOR, visitor, body, now)
        if entry.chat.state is ChatState.ASSIGNED and entry.chat.operator is not None:
            chat_jid = self.addresses.chat(site.slug, entry.chat.number)
            self.out.send_message(chat_jid, entry.chat.operator, message.body)

    # -- operators ---------------------------------------------------------------------------

    def operator_wrote_chat(self, jid: str, slug: str, number: int, body: str) -> None:
        site = self._site(slug)
        operator = self.directory.operator(site.id, jid)
        if operator is None:
            raise NotAllowed(f"only operators of {site.slug} may write to its chats")
        body = self._checked_body(body)
        chat_jid = self.addresses.chat(site.slug, number)
        entry = self.chats.get(site.id, number)
        if entry is None:
            if not self.chats.existed(site.id, number):
                raise UnknownChat(f"there is no chat {site.slug}.{number}")
            self.out.send_message(chat_jid, jid, texts.chat_closed(site, number))
        elif entry.chat.operator != jid:
            self.out.send_message(chat_jid, jid, texts.chat_not_yours(site, number))
        elif body.startswith("/") and not body.startswith("//"):
            self._chat_command(site, operator, entry, body)
        else:
            self._operator_said(site, entry, jid, body.removeprefix("/"))

    def operator_wrote_desk(self, jid: str, slug: str, body: str) -> None:
        site = self._site(slug)
        if self.directory.operator(site.id, jid) is None:
            raise NotAllowed(f"{jid} is not an operator of {site.slug}")
        body = self._checked_body(body)
        desk = self.addresses.desk(site.slug)
        reply = texts.DESK_HELP if body.split()[0] == "/help" else texts.desk_unknown(site, body)
        self.out.send_message(desk, jid, reply)

    def is_operator_of(self, jid: str, slug: str) -> bool:
        site = self.directory.site(slug)
        return site is not None and self.directory.operator(site.id, jid) is not None

    # -- presence and subscriptions ----------------------------------------------------------

    def presence_available(
        self,
        jid: str,
        resource: str,
        show: Show,
        status: str,
        priority: int,
        client_idle_since: float | None,
    ) -> None:
        if not self.directory.is_operator(jid):
            return
        now = self.clock()
        self.presence.set_available(jid, resource, show, status, priority, client_idle_since, now)
        self._refresh(jid)
        for site, _ in self.directory.memberships(jid):
            self._drain_queue(site, now)

    def presence_unavailable(self, jid: str, resource: str) -> None:
        if self.directory.is_operator(jid):
            self.presence.set_unavailable(jid, resource)
            self._refresh(jid)

    def subscription_requested(self, jid: str, slug: str) -> None:
        """An operator asks to see the desk's presence: granted to the site's operators only."""
        site = self.directory.site(slug)
        operator = None if site is None else self.directory.operator(site.id, jid)
        desk = self.addresses.desk(slug)
        if site is None or operator is None:
            self.out.send_presence(desk, jid, PresenceType.UNSUBSCRIBED)
            return
        self.out.send_presence(desk, jid, PresenceType.SUBSCRIBED)
        self.out.send_presence(desk, jid, PresenceType.AVAILABLE)
        if not operator.subscribed:
            self.out.send_presence(desk, jid, PresenceType.SUBSCRIBE)

    def subscription_granted(self, jid: str, slug: str, granted: bool) -> None:
        """The operator approved (or revoked) the desk's subscription to their presence."""
        site = self.directory.site(slug)
        operator = None if site is None else self.directory.operator(site.id, jid)
        if site is None or operator is None or operator.subscribed == granted:
            return
        self.directory.update_operator(replace(operator, subscribed=granted))
        now = self.clock() if granted else None
        self.archive.add_operator_update(
            OperatorUpdate(site.id, jid, subscribed_at=now, unsubscribed=not granted)
        )

    def probed(self, jid: str, slug: str) -> None:
        if self.is_operator_of(jid, slug):
            self.out.send_presence(self.addresses.desk(slug), jid, PresenceType.AVAILABLE)

    # -- internals ---------------------------------------------------------------------------

    def _site(self, slug: str) -> Site:
        site = self.directory.site(slug)
        if site is None:
            raise UnknownSite(f"there is no site {slug!r} here")
        return site

    def _checked_body(self, body: str) -> str:
        if not body.strip():
            raise EmptyMessage("empty message")
        if len(body) > self.max_body_chars:
            raise MessageTooLong(f"message longer than {self.max_body_chars} characters")
        return body

    def _greet(self, site: Site, op: Operator) -> None:
        desk = self.addresses.desk(site.slug)
        self.out.send_presence(desk, op.jid, PresenceType.AVAILABLE)
        if not op.subscribed:
            self.out.send_presence(desk, op.jid, PresenceType.SUBSCRIBE)
        self.out.send_presence(desk, op.jid, PresenceType.PROBE)

    def _record(
        self, entry: OpenChat, sender: Sender, author: str, body: str, now: float
    ) -> Message:
        message = self.chats.add_message(entry, sender, author, body, now)
        self.archive.add_message(message)
        return message

    def _tell_visitor(self, site: Site, entry: OpenChat, body: str, now: float) -> None:
        self._record(entry, Sender.SYSTEM, self.addresses.desk(site.slug), body, now)
        self.visitors[entry.chat.visitor_kind].deliver(site, entry.chat, body)

    def _operator_said(self, site: Site, entry: OpenChat, jid: str, body: str) -> None:
        now = self.clock()
        self._record(entry, Sender.OPERATOR, jid, body, now)
        self.visitors[entry.chat.visitor_kind].deliver(site, entry.chat, body)
        self._last_replied[jid] = now
        self._refresh(jid)

    def _chat_command(self, site: Site, operator: Operator, entry: OpenChat, body: str) -> None:
        word = body.split(maxsplit=1)[0]
        chat_jid = self.addresses.chat(site.slug, entry.chat.number)
        if word == "/close":
            self._close(site, operator, entry)
        elif word == "/help":
            self.out.send_message(chat_jid, operator.jid, texts.CHAT_HELP)
        else:
            self.out.send_message(chat_jid, operator.jid, texts.chat_unknown_command(word))

    def _close(self, site: Site, operator: Operator, entry: OpenChat) -> None:
        now = self.clock()
        number = entry.chat.number
        self._record(entry, Sender.SYSTEM, operator.jid, texts.system_closed_by(operator.name), now)
        self._tell_visitor(site, entry, texts.VISITOR_CLOSED, now)
        closed = transition(entry.chat, ChatState.CLOSED, now)
        self.chats.set_state(entry, closed)
        self.archive.add_chat(closed)
        self._decisions.pop((site.id, number), None)
        chat_jid = self.addresses.chat(site.slug, number)
        self.out.send_message(chat_jid, operator.jid, texts.operator_closed(site, number))
        log.info("chat %s.%d closed by %s", site.slug, number, operator.jid)
        self._refresh(operator.jid)
        self._drain_queue(site, now)

    def _route(self, site: Site) -> Decision:
        options = RouteOptions(
            default_operator=site.settings.default_operator,
            target_operator=site.settings.target_operator,
        )
        return self._router(site).route(options, self.clock(), self.rng)

    def _route_new(self, site: Site, entry: OpenChat, now: float) -> None:
        decision = self._route(site)
        if decision.outcome is Outcome.ASSIGN and decision.operator is not None:
            self._assign(site, entry, decision, now)
            return
        log.info(
            "chat %s.%d queued: %s", site.slug, entry.chat.number, decision.rule or decision.outcome
        )
        self._tell_visitor(site, entry, texts.VISITOR_QUEUED, now)

    def _drain_queue(self, site: Site, now: float) -> None:
        for entry in self.chats.queued(site.id):
            decision = self._route(site)
            if decision.outcome is not Outcome.ASSIGN or decision.operator is None:
                return
            self._assign(site, entry, decision, now)

    def _drain_all_queues(self) -> None:
        now = self.clock()
        for site in self.directory.sites():
            self._drain_queue(site, now)

    def _assign(self, site: Site, entry: OpenChat, decision: Decision, now: float) -> None:
        jid = decision.operator
        operator = None if jid is None else self.directory.operator(site.id, jid)
        if jid is None or operator is None:
            return
        chat = transition(entry.chat, ChatState.ASSIGNED, now, jid)
        self.chats.set_state(entry, chat)
        self.archive.add_chat(chat)
        self._decisions[(site.id, chat.number)] = decision
        self.directory.record_assignment(site.id, jid, now)
        self.archive.add_operator_update(OperatorUpdate(site.id, jid, last_assigned_at=now))
        desk = self.addresses.desk(site.slug)
        self._record(entry, Sender.SYSTEM, desk, texts.system_assigned(operator.name, jid), now)
        log.info("chat %s.%d -> %s (%s)", site.slug, chat.number, jid, decision.rule)
        self._refresh(jid)
        self._send_backlog(site, entry, jid, now)

    def _send_backlog(self, site: Site, entry: OpenChat, jid: str, now: float) -> None:
        """Give the operator the header and every visitor message so far."""
        chat = entry.chat
        from_visitor = [m for m in entry.transcript if m.sender is Sender.VISITOR]
        chat_jid = self.addresses.chat(site.slug, chat.number)
        nick = f"{chat.visitor_name} ({site.slug})"
        self.out.send_message(
            chat_jid, jid, texts.chat_header(site, chat, from_visitor[0], now), nick=nick
        )
        for message in from_visitor[1:]:
            self.out.send_message(chat_jid, jid, message.body)
        entry.operator_told = True

    def _router(self, site: Site) -> SiteRouter:
        router = self._routers.get(site.id)
        if router is None:
            router = self._routers[site.id] = SiteRouter(site.settings.strategy)
        return router

    def _rebuild_routers(self) -> None:
        self._routers = {}
        for site in self.directory.sites():
            router = self._router(site)
            for op in self.directory.operators(site.id):
                if op.enabled:
                    router.upsert(self._candidate(site, op))

    def _refresh(self, jid: str) -> None:
        """Tell the routers of every site of this operator what changed about them."""
        for site, op in self.directory.memberships(jid):
            if op.enabled:
                self._router(site).upsert(self._candidate(site, op))
            else:
                self._router(site).remove(jid)

    def _candidate(self, site: Site, op: Operator) -> Candidate:
        presence = self.presence
        return Candidate(
            jid=op.jid,
            name=op.name,
            priority=op.priority,
            tier=presence.tier_of(op.jid),
            accepting=not presence.is_dnd(op.jid),
            open_chats=self.chats.open_count(site.id, op.jid),
            max_chats=op.max_chats or site.settings.max_chats,
            last_assigned_at=op.last_assigned_at,
            idle_since=idle_since(
                op.last_assigned_at,
                self._last_replied.get(op.jid),
                presence.available_since(op.jid),
            ),
        )

    def open_chats_of(self, jid: str) -> Iterator[OpenChat]:
        return self.chats.assigned_to(jid)


def clean_name(name: str) -> str:
    """A display name without control characters, at most MAX_NAME_CHARS long."""
    printable = "".join(ch for ch in name if ch.isprintable())
    return " ".join(printable.split())[:MAX_NAME_CHARS]
