"""The help desk's entry points: what adapters call when a stanza, a timer or a reload arrives.

Visitor wrote, operator wrote, presence changed, connected, disconnected, timer fired, settings
reloaded. Each is a use case: synchronous (adapters call it in stanza order and it never awaits, so
a chat's messages cannot overtake each other) and, when the outermost one returns, the sites where
a slot freed serve their queues. Commands live in commands.py and call these; nothing here imports
them. Must not import asyncio or any adapter library.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import wraps
from typing import Concatenate, ParamSpec, TypeVar

from component import texts
from component.archive import OperatorUpdate
from component.chats import ChatBook, OpenChat, transition
from component.desk.dispatch import Dispatcher
from component.desk.expiry import Expiry
from component.desk.feedback import FeedbackDesk
from component.desk.roster import DeskRoster
from component.desk.signals import Signals, relay_to_operator, relay_to_visitor
from component.desk.state import PRESENCE_SETTLE_SECONDS, DeskState
from component.directory import Directory
from component.errors import ChatClosed, NotYourChat, UnknownChat
from component.models import (
    NO_CARD,
    AckRequest,
    ChatState,
    Message,
    Operator,
    Sender,
    Show,
    Site,
    Typing,
    VisitorCard,
    VisitorKind,
)
from component.names import clean_name, one_line
from component.presence import PresenceTable
from component.routing import Decision, Outcome
from component.visitor_card import LANG_CHARS, page_shown

log = logging.getLogger(__name__)

PAGE_NOTE_SECONDS = 10.0
"""At most one page note per chat in this time; a later page waits for the interval's end."""

MAX_REBALANCE_ROUNDS = 8
"""A use case ends by rebalancing the sites where a slot freed; rebalancing can free more."""

_P = ParamSpec("_P")
_R = TypeVar("_R")


