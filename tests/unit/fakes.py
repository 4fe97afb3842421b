"""Fakes of the service's ports (same small protocols as the real adapters) and a ready HelpDesk."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from component.addresses import Addresses
from component.archive import ArchiveBatch, OperatorUpdate, RejectedError
from component.chat_tail import DEFAULT_LIMITS, TailLimits
from component.desk.helpdesk import HelpDesk
from component.desk.ports import (
    ArchiveSink,
    OperatorWatch,
    PresenceType,
    RosterPushes,
    TranscriptOrder,
    Transcripts,
    Watches,
)
from component.desk.state import PRESENCE_SETTLE_SECONDS, DeskState
from component.directory import Directory
from component.holds import Gate, Holds
from component.locales import shipped_catalogue
from component.models import (
    NO_RECEIPTS,
    Chat,
    Message,
    Operator,
    Receipt,
    Show,
    Site,
    Typing,
    VisitorKind,
)
from component.records import Record
from component.xmpp.jids import normalize_bare_jid
from component.xmpp.visitors import XmppVisitors

DOMAIN = "help.test"


@dataclass
class Sent:
    sender: str
    recipient: str
    body: str
    nick: str | None = None
    typing: Typing | None = None
    ask: frozenset[Receipt] = NO_RECEIPTS
    id: str = ""
    delay: float | None = None


@dataclass
class FakeOut:
    """Records what is sent, in order; what a hold keeps is recorded once it is released (as
    SlixmppOut writes it)."""

    messages: list[Sent] = field(default_factory=list)
    presences: list[tuple[str, str, PresenceType]] = field(default_factory=list)
    states: list[tuple[str, str, Typing]] = field(default_factory=list)
    receipts: list[tuple[str, str, str, Receipt]] = field(default_factory=list)
    sent_count: int = 0
    statuses: list[tuple[str, str, str]] = field(default_factory=list)
    """(sender, recipient, status text) of every available presence, in order."""
    holds: Holds[Sent] = field(default_factory=Holds)

    def send_message(
        self,
        sender: str,
        recipient: str,
        body: str,
        *,
        nick: str | None = None,
        typing: Typing | None = None,
        ask: frozenset[Receipt] = NO_RECEIPTS,
        delay: float | None = None,
    ) -> str:
        self.sent_count += 1
        message_id = f"out{self.sent_count}"
        sent = Sent(sender, recipient, body, nick, typing, ask, message_id, delay)
        if self.holds.admit((sender, recipient), sent):
            self.messages.append(sent)
        return message_id

    def hold(self, sender: str, recipient: str) -> Gate[Sent]:
        return self.holds.open((sender, recipient))

    def send_through(self, gate: Gate[Sent], body: str, *, nick: str | None = None) -> None:
        self.sent_count += 1
        sent = Sent(*gate.pair, body, nick, id=f"out{self.sent_count}")
        self.messages += self.holds.through(gate, sent)

    def release(self, gate: Gate[Sent]) -> None:
        self.messages += self.holds.release(gate)

    def send_typing(self, sender: str, recipient: str, typing: Typing) -> None:
        self.states.append((sender, recipient, typing))

    def send_receipt(self, sender: str, recipient: str, message_id: str, kind: Receipt) -> None:
        self.receipts.append((sender, recipient, message_id, kind))

    def send_presence(
        self, sender: str, recipient: str, kind: PresenceType, *, status: str = ""
    ) -> None:
        self.presences.append((sender, recipient, kind))
        if kind is PresenceType.AVAILABLE:
            self.statuses.append((sender, recipient, status))

    def to(self, recipient: str) -> list[Sent]:
        return [m for m in self.messages if m.recipient == recipient]

    def take(self) -> list[Sent]:
        taken, self.messages = self.messages, []
        return taken


@dataclass
class FakeWebVisitors:
    """The VisitorTransport port as the web side will see it: what each chat's visitor gets."""

    acknowledges = frozenset(Receipt)  # as the web widget: receipts of every message
    delivered: list[Message] = field(default_factory=list)
    states: list[tuple[int, Typing]] = field(default_factory=list)
    receipts: list[tuple[int, str, Receipt]] = field(default_factory=list)
    ended: list[int] = field(default_factory=list)

    def deliver(
        self,
        site: Site,
        chat: Chat,
        message: Message,
        *,
        typing: Typing | None = None,
        ask: frozenset[Receipt] = NO_RECEIPTS,
    ) -> str:
        self.delivered.append(message)
        return ""

    def typing(self, site: Site, chat: Chat, state: Typing) -> None:
        self.states.append((chat.number, state))

    def receipt(self, site: Site, chat: Chat, visitor_message_id: str, kind: Receipt) -> None:
        self.receipts.append((chat.number, visitor_message_id, kind))

    def closed(self, site: Site, chat: Chat, last_seq: int) -> None:
        self.ended.append(chat.number)


