"""Plain values shared by the core, the use cases and the adapters.

Frozen dataclasses and enums only: no I/O, no clock, no library imports. Times are POSIX seconds
as floats (UTC), converted to DATETIME(6) only in storage/.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum

SLUG_PATTERN = re.compile(r"[a-z0-9-]{1,32}")


class Tier(IntEnum):
    """Availability for routing, best first when sorted in reverse."""

    OFFLINE = 0
    XA = 1
    AWAY = 2
    AVAILABLE = 3


class Show(StrEnum):
    """XMPP presence <show/> values, with AVAILABLE for 'no show element'."""

    CHAT = "chat"
    AVAILABLE = "available"
    AWAY = "away"
    XA = "xa"
    DND = "dnd"


class Strategy(StrEnum):
    PRIORITY = "priority"
    DUTY = "duty"
    ROUND_ROBIN = "round_robin"
    RANDOM = "random"
    LEAST_BUSY = "least_busy"


class ChatState(StrEnum):
    QUEUED = "queued"
    ASSIGNED = "assigned"
    CLOSED = "closed"
    OFFLINE = "offline"


class VisitorKind(StrEnum):
    XMPP = "xmpp"
    WEB = "web"


class Sender(StrEnum):
    VISITOR = "visitor"
    OPERATOR = "operator"
    SYSTEM = "system"


class Notice(StrEnum):
    """What an archived system message is to the chat's visitor (SPEC §7.1 events).

    Visitors reading plain text (XMPP) are told TEXT, QUEUE and NEW_OPERATOR in words; the web
    widget shows TEXT as words, QUEUE as a `queue` event, ASSIGNED as an `operator` event, and
    skips NEW_OPERATOR (the words for what ASSIGNED shows it). NONE: not for the visitor.
    """

    NONE = ""
    TEXT = "text"
    QUEUE = "queue"  # detail: the position
    ASSIGNED = "assigned"  # detail: the operator's name
    NEW_OPERATOR = "new_operator"


@dataclass(frozen=True, slots=True)
class SiteSettings:
    """A site's settings; the web ones (origins on) come with schema version 3."""

    strategy: Strategy = Strategy.PRIORITY
    answer_timeout: float = 60.0
    default_operator: str | None = None
    target_operator: str | None = None
    max_chats: int = 0
    origins: tuple[str, ...] = ()  # allowed CORS origins, `scheme://host[:port]`
    lang: str = "en"  # what visitors are told in by default: a language of the catalogue
    visitor_choice: bool = False
    welcome: str = ""
    avatar_type: str | None = None  # the image itself stays in the database
    avatar_etag: str | None = None
    api_key: str | None = field(default=None, repr=False)  # signs identities, authorizes notify
    feedback_form: bool = False  # nobody online: the visitor leaves feedback instead (SPEC §6)
    feedback_emails: tuple[str, ...] = ()  # where feedback is mailed; () for no mail
    operators_see_all: bool = False  # every operator reads every chat of the archive, not own
    retention_days: int = (
        0  # closed chats purged this many days after their last activity; 0: never
    )


@dataclass(frozen=True, slots=True)
class Site:
    id: int
    slug: str
    name: str
    settings: SiteSettings = field(default_factory=SiteSettings)


@dataclass(frozen=True, slots=True)
class Operator:
    """One operator's membership of one site."""

    site_id: int
    jid: str
    name: str
    priority: int = 0
    max_chats: int = 0
    is_admin: bool = False
    enabled: bool = True
    paused: bool = False
    subscribed: bool = False
    last_assigned_at: float | None = None
    id: int = 0
    """The membership's own number (`operator list` shows it): how visitors and URLs name the
    operator without their JID."""


@dataclass(frozen=True, slots=True)
class ResourcePresence:
    """What one connected resource of an operator last said about itself."""

    show: Show
    status: str = ""
    priority: int = 0
    available_since: float = 0.0
    idle_since: float | None = None


@dataclass(frozen=True, slots=True)
class Chat:
    site_id: int
    number: int
    visitor: str
    visitor_kind: VisitorKind
    visitor_name: str
    state: ChatState
    opened_at: float
    operator: str | None = None
    assigned_at: float | None = None
    closed_at: float | None = None
    route_reason: str = ""
    lang: str = ""
    """The language its visitor is told things in (a catalogue language, chosen when the chat
    opened); "" for a chat from before chats kept one: the site's."""


@dataclass(frozen=True, slots=True)
class Message:
    """One archived line of a chat; (site_id, chat_number, seq) is its identity. A system
    message's `notice` says what it is to the visitor, `detail` its value (see Notice)."""

    site_id: int
    chat_number: int
    seq: int
    at: float
    sender: Sender
    author: str
    body: str
    notice: Notice = Notice.NONE
    detail: str = ""


class Typing(StrEnum):
    """A chat state (XEP-0085): what someone is doing in a chat; the web calls it typing."""

    ACTIVE = "active"
    COMPOSING = "composing"
    PAUSED = "paused"
    INACTIVE = "inactive"
    GONE = "gone"


class Receipt(StrEnum):
    """An acknowledgement of one message: its recipient's client got it, or showed it."""

    DELIVERED = "delivered"
    READ = "read"


NO_RECEIPTS: frozenset[Receipt] = frozenset()


@dataclass(frozen=True, slots=True)
class AckRequest:
    """A message's own id and the acknowledgements its author asked for."""

    id: str
    kinds: frozenset[Receipt]


@dataclass(frozen=True, slots=True)
class VisitorCard:
    """What a web visitor told about themselves, cleaned (visitor_card.py), and what the site's
    signed identity vouches for; the desk shows it to operators and routes by it.

    `page` is the latest page the visitor is on; `chosen_operator` the JID they picked (visitor
    choice), kept so that a chat moved later is routed by the same wish."""

    email: str = ""
    page: str = ""
    page_title: str = ""
    referrer: str = ""
    lang: str = ""
    verified: bool = False
    customer_id: str = ""
    target: bool = False
    chosen_operator: str | None = None


NO_CARD = VisitorCard()


@dataclass(frozen=True, slots=True)
class WebChat:
    """A chat started on the web: its token's SHA-256 (hex) and its visitor's card."""

    site_id: int
    number: int
    token_hash: str = field(repr=False)
    card: VisitorCard = NO_CARD
