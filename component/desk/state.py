"""What every use case shares: the ports, settings, presence, open chats and the site routers.

One `DeskState` per running desk, passed to each capability (dispatch, roster, commands) instead of
a god object. It also holds the steps they all take: look a site or operator up, check a body,
record a message, change a chat's state (the one place a freed slot is noted), route, and keep the
routers current. Must not import asyncio or any adapter library.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterable, Mapping

from component.addresses import Addresses
from component.catalogue import Catalogue
from component.chat_tail import DEFAULT_LIMITS, TailLimits
from component.chats import ChatBook, OpenChat
from component.desk.ports import (
    ArchiveSink,
    OperatorWatch,
    RosterPushes,
    Transcripts,
    VisitorTransport,
    Watches,
    XmppOut,
)
from component.directory import Directory
from component.errors import (
    ArchiveFull,
    DeskFull,
    EmptyMessage,
    MessageTooLong,
    NotAllowed,
    UnknownSite,
)
from component.models import (
    NO_CARD,
    Chat,
    ChatState,
    Message,
    Notice,
    Operator,
    Sender,
    Site,
    Tier,
    VisitorCard,
    VisitorKind,
)
from component.presence import PresenceTable, idle_since
from component.routing import Candidate, Decision, Outcome, RouteOptions, SiteRouter

log = logging.getLogger(__name__)

PRESENCE_SETTLE_SECONDS = 3.0
"""After (re)connecting, how long operators' presence may take to come back before their open
chats count as abandoned and move to someone else."""
MAX_OPEN_CHATS_PER_SITE = 1000
"""limits.max_open_chats_per_site's default: a new chat past it is refused (DeskFull)."""
UNANSWERED_EXPIRY_SECONDS = 86_400.0
"""limits.unanswered_expiry_seconds's default: a chat no operator ever answered, in which nobody
wrote for this long, is closed by the desk."""