@dataclass
class FakeTranscripts:
    """The Transcripts port: records each order (a test may play the archive's part)."""

    orders: list[TranscriptOrder] = field(default_factory=list)

    def send(self, order: TranscriptOrder) -> None:
        self.orders.append(order)


@dataclass
class FakeArchive:
    chats: list[Chat] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    operators: list[OperatorUpdate] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)
    accepting: bool = True

    def add_chat(self, chat: Chat) -> None:
        self.chats.append(chat)

    def add_message(self, message: Message) -> None:
        self.messages.append(message)

    def add_operator_update(self, update: OperatorUpdate) -> None:
        self.operators.append(update)

    def add_record(self, record: Record) -> None:
        self.records.append(record)

    async def messages_between(
        self, site_id: int, number: int, after: int, through: int, limit: int
    ) -> list[Message]:
        """What ArchiveRepository.messages_between reads, from what was archived here."""
        of_chat = [m for m in self.messages if (m.site_id, m.chat_number) == (site_id, number)]
        return [m for m in of_chat if after < m.seq <= through][:limit]


class FlakyStore:
    """Stores batches; fails the next `failures` writes (after storing, when `ambiguous`)."""

    def __init__(self, failures: int = 0, ambiguous: bool = False) -> None:
        self.failures = failures
        self.ambiguous = ambiguous
        self.batches: list[ArchiveBatch] = []
        self.messages: dict[tuple[int, int, int], Message] = {}
        self.chats: dict[tuple[int, int], Chat] = {}

    async def write_batch(self, batch: ArchiveBatch) -> None:
        if self.failures and not self.ambiguous:
            self.failures -= 1
            raise ConnectionError("database went away")
        self.batches.append(batch)
        for chat in batch.chats:
            self.chats[(chat.site_id, chat.number)] = chat
        for m in batch.messages:
            assert (m.site_id, m.chat_number) in self.chats, "message before its chat"
            self.messages.setdefault((m.site_id, m.chat_number, m.seq), m)
        if self.failures:
            self.failures -= 1
            raise ConnectionError("lost the connection during commit")


class PickyStore(FlakyStore):
    """Refuses any batch holding a message whose body is 'poison'."""

    async def write_batch(self, batch: ArchiveBatch) -> None:
        if any(m.body == "poison" for m in batch.messages):
            raise RejectedError("Data too long for column 'body'")
        await super().write_batch(batch)


