"""The help desk's use cases: visitor wrote, operator wrote, presence changed, timer fired, reload.

The only layer that orders I/O. It is synchronous on purpose: adapters call it in stanza order and
it never awaits, so a chat's messages cannot overtake each other; the archive is appended to and
written behind (archive.ArchiveWriter). Operator commands live in commands.py. Must not import
slixmpp, aiomysql or aiohttp.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from functools import wraps
from typing import Concatenate, ParamSpec, TypeVar

from component import texts
from component.addresses import Addresses
from component.archive import OperatorUpdate
from component.chats import ChatBook, OpenChat, transition
from component.commands import run_chat_command, run_desk_command
from component.directory import Directory
from component.errors import (
    ArchiveFull,
    EmptyMessage,
    MessageTooLong,
    NotAllowed,
    UnknownChat,
    UnknownSite,
)
from component.models import (
    Chat,
    ChatState,
    Message,
    Operator,
    Sender,
    Show,
    Site,
    Tier,
    VisitorKind,
)
from component.ports import ArchiveSink, VisitorTransport, XmppOut
from component.presence import PresenceTable, idle_since
from component.roster import DeskRoster
from component.routing import Candidate, Decision, Outcome, RouteOptions, SiteRouter

log = logging.getLogger(__name__)

MAX_NAME_CHARS = 200
PRESENCE_SETTLE_SECONDS = 3.0
"""After (re)connecting, how long operators' presence may take to come back before their open
chats count as abandoned and move to someone else."""


MAX_REBALANCE_ROUNDS = 8
"""A use case ends by rebalancing the sites where a slot freed; rebalancing can free more."""

_P = ParamSpec("_P")
_R = TypeVar("_R")


def use_case(
    method: Callable[Concatenate[HelpDesk, _P], _R],
) -> Callable[Concatenate[HelpDesk, _P], _R]:
    """Mark an entry point: when the outermost one returns, sites where a slot freed rebalance.

    Every slot an operator loses (close, transfer, timeout, move, requeue) is noted in one place,
    `HelpDesk._set_state`, and served here: no path that frees a slot can forget the queue.
    """

    @wraps(method)
    def run(desk: HelpDesk, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        desk._depth += 1
        try:
            return method(desk, *args, **kwargs)
        finally:
            desk._depth -= 1
            if desk._depth == 0:
                desk._rebalance_freed()

    return run


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
        jid_form: Callable[[str], str],
        on_archive_full: Callable[[], None] = lambda: None,
    ) -> None:
        """`jid_form` gives a JID's XMPP normal form (ValueError for no JID), for typed JIDs;
        `on_archive_full` counts each message refused because the archive is at its cap."""
        self.addresses = addresses
        self.jid_form = jid_form
        self.on_archive_full = on_archive_full
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
        self.last_replied: dict[str, float] = {}
        self._routers: dict[int, SiteRouter] = {}
        self._settle_until: float | None = None
        self._heard: set[tuple[int, str]] = set()  # (site, operator) heard since (re)connecting
        self._freed: set[int] = set()  # sites where a slot freed during the current use case
        self._depth = 0
        self._disconnected_at: float | None = None
        self.roster = DeskRoster(self)

    # -- start-up, connection and settings ---------------------------------------------------

    def restore(self, last_numbers: dict[int, int], open_chats: list[OpenChat]) -> None:
        """Take back the chats that were open when the component last stopped.

        Queued visitors were told their place, and nothing moved while the component was down:
        what they were told is their place now, so a restart tells them nothing again.
        """
        for entry in open_chats:
            assigned = entry.chat.state is ChatState.ASSIGNED
            if assigned and not entry.answered:
                entry.waiting_since = entry.chat.assigned_at
            entry.handed = assigned or any(m.sender is Sender.OPERATOR for m in entry.transcript)
        self.chats.restore(last_numbers, open_chats)
        for site_id in {entry.chat.site_id for entry in open_chats}:
            for position, entry in enumerate(self.chats.queued(site_id), start=1):
                entry.told_position = position
        self._rebuild_routers()

    @use_case
    def apply_directory(self, newer: Directory) -> None:
        """Use reloaded sites and operators; greet new operators, release removed ones."""
        for op in newer.operators():
            known = self.directory.operator(op.site_id, op.jid)
            if known is not None:
                newer.update_operator(_merge_runtime(op, known))
        if newer.same_as(self.directory):
            return
        change = self.directory.diff(newer)
        self.directory = newer
        for site, op in change.removed:
            self._forget_membership(site, op)
        self._rebuild_routers()
        if self.connected:
            for site, op in change.added:
                self.roster.greet(site, op)
            for site, op in change.removed:
                self.roster.release(site, op)
        self.rebalance_all()

    @use_case
    def on_connected(self) -> None:
        """(Re)connected to the server: forget stale presence, greet and probe every operator.

        Answer timeouts were held while disconnected: unanswered chats get the outage back.
        """
        now = self.clock()
        self.connected = True
        self._settle_until = now + PRESENCE_SETTLE_SECONDS
        if self._disconnected_at is not None:
            outage = now - self._disconnected_at
            for entry in self.chats.assigned():
                if not entry.answered and entry.waiting_since is not None:
                    entry.waiting_since += outage
            self._disconnected_at = None
        self._heard.clear()
        self.presence.clear()
        self._rebuild_routers()
        for site in self.directory.sites():
            for op in self.directory.operators(site.id):
                self.roster.greet(site, op)

    @use_case
    def on_disconnected(self) -> None:
        """Lost the server: presence is unknown; no timeout runs and no chat moves until back."""
        if self.connected:
            self._disconnected_at = self.clock()
        self.connected = False
        self._settle_until = None
        self.presence.clear()
        self._rebuild_routers()

    @use_case
    def on_tick(self) -> None:
        """Timer: chats whose operator has not answered within the site's answer timeout move on.

        Nothing runs while disconnected or while presence settles after (re)connecting.
        """
        if not self.connected:
            return
        now = self.clock()
        if self._settle_until is not None:
            if now < self._settle_until:
                return
            self._settle_until = None
            self.rebalance_all()  # whoever did not come back by now has really gone
        for entry in list(self.chats.assigned()):
            site = self.directory.site_by_id(entry.chat.site_id)
            overdue = _answer_overdue(entry, site, now)
            if overdue and self._is_online(site, entry.chat.operator):
                self._reassign_overdue(site, entry, now)

    # -- visitors ----------------------------------------------------------------------------

    @use_case
    def visitor_wrote(
        self, slug: str, visitor: str, kind: VisitorKind, name: str, body: str
    ) -> None:
        site = self.site(slug)
        body = self._checked_body(body)
        now = self.clock()
        entry = self.chats.of_visitor(site.id, visitor)
        if entry is None:
            shown = clean_name(name) or clean_name(visitor)
            entry = self.chats.open(site.id, visitor, kind, shown, now)
            self.archive.add_chat(entry.chat)
            self.record(entry, Sender.VISITOR, visitor, body, now)
            self._route_new(site, entry, now)
            return
        message = self.record(entry, Sender.VISITOR, visitor, body, now)
        operator = entry.chat.operator
        if entry.chat.state is ChatState.ASSIGNED and self._is_member(site, operator):
            chat_jid = self.addresses.chat(site.slug, entry.chat.number)
            self.out.send_message(chat_jid, operator or "", message.body)

    # -- operators ---------------------------------------------------------------------------

    def operator_of(self, site: Site, jid: str, what: str) -> Operator:
        operator = self.directory.operator(site.id, jid)
        if operator is None:
            raise NotAllowed(f"only operators of {site.slug} may {what}")
        return operator

    @use_case
    def operator_wrote_chat(self, jid: str, slug: str, number: int, body: str) -> None:
        site = self.site(slug)
        operator = self.operator_of(site, jid, "write to its chats")
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
            run_chat_command(self, site, operator, entry, body)
        else:
            self._operator_said(site, entry, jid, body.removeprefix("/"))

    @use_case
    def operator_wrote_desk(self, jid: str, slug: str, body: str) -> None:
        site = self.site(slug)
        operator = self.operator_of(site, jid, "use its desk")
        run_desk_command(self, site, operator, self._checked_body(body))

    def is_operator_of(self, jid: str, slug: str) -> bool:
        site = self.directory.site(slug)
        return site is not None and self.directory.operator(site.id, jid) is not None

    @use_case
    def close_chat(self, site: Site, operator: Operator, entry: OpenChat) -> None:
        now = self.clock()
        number = entry.chat.number
        self.record(entry, Sender.SYSTEM, operator.jid, texts.system_closed_by(operator.name), now)
        self.tell_visitor(site, entry, texts.VISITOR_CLOSED, now)
        closed = transition(entry.chat, ChatState.CLOSED, now)
        self._set_state(entry, closed)
        self.archive.add_chat(closed)
        chat_jid = self.addresses.chat(site.slug, number)
        self.out.send_message(chat_jid, operator.jid, texts.operator_closed(site, number))
        log.info("chat %s.%d closed by %s", site.slug, number, operator.jid)
        self._refresh(operator.jid)

    @use_case
    def transfer_chat(self, site: Site, entry: OpenChat, to: Operator, by: Operator) -> None:
        decision = Decision(Outcome.ASSIGN, to.jid, f"transferred by {by.name}")
        self.assign(site, entry, decision, self.clock(), texts.moved_transfer(to.name))

    @use_case
    def set_paused(self, site: Site, operator: Operator, paused: bool) -> None:
        self.directory.update_operator(replace(operator, paused=paused))
        self.archive.add_operator_update(OperatorUpdate(site.id, operator.jid, paused=paused))
        self._refresh(operator.jid)
        if not paused:
            self._freed.add(site.id)

    # -- presence and subscriptions ----------------------------------------------------------

    @use_case
    def presence_available(
        self,
        jid: str,
        slug: str,
        resource: str,
        show: Show,
        status: str,
        priority: int,
        client_idle_since: float | None,
    ) -> None:
        """An operator's resource told a site's desk it is available (any show)."""
        site = self.directory.site(slug)
        if site is None or self.directory.operator(site.id, jid) is None:
            return
        now = self.clock()
        self.presence.set_available(
            jid, resource, show, status, priority, client_idle_since, now, site=site.id
        )
        self._presence_changed(site, jid, now)

    @use_case
    def presence_unavailable(self, jid: str, slug: str, resource: str) -> None:
        """An operator's resource left a site's desk (went offline, or dropped that desk)."""
        site = self.directory.site(slug)
        if site is None or self.directory.operator(site.id, jid) is None:
            return
        self.presence.set_unavailable(jid, resource, site=site.id)
        self._presence_changed(site, jid, self.clock())

    # -- shared steps --------------------------------------------------------------------------

    def site(self, slug: str) -> Site:
        site = self.directory.site(slug)
        if site is None:
            raise UnknownSite(f"there is no site {slug!r} here")
        return site

    def record(
        self, entry: OpenChat, sender: Sender, author: str, body: str, now: float
    ) -> Message:
        message = self.chats.add_message(entry, sender, author, body, now)
        self.archive.add_message(message)
        return message

    def tell_visitor(self, site: Site, entry: OpenChat, body: str, now: float) -> None:
        self.record(entry, Sender.SYSTEM, self.addresses.desk(site.slug), body, now)
        self.visitors[entry.chat.visitor_kind].deliver(site, entry.chat, body)

    def assign(
        self, site: Site, entry: OpenChat, decision: Decision, now: float, moved: str = ""
    ) -> None:
        """Give the chat to the decided operator; on a move, tell the previous one why."""
        operator = self.directory.operator(site.id, decision.operator or "")
        if operator is None:
            return
        previous = entry.chat.operator if entry.chat.state is ChatState.ASSIGNED else None
        chat = transition(entry.chat, ChatState.ASSIGNED, now, operator.jid)
        chat = replace(chat, route_reason=decision.explain())
        self._set_state(entry, chat)
        self.archive.add_chat(chat)
        entry.answered, entry.waiting_since, entry.told_position = False, now, 0
        self.directory.record_assignment(site.id, operator.jid, now)
        self.archive.add_operator_update(OperatorUpdate(site.id, operator.jid, now))
        desk = self.addresses.desk(site.slug)
        self.record(entry, Sender.SYSTEM, desk, texts.system_assigned(operator, decision.rule), now)
        log.info("chat %s.%d -> %s (%s)", site.slug, chat.number, operator.jid, decision.rule)
        self._refresh(operator.jid)
        handed, entry.handed = entry.handed, True
        if previous is None and not handed:
            self._send_backlog(site, entry, operator.jid, now)
            return
        if previous is not None:
            self._refresh(previous)
        if self._is_member(site, previous):  # nothing of the site reaches a removed operator
            chat_jid = self.addresses.chat(site.slug, chat.number)
            self.out.send_message(
                chat_jid, previous or "", texts.chat_moved(site, chat, operator, moved)
            )
        self._send_transcript(site, entry, operator.jid, now)
        self.tell_visitor(site, entry, texts.visitor_new_operator(operator.name), now)

    def rebalance(self, site: Site, now: float) -> None:
        """Move chats of operators who are gone, then serve the queue in order; tell positions.

        Looks at the site's chat holders, not at every chat. Does nothing while disconnected:
        presence is unknown then, and nothing can be sent.
        """
        if not self.connected:
            return
        for holder in self.chats.holders(site.id):
            if self._gone(site, holder):
                for entry in self.chats.assigned_to(holder, site.id):
                    self._rescue(site, entry, now)
        self._serve_queue(site, now)
        self._tell_positions(site, now)

    def rebalance_all(self) -> None:
        now = self.clock()
        for site in self.directory.sites():
            self.rebalance(site, now)

    def idle_since(self, op: Operator) -> float | None:
        became_available = self.presence.available_since(op.jid, op.site_id)
        return idle_since(op.last_assigned_at, self.last_replied.get(op.jid), became_available)

    # -- internals ---------------------------------------------------------------------------

    def _checked_body(self, body: str) -> str:
        if not body.strip():
            raise EmptyMessage("empty message")
        if len(body) > self.max_body_chars:
            raise MessageTooLong(f"message longer than {self.max_body_chars} characters")
        if not self.archive.accepting:
            self.on_archive_full()
            raise ArchiveFull("the archive is catching up; please send this again in a moment")
        return body

    def _set_state(self, entry: OpenChat, chat: Chat) -> None:
        """The one place a chat changes state; a slot its operator loses is noted for the queue."""
        before = entry.chat
        self.chats.set_state(entry, chat)
        held = before.state is ChatState.ASSIGNED
        if held and (chat.state is not ChatState.ASSIGNED or chat.operator != before.operator):
            self._freed.add(chat.site_id)

    def _rebalance_freed(self) -> None:
        """End of a use case: serve the queues of the sites where a slot freed."""
        for _ in range(MAX_REBALANCE_ROUNDS):
            if not self._freed:
                return
            site_ids, self._freed = self._freed, set()
            now = self.clock()
            for site_id in sorted(site_ids):
                site = self.directory.site_by_id_or_none(site_id)
                if site is not None:
                    self.rebalance(site, now)
        log.warning("rebalancing did not settle after %d rounds", MAX_REBALANCE_ROUNDS)
        self._freed.clear()

    def _forget_membership(self, site: Site, op: Operator) -> None:
        """An operator left a site: what they told its desk is forgotten (a return probes)."""
        self.presence.forget(op.jid, site.id)
        self._heard.discard((site.id, op.jid))
        if not self.directory.is_operator(op.jid):
            self.last_replied.pop(op.jid, None)

    def _operator_said(self, site: Site, entry: OpenChat, jid: str, body: str) -> None:
        now = self.clock()
        self.record(entry, Sender.OPERATOR, jid, body, now)
        self.visitors[entry.chat.visitor_kind].deliver(site, entry.chat, body)
        entry.answered = True
        self.last_replied[jid] = now
        self._refresh(jid)

    def _presence_changed(self, site: Site, jid: str, now: float) -> None:
        """One desk heard from one operator: only that site and that operator's chats there."""
        self._heard.add((site.id, jid))
        operator = self.directory.operator(site.id, jid)
        if operator is not None:
            self._refresh_in(site, operator)
        self.rebalance(site, now)

    def _is_online(self, site: Site, jid: str | None) -> bool:
        return jid is not None and self.presence.tier_of(jid, site.id) is not Tier.OFFLINE

    def _is_member(self, site: Site, jid: str | None) -> bool:
        return jid is not None and self.directory.operator(site.id, jid) is not None

    def _gone(self, site: Site, jid: str) -> bool:
        """Removed from the site, or offline: said so, or silent once presence settled."""
        if not self._is_member(site, jid):
            return True
        settled = self._settle_until is None or (site.id, jid) in self._heard
        return settled and not self._is_online(site, jid)

    def _rescue(self, site: Site, entry: OpenChat, now: float) -> None:
        """A chat whose operator went offline or was removed: to someone online if possible.

        A chat of an operator who is merely offline stays with them otherwise (their server keeps
        the messages); one of a removed operator goes to offline routing or back to the queue.
        """
        current = entry.chat.operator or ""
        decision = self._route_avoiding(site, entry.lost_by, {current})
        if decision.outcome is Outcome.ASSIGN:
            self.assign(site, entry, decision, now, texts.MOVED_OFFLINE)
        elif self._is_member(site, current):
            return
        elif decision.outcome is Outcome.OFFLINE:
            self.assign(site, entry, decision, now, texts.MOVED_OFFLINE)
            self.tell_visitor(site, entry, texts.VISITOR_OFFLINE, now)
        else:
            self._requeue(site, entry, now)

    def _requeue(self, site: Site, entry: OpenChat, now: float) -> None:
        """Back to the queue (in its old place, by when it opened); the visitor is told why."""
        log.info("chat %s.%d back in the queue: its operator left", site.slug, entry.chat.number)
        queued = transition(entry.chat, ChatState.QUEUED, now)
        self._set_state(entry, queued)
        self.archive.add_chat(queued)
        entry.waiting_since = None
        position = [e.chat.number for e in self.chats.queued(site.id)].index(queued.number) + 1
        self.tell_visitor(site, entry, texts.visitor_requeued(position), now)
        entry.told_position = position

    def _serve_queue(self, site: Site, now: float) -> None:
        """Queued chats in order: to an operator who can take one; offline when nobody is online.

        Queued chats become offline messages only once presence has settled, so a restart does
        not send the whole queue to offline operators before they are heard from.
        """
        for entry in self.chats.queued(site.id):
            decision = self._route_avoiding(site, entry.lost_by)
            if decision.outcome is Outcome.ASSIGN:
                self.assign(site, entry, decision, now)
            elif decision.outcome is Outcome.OFFLINE and self._settle_until is None:
                self.assign(site, entry, decision, now)
                self.tell_visitor(site, entry, texts.VISITOR_OFFLINE, now)
            else:
                return

    def _route_avoiding(
        self, site: Site, rather_not: Iterable[str], exclude: Iterable[str] = ()
    ) -> Decision:
        """Route without `exclude`, preferring anyone over `rather_not` (who lost the chat before).

        Losing a chat to a timeout is a preference, not a ban: when nobody else online can take
        it, an operator who lost it earlier is better than an offline one.
        """
        excluded = frozenset(exclude)
        avoided = excluded | frozenset(rather_not)
        decision = self._route(site, avoided)
        if decision.outcome is Outcome.ASSIGN or avoided == excluded:
            return decision
        return self._route(site, excluded)

    def _route(self, site: Site, exclude: frozenset[str] = frozenset()) -> Decision:
        options = RouteOptions(
            default_operator=site.settings.default_operator,
            target_operator=site.settings.target_operator,
            exclude=exclude,
        )
        return self._router(site).route(options, self.clock(), self.rng)

    def _route_new(self, site: Site, entry: OpenChat, now: float) -> None:
        if not self.connected:
            return  # held in the queue; served once connected and presence settled
        if len(self.chats.queued(site.id)) > 1:  # others wait already: first come, first served
            self._tell_positions(site, now)
            return
        decision = self._route(site)
        if decision.outcome in (Outcome.ASSIGN, Outcome.OFFLINE):
            self.assign(site, entry, decision, now)
            if decision.outcome is Outcome.OFFLINE:
                self.tell_visitor(site, entry, texts.VISITOR_OFFLINE, now)
        elif decision.outcome is Outcome.QUEUE:
            self._tell_positions(site, now)
        else:
            log.warning("chat %s.%d: no operator at all", site.slug, entry.chat.number)
            self.tell_visitor(site, entry, texts.VISITOR_NO_OPERATOR, now)

    def _reassign_overdue(self, site: Site, entry: OpenChat, now: float) -> None:
        """Another online operator who has not lost this chat before; else it stays."""
        current = entry.chat.operator or ""
        decision = self._route(site, frozenset(entry.lost_by | {current}))
        if decision.outcome is Outcome.ASSIGN:
            entry.lost_by.add(current)
            timeout = site.settings.answer_timeout
            self.assign(site, entry, decision, now, texts.moved_timeout(timeout))
        else:
            entry.waiting_since = now  # nobody else can take it: look again after a timeout

    def _tell_positions(self, site: Site, now: float) -> None:
        for position, entry in enumerate(self.chats.queued(site.id), start=1):
            if entry.told_position != position:
                first = entry.told_position == 0
                self.tell_visitor(site, entry, texts.queue_position(position, first), now)
                entry.told_position = position

    def _send_backlog(self, site: Site, entry: OpenChat, jid: str, now: float) -> None:
        """Give a new chat's operator the header and every visitor message so far."""
        chat = entry.chat
        from_visitor = [m for m in entry.transcript if m.sender is Sender.VISITOR]
        chat_jid = self.addresses.chat(site.slug, chat.number)
        header = texts.chat_header(site, chat, from_visitor[0], now)
        self.out.send_message(chat_jid, jid, header, nick=texts.nick(site, chat))
        for message in from_visitor[1:]:
            self.out.send_message(chat_jid, jid, message.body)

    def _send_transcript(self, site: Site, entry: OpenChat, jid: str, now: float) -> None:
        chat = entry.chat
        chat_jid = self.addresses.chat(site.slug, chat.number)
        names = {op.jid: op.name for op in self.directory.operators(site.id)}
        body = texts.transcript_header(site, chat, now) + texts.transcript(entry.transcript, names)
        self.out.send_message(chat_jid, jid, body, nick=texts.nick(site, chat))

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
            self._refresh_in(site, op)

    def _refresh_in(self, site: Site, op: Operator) -> None:
        if op.enabled:
            self._router(site).upsert(self._candidate(site, op))
        else:
            self._router(site).remove(op.jid)

    def _candidate(self, site: Site, op: Operator) -> Candidate:
        return Candidate(
            jid=op.jid,
            name=op.name,
            priority=op.priority,
            tier=self.presence.tier_of(op.jid, site.id),
            accepting=not (op.paused or self.presence.is_dnd(op.jid, site.id)),
            open_chats=self.chats.open_count(site.id, op.jid),
            max_chats=op.max_chats or site.settings.max_chats,
            last_assigned_at=op.last_assigned_at,
            idle_since=self.idle_since(op),
        )


def _answer_overdue(entry: OpenChat, site: Site, now: float) -> bool:
    since = entry.waiting_since
    return not entry.answered and since is not None and now - since >= site.settings.answer_timeout


def _merge_runtime(loaded: Operator, known: Operator) -> Operator:
    """Settings from the database; runtime values the component may know better from memory."""
    newest = max(loaded.last_assigned_at or 0.0, known.last_assigned_at or 0.0) or None
    return replace(
        loaded, last_assigned_at=newest, paused=known.paused, subscribed=known.subscribed
    )


def clean_name(name: str) -> str:
    """A display name without control characters, at most MAX_NAME_CHARS long."""
    printable = "".join(ch for ch in name if ch.isprintable())
    return " ".join(printable.split())[:MAX_NAME_CHARS]
