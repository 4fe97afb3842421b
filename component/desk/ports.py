"""The small interfaces the use cases perform their I/O through; adapters implement them.

Must not import any adapter library.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from component.archive import OperatorUpdate
from component.models import (
    NO_RECEIPTS,
    Chat,
    ChatState,
    Message,
    Operator,
    Receipt,
    Site,
    Typing,
)
from component.records import Record


class PresenceType(StrEnum):
    AVAILABLE = "available"
    PROBE = "probe"
    SUBSCRIBE = "subscribe"
    SUBSCRIBED = "subscribed"
    UNSUBSCRIBE = "unsubscribe"
    UNSUBSCRIBED = "unsubscribed"


class XmppOut(Protocol):
    """Stanzas the component sends; `sender` is always one of the component's own JIDs."""

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
        """Send a chat message (with a chat state, asking for `ask`; `delay`: when it was first
        said, an XEP-0203 stamp, for words kept and told later); returns its id."""
        ...

    def send_presence(
        self, sender: str, recipient: str, kind: PresenceType, *, status: str = ""
    ) -> None:
        """A presence of `kind`; `status` is its human-readable text (empty: none)."""

    def send_typing(self, sender: str, recipient: str, typing: Typing) -> None:
        """A chat state alone, without a body."""
        ...

    def send_receipt(self, sender: str, recipient: str, message_id: str, kind: Receipt) -> None:
        """Acknowledge the recipient's message `message_id` (delivered, or read)."""
        ...


class VisitorTransport(Protocol):
    """How the desk's words and signals reach a visitor of one kind (XMPP, the web widget)."""

    @property
    def acknowledges(self) -> frozenset[Receipt]:
        """What this kind of visitor is shown of their own messages without asking for it (the
        web widget: delivered and read, as `receipt` events); the id is the message's seq."""
        ...

    def deliver(
        self,
        site: Site,
        chat: Chat,
        message: Message,
        *,
        typing: Typing | None = None,
        ask: frozenset[Receipt] = NO_RECEIPTS,
    ) -> str:
        """An archived operator or system message for the visitor (a system message's notice
        says what it is to them); returns the id the visitor acknowledges it by ("" for none)."""
        ...

    def typing(self, site: Site, chat: Chat, state: Typing) -> None:
        """The operator's chat state (a web visitor's `typing` event)."""
        ...

    def receipt(self, site: Site, chat: Chat, visitor_message_id: str, kind: Receipt) -> None:
        """The operator's client got (delivered) or showed (read) the visitor's message."""
        ...

    def closed(self, site: Site, chat: Chat, last_seq: int) -> None:
        """The chat ended (closed, or passed on offline) after its message `last_seq`: nothing
        more reaches its visitor."""
        ...


class ArchiveSink(Protocol):
    """Where the use cases append archive rows without waiting (see archive.ArchiveWriter).

    `accepting` turns False when its buffer is at the cap: the desk then relays nothing new.
    """

    @property
    def accepting(self) -> bool: ...

    def add_chat(self, chat: Chat) -> None: ...

    def add_message(self, message: Message) -> None: ...

    def add_operator_update(self, update: OperatorUpdate) -> None: ...

    def add_record(self, record: Record) -> None:
        """Feedback, mail, a webhook delivery, a site event (records.py), stored like the rest."""
        ...


class OperatorWatch(Protocol):
    """Told when an operator comes online at a site's desk (from offline: a login, the first
    presence after a (re)start or reconnection) and when they go offline there. Reminders of
    feedback and the operator webhooks listen; the desk calls it after its own changes."""

    def came_online(self, site: Site, operator: Operator, now: float) -> None: ...

    def went_offline(self, site: Site, operator: Operator, now: float) -> None: ...


class Watches:
    """An OperatorWatch that tells each of its watches in turn (none at first: `add` them)."""

    def __init__(self) -> None:
        self._watches: list[OperatorWatch] = []

    def add(self, watch: OperatorWatch) -> None:
        self._watches.append(watch)

    def came_online(self, site: Site, operator: Operator, now: float) -> None:
        for watch in self._watches:
            watch.came_online(site, operator, now)

    def went_offline(self, site: Site, operator: Operator, now: float) -> None:
        for watch in self._watches:
            watch.went_offline(site, operator, now)


@dataclass(frozen=True, slots=True)
class TranscriptOrder:
    """A transcript the archive must give: chat `number` of site `site_id`, its messages after
    the seq `after` up to `through`, to `recipient` from the chat JID `sender`, after `header`
    (nick `nick` on the first page; operators' lines named by `names`). `current` says, when
    asked later, whether the chat is still `recipient`'s by the same assignment."""

    site_id: int
    number: int
    after: int
    through: int
    sender: str
    recipient: str
    header: str
    nick: str
    names: Mapping[str, str]
    current: Callable[[], bool]


class Transcripts(Protocol):
    """Transcripts too long for the desk's memory, read from the archive and sent in pages."""

    def send(self, order: TranscriptOrder) -> None:
        """Send the header and the ordered messages in numbered pages (transcript_pages.py).

        From this call on, whatever is sent from `sender` to `recipient` waits until the last
        page is out. No page goes once `current()` is False (the chat moved or closed); if the
        archive cannot be read, the recipient is told so from `sender`. Either way what waited
        then goes, in order."""
        ...


class RosterPushes(Protocol):
    """Puts a site's desk into an operator's roster with subscription both through the XMPP
    server's API (only where it gives one), without waiting: the answer comes back later as the
    desk's `roster_pushed` use case."""

    def push(self, site: Site, operator: Operator) -> None: ...


@dataclass(frozen=True, slots=True)
class ChatSummary:
    """One row of `recent`: a chat, how many messages it has, its visitor's first words."""

    number: int
    opened_at: float
    visitor_name: str
    visitor: str
    operator: str | None
    state: ChatState
    messages: int
    first_words: str


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One row of `search`: a chat and its latest message that matched (`body` as stored, cut to
    a few KB)."""

    number: int
    at: float
    visitor_name: str
    visitor: str
    operator: str | None
    body: str
