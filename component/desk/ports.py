"""The small interfaces the use cases perform their I/O through; adapters implement them.

Must not import any adapter library.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from component.archive import OperatorUpdate
from component.models import Chat, Message, Site


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
        self, sender: str, recipient: str, body: str, *, nick: str | None = None
    ) -> None: ...

    def send_presence(self, sender: str, recipient: str, kind: PresenceType) -> None: ...


class VisitorTransport(Protocol):
    """How text reaches a visitor of one kind (XMPP today, the web widget later)."""

    def deliver(self, site: Site, chat: Chat, body: str) -> None: ...


class ArchiveSink(Protocol):
    """Where the use cases append archive rows without waiting (see archive.ArchiveWriter).

    `accepting` turns False when its buffer is at the cap: the desk then relays nothing new.
    """

    @property
    def accepting(self) -> bool: ...

    def add_chat(self, chat: Chat) -> None: ...

    def add_message(self, message: Message) -> None: ...

    def add_operator_update(self, update: OperatorUpdate) -> None: ...