class DownStore(FlakyStore):
    """A database that is down: every write fails at once."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0
        self.called = asyncio.Event()

    async def write_batch(self, batch: ArchiveBatch) -> None:
        self.calls += 1
        self.called.set()
        raise ConnectionError("Can't connect to MySQL server")


@dataclass
class FakeWatch:
    """The OperatorWatch port: (site slug, operator JID, "online"/"offline") as told."""

    told: list[tuple[str, str, str]] = field(default_factory=list)

    def came_online(self, site: Site, operator: Operator, now: float) -> None:
        self.told.append((site.slug, operator.jid, "online"))

    def went_offline(self, site: Site, operator: Operator, now: float) -> None:
        self.told.append((site.slug, operator.jid, "offline"))


def _both(first: OperatorWatch, second: OperatorWatch) -> Watches:
    watches = Watches()
    watches.add(first)
    watches.add(second)
    return watches


class Clock:
    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


ACME = Site(1, "acme", "Acme Inc.")
GLOBEX = Site(2, "globex", "Globex")
ALICE = Operator(1, "alice@x.test", "Alice", priority=10, subscribed=True, id=11)
BOB = Operator(1, "bob@x.test", "Bob", priority=5, subscribed=True, id=12)
MALLORY = Operator(2, "mallory@x.test", "Mallory", subscribed=True, id=21)


@dataclass
class World:
    desk: HelpDesk
    out: FakeOut
    archive: FakeArchive
    clock: Clock
    web: FakeWebVisitors
    transcripts: FakeTranscripts
    watch: FakeWatch

    def online(self, jid: str, show: str = "available", *, slugs: tuple[str, ...] = ()) -> None:
        """The operator's server tells each desk they subscribed to (or only `slugs`)."""
        for slug in slugs or self.desks_of(jid):
            self.desk.presence_available(jid, slug, "res", Show(show), "", 0, None)

    def offline(self, jid: str, *, slugs: tuple[str, ...] = ()) -> None:
        for slug in slugs or self.desks_of(jid):
            self.desk.presence_unavailable(jid, slug, "res")

    def desks_of(self, jid: str) -> tuple[str, ...]:
        return tuple(site.slug for site, _ in self.desk.directory.memberships(jid))

    def chat_jid(self, number: int, slug: str = "acme") -> str:
        return f"{slug}.{number}@{DOMAIN}"

    def desk_jid(self, slug: str = "acme") -> str:
        return f"{slug}@{DOMAIN}"


def make_world(
    operators: tuple[Operator, ...] = (ALICE, BOB, MALLORY),
    max_body: int = 100,
    tail: TailLimits = DEFAULT_LIMITS,
    transcripts: Callable[[FakeOut, FakeArchive], Transcripts] | None = None,
    wrap_archive: Callable[[FakeArchive], ArchiveSink] | None = None,
    also_watch: OperatorWatch | None = None,
    pushes: RosterPushes | None = None,
) -> World:
    """A connected desk whose presence settled; `transcripts` builds its Transcripts port from
    the fakes (else a FakeTranscripts records the orders); `wrap_archive` puts a port in front
    of the FakeArchive; `also_watch` hears what the FakeWatch hears; `pushes` puts the desk into
    rosters through the server's API."""
    out, archive, clock, web = FakeOut(), FakeArchive(), Clock(), FakeWebVisitors()
    recorded, watch = FakeTranscripts(), FakeWatch()
    addresses = Addresses(DOMAIN)
    desk = HelpDesk(
        DeskState(
            catalogue=shipped_catalogue(),
            addresses=addresses,
            archive=archive if wrap_archive is None else wrap_archive(archive),
            out=out,
            transcripts=recorded if transcripts is None else transcripts(out, archive),
            visitors={VisitorKind.XMPP: XmppVisitors(out, addresses), VisitorKind.WEB: web},
            clock=clock,
            rng=random.Random(7),
            max_body_chars=max_body,
            jid_form=normalize_bare_jid,
            tail_limits=tail,
            watch=watch if also_watch is None else _both(watch, also_watch),
            roster_pushes=pushes,
        )
    )
    desk.apply_directory(Directory([ACME, GLOBEX], operators))
    desk.on_connected()
    clock.advance(PRESENCE_SETTLE_SECONDS)
    desk.on_tick()
    out.presences.clear()
    out.statuses.clear()
    return World(desk, out, archive, clock, web, recorded, watch)