class DeskState:
    def __init__(
        self,
        *,
        addresses: Addresses,
        archive: ArchiveSink,
        out: XmppOut,
        transcripts: Transcripts,
        visitors: Mapping[VisitorKind, VisitorTransport],
        clock: Callable[[], float],
        rng: random.Random,
        max_body_chars: int,
        jid_form: Callable[[str], str],
        on_archive_full: Callable[[], None] = lambda: None,
        tail_limits: TailLimits = DEFAULT_LIMITS,
        watch: OperatorWatch | None = None,
        catalogue: Catalogue,
        max_open_chats: int = MAX_OPEN_CHATS_PER_SITE,
        unanswered_expiry: float = UNANSWERED_EXPIRY_SECONDS,
        roster_pushes: RosterPushes | None = None,
    ) -> None:
        """`transcripts` sends the transcripts an open chat's tail does not hold; `jid_form` gives
        a JID's XMPP normal form (ValueError for no JID), for typed JIDs; `on_archive_full`
        counts each message refused because the archive is at its cap; `tail_limits` bound what
        an open chat keeps of its messages; `watch` hears of operators coming online and going
        offline at a desk; `catalogue` holds what visitors are told, in their languages;
        `max_open_chats` bounds a site's open chats and `unanswered_expiry` (seconds) closes the
        unanswered quiet ones (desk/expiry.py); `roster_pushes`, where the server gives its API,
        puts the desk into new operators' rosters instead of asking them (desk/roster.py)."""
        self.addresses = addresses
        self.archive = archive
        self.out = out
        self.transcripts = transcripts
        self.visitors = visitors
        self.clock = clock
        self.rng = rng
        self.max_body_chars = max_body_chars
        self.jid_form = jid_form
        self.on_archive_full = on_archive_full
        self.watch: OperatorWatch = watch or Watches()
        self.catalogue = catalogue
        self.max_open_chats = max_open_chats
        self.unanswered_expiry = unanswered_expiry
        self.roster_pushes = roster_pushes
        self.directory = Directory()
        self.presence = PresenceTable()
        self.chats = ChatBook(tail_limits)
        self.connected = False
        self.settle_until: float | None = None
        self.heard: set[tuple[int, str]] = set()  # (site, operator) heard since (re)connecting
        self.freed: set[int] = set()  # sites where a slot freed during the current use case
        self.last_replied: dict[str, float] = {}
        self._routers: dict[int, SiteRouter] = {}

    # -- look-ups ------------------------------------------------------------------------------

    def site(self, slug: str) -> Site:
        site = self.directory.site(slug)
        if site is None:
            raise UnknownSite(f"there is no site {slug!r} here")
        return site

    def operator_of(self, site: Site, jid: str, what: str) -> Operator:
        operator = self.directory.operator(site.id, jid)
        if operator is None:
            raise NotAllowed(f"only operators of {site.slug} may {what}")
        return operator

    def is_member(self, site: Site, jid: str | None) -> bool:
        return jid is not None and self.directory.operator(site.id, jid) is not None

    def is_online(self, site: Site, jid: str | None) -> bool:
        return jid is not None and self.presence.tier_of(jid, site.id) is not Tier.OFFLINE

    def gone(self, site: Site, jid: str) -> bool:
        """Removed from the site, or offline: said so, or silent once presence settled."""
        if not self.is_member(site, jid):
            return True
        settled = self.settle_until is None or (site.id, jid) in self.heard
        return settled and not self.is_online(site, jid)

    def idle_since(self, op: Operator) -> float | None:
        became_available = self.presence.available_since(op.jid, op.site_id)
        return idle_since(op.last_assigned_at, self.last_replied.get(op.jid), became_available)

    # -- steps every use case takes ------------------------------------------------------------

    def checked_body(self, body: str) -> str:
        if not body.strip():
            raise EmptyMessage("empty message")
        if len(body) > self.max_body_chars:
            raise MessageTooLong(f"message longer than {self.max_body_chars} characters")
        if not self.archive.accepting:
            self.on_archive_full()
            raise ArchiveFull("the archive is catching up; please send this again in a moment")
        return body

    def check_room(self, site: Site, lang: str | None = None) -> None:
        """DeskFull (in `lang`, else the site's language) when the site holds as many open
        chats as it may: a new chat is refused, nothing is opened."""
        if self.chats.open_at(site.id) >= self.max_open_chats:
            spoken = lang or self.catalogue.choose([], site.settings.lang)
            raise DeskFull(self.catalogue.text(spoken, "desk_full"))

    def note_opened(self, site: Site) -> None:
        """A chat just opened; the one that fills the site's room says so in the log, once."""
        if self.chats.open_at(site.id) == self.max_open_chats:
            log.warning(
                "site %s holds %d open chats, limits.max_open_chats_per_site: new chats are"
                " refused until some close",
                site.slug,
                self.max_open_chats,
            )

    def record(
        self,
        entry: OpenChat,
        sender: Sender,
        author: str,
        body: str,
        now: float,
        notice: Notice = Notice.NONE,
        detail: str = "",
    ) -> Message:
        message = self.chats.add_message(entry, sender, author, body, now, notice, detail)
        self.archive.add_message(message)
        return message

    def spoken(self, site: Site, tag: str) -> str:
        """The language a new chat's visitor is told things in: their language tag's when the
        catalogue has it, else the site's (else English)."""
        return self.catalogue.choose([tag], site.settings.lang)

    def words(self, site: Site, chat: Chat, key: str, **values: object) -> str:
        """The catalogue's text `key` in the chat's language (the site's for a chat from before
        chats kept one)."""
        lang = chat.lang or self.catalogue.choose((), site.settings.lang)
        return self.catalogue.text(lang, key, **values)

    def tell_visitor(
        self,
        site: Site,
        entry: OpenChat,
        body: str,
        now: float,
        notice: Notice = Notice.TEXT,
        detail: str = "",
    ) -> None:
        """A system message for the visitor, archived with what it is to them (see Notice) and
        handed to their transport, which shows it as their kind of client can."""
        desk = self.addresses.desk(site.slug)
        message = self.record(entry, Sender.SYSTEM, desk, body, now, notice, detail)
        self.visitors[entry.chat.visitor_kind].deliver(site, entry.chat, message)

    def set_state(self, entry: OpenChat, chat: Chat) -> None:
        """The one place a chat changes state: in the book and in the archive together; a slot its
        operator loses is noted for the queue."""
        before = entry.chat
        site = self.directory.site_by_id_or_none(chat.site_id)
        if chat.state in (ChatState.CLOSED, ChatState.OFFLINE) and site is not None:
            self.visitors[chat.visitor_kind].closed(site, chat, entry.next_seq - 1)
        self.chats.set_state(entry, chat)
        self.archive.add_chat(chat)
        held = before.state is ChatState.ASSIGNED
        if held and (chat.state is not ChatState.ASSIGNED or chat.operator != before.operator):
            self.freed.add(chat.site_id)

    # -- routing -------------------------------------------------------------------------------

    def route(
        self, site: Site, exclude: frozenset[str] = frozenset(), card: VisitorCard = NO_CARD
    ) -> Decision:
        """Who takes a chat; `card`: a web visitor's target flag and chosen operator (§4.2)."""
        options = RouteOptions(
            is_target=card.target,
            default_operator=site.settings.default_operator,
            target_operator=site.settings.target_operator,
            chosen_operator=card.chosen_operator if site.settings.visitor_choice else None,
            exclude=exclude,
        )
        return self._router(site).route(options, self.clock(), self.rng)

    def route_avoiding(
        self,
        site: Site,
        rather_not: Iterable[str],
        exclude: Iterable[str] = (),
        card: VisitorCard = NO_CARD,
    ) -> Decision:
        """Route without `exclude`, preferring anyone over `rather_not` (who lost the chat before).

        Losing a chat to a timeout is a preference, not a ban: when nobody else online can take
        it, an operator who lost it earlier is better than an offline one.
        """
        excluded = frozenset(exclude)
        avoided = excluded | frozenset(rather_not)
        decision = self.route(site, avoided, card)
        if decision.outcome is Outcome.ASSIGN or avoided == excluded:
            return decision
        return self.route(site, excluded, card)

    def rebuild_routers(self) -> None:
        self._routers = {}
        for site in self.directory.sites():
            router = self._router(site)
            for op in self.directory.operators(site.id):
                if op.enabled:
                    router.upsert(self._candidate(site, op))

    def refresh(self, jid: str) -> None:
        """Tell the routers of every site of this operator what changed about them."""
        for site, op in self.directory.memberships(jid):
            self.refresh_in(site, op)

    def refresh_in(self, site: Site, op: Operator) -> None:
        if op.enabled:
            self._router(site).upsert(self._candidate(site, op))
        else:
            self._router(site).remove(op.jid)

    def _router(self, site: Site) -> SiteRouter:
        router = self._routers.get(site.id)
        if router is None:
            router = self._routers[site.id] = SiteRouter(site.settings.strategy)
        return router

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