def use_case(
    method: Callable[Concatenate[HelpDesk, _P], _R],
) -> Callable[Concatenate[HelpDesk, _P], _R]:
    """Mark an entry point: when the outermost one returns, sites where a slot freed rebalance.

    Every slot an operator loses (close, transfer, timeout, move, requeue) is noted in one place,
    `DeskState.set_state`, and served here: no path that frees a slot can forget the queue.
    """

    @wraps(method)
    def run(desk: HelpDesk, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        desk._depth += 1  # one_use_case() inlined: this wraps the relay's hot path
        try:
            return method(desk, *args, **kwargs)
        finally:
            desk._depth -= 1
            if desk._depth == 0 and desk.state.freed:
                desk._rebalance_freed()

    return run


class HelpDesk:
    def __init__(self, state: DeskState) -> None:
        """`state` holds the ports and settings every use case shares (see DeskState)."""
        self.state = state
        self.feedback = FeedbackDesk(self.state)
        self.dispatch = Dispatcher(self.state, self.feedback)
        self.roster = DeskRoster(self.state)
        self.signals = Signals(self.state)
        self.expiry = Expiry(self.state)
        self._depth = 0
        self._disconnected_at: float | None = None

    @contextmanager
    def one_use_case(self) -> Iterator[None]:
        """Everything inside is one use case: freed slots are served when the outermost ends."""
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if self._depth == 0 and self.state.freed:
                self._rebalance_freed()

    @property
    def directory(self) -> Directory:
        return self.state.directory

    @property
    def presence(self) -> PresenceTable:
        return self.state.presence

    @property
    def chats(self) -> ChatBook:
        return self.state.chats

    @property
    def settled(self) -> bool:
        """Connected, and operators' presence has had its time to come back."""
        return self.state.connected and self.state.settle_until is None

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
            entry.handed = assigned or entry.operator_messages > 0
            if entry.handed:
                entry.first_visitor = None  # only a first operator's header shows it
        self.state.chats.restore(last_numbers, open_chats)
        for site_id in {entry.chat.site_id for entry in open_chats}:
            for position, entry in enumerate(self.state.chats.queued(site_id), start=1):
                entry.told_position = position
        self.state.rebuild_routers()

    @use_case
    def apply_directory(self, newer: Directory) -> None:
        """Use reloaded sites and operators; greet new operators, release removed ones."""
        for op in newer.operators():
            known = self.state.directory.operator(op.site_id, op.jid)
            if known is not None:
                newer.update_operator(_merge_runtime(op, known))
        if newer.same_as(self.directory):
            return
        change = self.state.directory.diff(newer)
        self.state.directory = newer
        for site, op in change.removed:
            self._forget_membership(site, op)
        for site in change.deleted_sites:
            for entry in self.state.chats.drop_site(site.id):  # their visitors see them end
                self.state.visitors[entry.chat.visitor_kind].closed(
                    site, entry.chat, entry.next_seq - 1
                )
            log.info("site %s is gone: its open chats are forgotten", site.slug)
        self.state.rebuild_routers()
        if self.state.connected:  # else on_connected greets every operator
            for site, op in change.added:
                self.roster.greet(site, op)
        for site, op in change.removed:  # held by the outbox while disconnected
            self.roster.release(site, op)
        self._rebalance_all()

    @use_case
    def on_connected(self) -> None:
        """(Re)connected to the server: forget stale presence, greet and probe every operator.

        Answer timeouts were held while disconnected: unanswered chats get the outage back.
        """
        now = self.state.clock()
        self.state.connected = True
        self.state.settle_until = now + PRESENCE_SETTLE_SECONDS
        if self._disconnected_at is not None:
            outage = now - self._disconnected_at
            for entry in self.state.chats.assigned():
                if not entry.answered and entry.waiting_since is not None:
                    entry.waiting_since += outage
            self._disconnected_at = None
        self.state.heard.clear()
        self.state.presence.clear()
        self.state.rebuild_routers()
        for site in self.state.directory.sites():
            for op in self.state.directory.operators(site.id):
                self.roster.greet(site, op)

    @use_case
    def roster_pushed(self, slug: str, jid: str, pushed: bool) -> None:
        """The server's API answered the push of a site's desk into an operator's roster."""
        self.roster.pushed(slug, jid, pushed)

    @use_case
    def on_disconnected(self) -> None:
        """Lost the server: presence is unknown; no timeout runs and no chat moves until back."""
        if self.state.connected:
            self._disconnected_at = self.state.clock()
        self.state.connected = False
        self.state.settle_until = None
        self.state.presence.clear()
        self.state.rebuild_routers()

    @use_case
    def on_tick(self) -> None:
        """Timer: chats whose operator has not answered within the site's answer timeout move on;
        chats nobody ever answered, quiet for too long, close (expiry.py).

        Nothing runs while disconnected or while presence settles after (re)connecting.
        """
        if not self.state.connected:
            return
        now = self.state.clock()
        self.roster.on_tick(now)  # the desks' status, and subscription requests asked again
        if self.state.settle_until is not None:
            if now < self.state.settle_until:
                return
            self.state.settle_until = None
            self._rebalance_all()  # whoever did not come back by now has really gone
        self.expiry.on_tick(now)
        for entry in list(self.state.chats.assigned()):
            site = self.state.directory.site_by_id_or_none(entry.chat.site_id)
            if site is None:
                continue  # a deleted site: its chats left the book with it (see apply_directory)
            if entry.page_pending:
                self._note_page(site, entry, now)
            overdue = _answer_overdue(entry, site, now)
            if overdue and self.state.is_online(site, entry.chat.operator):
                self.dispatch.reassign_overdue(site, entry, now)

    @use_case
    def visitor_wrote(
        self,
        slug: str,
        visitor: str,
        kind: VisitorKind,
        name: str,
        body: str,
        *,
        typing: Typing | None = None,
        ack: AckRequest | None = None,
        card: VisitorCard | None = None,
        lang: str = "",
    ) -> Message:
        """`typing` rides along with the words; `ack`: what the visitor asks to be told of them;
        `card`: a new web chat's visitor details (routing reads its target flag and choice);
        `lang`: the visitor's language tag (a new chat speaks it if the catalogue does, else
        the site's language; an XMPP visitor's is kept on the chat's card too).

        Returns the archived message (its chat number and seq). NobodyOnline for a web visitor
        while nobody is online and the site's feedback form is on: no chat starts."""
        site = self.state.site(slug)
        body = self.state.checked_body(body)
        now = self.state.clock()
        entry = self.state.chats.of_visitor(site.id, visitor)
        if entry is None:
            if kind is VisitorKind.WEB:
                self.feedback.refuse_chat(site, card or NO_CARD)
            spoken = self.state.spoken(site, lang or (card.lang if card else ""))
            self.state.check_room(site, spoken)
            shown = clean_name(name) or clean_name(visitor)
            entry = self.state.chats.open(site.id, visitor, kind, shown, now, spoken)
            self.state.note_opened(site)
            if card is not None:
                entry.card = card
            elif lang:
                entry.card = replace(NO_CARD, lang=one_line(lang, LANG_CHARS))
            self.state.archive.add_chat(entry.chat)
            first = self.state.record(entry, Sender.VISITOR, visitor, body, now)
            ack = ack or self._acknowledged(kind, first)
            if ack is not None:
                entry.acks.waiting.put(first.seq, ack)
            self.dispatch.route_new(site, entry, now)
            return first
        return self._visitor_said(site, entry, body, now, typing, ack)

    @use_case
    def visitor_wrote_in(self, slug: str, number: int, visitor: str, body: str) -> Message:
        """A web visitor's words in their chat `number`, which must still be open: ChatClosed
        otherwise (it closed while their request was on its way). Never opens a chat."""
        site = self.state.site(slug)
        body = self.state.checked_body(body)
        entry = self.state.chats.get(site.id, number)
        if entry is None or entry.chat.visitor != visitor:
            raise ChatClosed(texts.chat_closed(site, number))
        return self._visitor_said(site, entry, body, self.state.clock(), None, None)

    def _visitor_said(
        self,
        site: Site,
        entry: OpenChat,
        body: str,
        now: float,
        typing: Typing | None,
        ack: AckRequest | None,
    ) -> Message:
        """The visitor's words in their open chat: archived, relayed to its operator if it has
        one (else kept for the backlog)."""
        chat = entry.chat
        message = self.state.record(entry, Sender.VISITOR, chat.visitor, body, now)
        ack = ack or self._acknowledged(chat.visitor_kind, message)
        operator = chat.operator
        if chat.state is ChatState.ASSIGNED and self.state.is_member(site, operator):
            relay_to_operator(self.state, site, entry, operator or "", body, ack, typing=typing)
        elif ack is not None and not entry.handed:  # goes with the backlog, once assigned
            entry.acks.waiting.put(message.seq, ack)
        return message

    @use_case
    def visitor_page(self, slug: str, visitor: str, url: str, title: str) -> None:
        """A web visitor opened another page: their card keeps it, and their operator gets a
        one-line note, at most one per PAGE_NOTE_SECONDS (a later page is noted when that time
        is over, by on_tick). Not archived: it is the operator's view, not the conversation."""
        site = self.state.site(slug)
        entry = self.state.chats.of_visitor(site.id, visitor)
        if entry is None:
            return  # closed meanwhile: nobody to tell
        url, title = page_shown(url, title)
        same_page = url == entry.card.page
        entry.card = replace(entry.card, page=url, page_title=title)
        if same_page:
            return  # told again, reloaded, or only its title: the card has it, no note
        if entry.chat.state is ChatState.ASSIGNED:  # queued chats keep the latest page only
            entry.page_pending = True
            self._note_page(site, entry, self.state.clock())

    def _note_page(self, site: Site, entry: OpenChat, now: float) -> None:
        """Tell the chat's operator its visitor's latest page, unless one was told too lately;
        an offline operator gets no notes to find later (/info shows the page)."""
        noted = entry.page_noted_at
        if noted is not None and now < noted + PAGE_NOTE_SECONDS:
            return
        entry.page_noted_at, entry.page_pending = now, False
        operator = entry.chat.operator
        if self.state.is_member(site, operator) and self.state.is_online(site, operator):
            chat_jid = self.state.addresses.chat(site.slug, entry.chat.number)
            note = texts.page_note(entry.card.page, entry.card.page_title)
            self.state.out.send_message(chat_jid, operator or "", note)

    @use_case
    def visitor_closed(self, slug: str, visitor: str) -> None:
        """The visitor ended their chat (the web widget's close); its operator is told."""
        site = self.state.site(slug)
        entry = self.state.chats.of_visitor(site.id, visitor)
        if entry is None:
            return  # closed already: closing twice is no error
        now = self.state.clock()
        self.state.record(entry, Sender.SYSTEM, visitor, texts.SYSTEM_VISITOR_CLOSED, now)
        operator = entry.chat.operator if entry.chat.state is ChatState.ASSIGNED else None
        closed = transition(entry.chat, ChatState.CLOSED, now)
        self.state.set_state(entry, closed)
        if operator is not None and self.state.is_member(site, operator):
            chat_jid = self.state.addresses.chat(site.slug, closed.number)
            self.state.out.send_message(chat_jid, operator, texts.visitor_closed(site, closed))
            self.state.refresh(operator)
        log.info("chat %s.%d closed by its visitor", site.slug, closed.number)

    # -- operators ---------------------------------------------------------------------------

    @use_case
    def operator_wrote_chat(
        self,
        jid: str,
        slug: str,
        number: int,
        body: str,
        *,
        typing: Typing | None = None,
        ack: AckRequest | None = None,
    ) -> None:
        """An operator's words in a chat, for its visitor (commands are parsed in commands.py)."""
        found = self.chat_of(jid, slug, number, body)
        if found is not None:
            site, _, entry = found
            self._operator_said(site, entry, jid, body, typing, ack)

    def chat_of(
        self, jid: str, slug: str, number: int, body: str
    ) -> tuple[Site, Operator, OpenChat] | None:
        """The open chat an operator writes to, checked; None when it is closed or not theirs
        (they are told), an error for strangers, unknown chats and bad bodies."""
        s = self.state
        site = s.site(slug)
        operator = s.operator_of(site, jid, "write to its chats")
        s.checked_body(body)
        try:
            return site, operator, self.held_chat(site, jid, number)
        except (ChatClosed, NotYourChat) as refusal:
            chat_jid = s.addresses.chat(site.slug, number)
            s.out.send_message(chat_jid, jid, texts.not_delivered(refusal.text))
            return None

    def held_chat(self, site: Site, jid: str, number: int) -> OpenChat:
        """Chat `number` of `site`, open and assigned to `jid`; else UnknownChat (it never
        existed), ChatClosed or NotYourChat."""
        entry = self.state.chats.get(site.id, number)
        if entry is None:
            if not self.state.chats.existed(site.id, number):
                raise UnknownChat(f"there is no chat {site.slug}.{number}")
            raise ChatClosed(texts.chat_closed(site, number))
        if entry.chat.operator != jid:
            raise NotYourChat(texts.chat_not_yours(site, number))
        return entry

    def is_operator_of(self, jid: str, slug: str) -> bool:
        site = self.state.directory.site(slug)
        return site is not None and self.state.is_member(site, jid)

    @use_case
    def close_chat(self, site: Site, operator: Operator, entry: OpenChat) -> None:
        now = self.state.clock()
        number = entry.chat.number
        self.state.record(
            entry, Sender.SYSTEM, operator.jid, texts.system_closed_by(operator.name), now
        )
        words = self.state.words(site, entry.chat, "closed_by_operator")
        self.state.tell_visitor(site, entry, words, now)
        closed = transition(entry.chat, ChatState.CLOSED, now)
        self.state.set_state(entry, closed)
        chat_jid = self.state.addresses.chat(site.slug, number)
        self.state.out.send_message(chat_jid, operator.jid, texts.operator_closed(site, number))
        log.info("chat %s.%d closed by %s", site.slug, number, operator.jid)
        self.state.refresh(operator.jid)

    @use_case
    def transfer_chat(self, site: Site, entry: OpenChat, to: Operator, by: Operator) -> None:
        decision = Decision(Outcome.ASSIGN, to.jid, f"transferred by {by.name}")
        self.dispatch.assign(
            site, entry, decision, self.state.clock(), texts.moved_transfer(to.name)
        )

    @use_case
    def set_paused(self, site: Site, operator: Operator, paused: bool) -> None:
        self.state.directory.update_operator(replace(operator, paused=paused))
        self.state.archive.add_operator_update(OperatorUpdate(site.id, operator.jid, paused=paused))
        self.state.refresh(operator.jid)
        if not paused:
            self.state.freed.add(site.id)

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
        site = self.state.directory.site(slug)
        if site is None or self.state.directory.operator(site.id, jid) is None:
            return
        now = self.state.clock()
        was_online = self.state.is_online(site, jid)
        self.roster.resource_available(site, jid, resource)  # before the table knows it
        self.state.presence.set_available(
            jid, resource, show, status, priority, client_idle_since, now, site=site.id
        )
        self._presence_changed(site, jid, now, was_online)

    @use_case
    def presence_unavailable(self, jid: str, slug: str, resource: str) -> None:
        """An operator's resource left a site's desk (went offline, or dropped that desk)."""
        site = self.state.directory.site(slug)
        if site is None or self.state.directory.operator(site.id, jid) is None:
            return
        was_online = self.state.is_online(site, jid)
        self.state.presence.set_unavailable(jid, resource, site=site.id)
        self._presence_changed(site, jid, self.state.clock(), was_online)

    # -- internals ---------------------------------------------------------------------------

    def _rebalance_freed(self) -> None:
        """End of a use case: serve the queues of the sites where a slot freed."""
        for _ in range(MAX_REBALANCE_ROUNDS):
            if not self.state.freed:
                return
            site_ids, self.state.freed = self.state.freed, set()
            now = self.state.clock()
            for site_id in sorted(site_ids):
                site = self.state.directory.site_by_id_or_none(site_id)
                if site is not None:
                    self.dispatch.rebalance(site, now)
        log.warning("rebalancing did not settle after %d rounds", MAX_REBALANCE_ROUNDS)
        self.state.freed.clear()

    def _forget_membership(self, site: Site, op: Operator) -> None:
        """An operator left a site: what they told its desk is forgotten (a return probes)."""
        s = self.state
        s.presence.forget(op.jid, site.id)
        s.heard.discard((site.id, op.jid))
        if not s.directory.is_operator(op.jid):
            s.last_replied.pop(op.jid, None)

    def _operator_said(
        self,
        site: Site,
        entry: OpenChat,
        jid: str,
        body: str,
        typing: Typing | None,
        ack: AckRequest | None,
    ) -> None:
        now = self.state.clock()
        message = self.state.record(entry, Sender.OPERATOR, jid, body, now)
        relay_to_visitor(self.state, site, entry, message, ack, typing)
        entry.answered = True
        self.state.last_replied[jid] = now
        self.state.refresh(jid)

    def _acknowledged(self, kind: VisitorKind, message: Message) -> AckRequest | None:
        """What the visitor's transport shows them of their message unasked, by its seq."""
        shown = self.state.visitors[kind].acknowledges
        return AckRequest(str(message.seq), shown) if shown else None

    def _presence_changed(self, site: Site, jid: str, now: float, was_online: bool) -> None:
        """One desk heard from one operator: only that site and that operator's chats there;
        the watch hears when they came online or went offline there (after the desk's own
        changes, so what it sends follows the chats the rebalancing sent)."""
        self.state.heard.add((site.id, jid))
        operator = self.state.directory.operator(site.id, jid)
        if operator is not None:
            self.state.refresh_in(site, operator)
        self.dispatch.rebalance(site, now)
        online = self.state.is_online(site, jid)
        if operator is not None and online != was_online:
            watch = self.state.watch
            (watch.came_online if online else watch.went_offline)(site, operator, now)

    def _rebalance_all(self) -> None:
        now = self.state.clock()
        for site in self.state.directory.sites():
            self.dispatch.rebalance(site, now)


def _answer_overdue(entry: OpenChat, site: Site, now: float) -> bool:
    since = entry.waiting_since
    return not entry.answered and since is not None and now - since >= site.settings.answer_timeout


def _merge_runtime(loaded: Operator, known: Operator) -> Operator:
    """Settings from the database; runtime values the component may know better from memory."""
    newest = max(loaded.last_assigned_at or 0.0, known.last_assigned_at or 0.0) or None
    return replace(
        loaded, last_assigned_at=newest, paused=known.paused, subscribed=known.subscribed
    )
