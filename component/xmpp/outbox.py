"""The XmppOut port over a slixmpp stream: stanzas written as text, each with an explicit `from`.

The relay's hot path writes serialised stanzas directly (much cheaper than slixmpp stanza
objects). While the stream is down they wait here, in order, and are written once it is back.
While a transcript is read from the archive, what goes from its chat JID to its operator waits
behind it (`hold`, component/holds.py) and follows its last page.
Message ids are random (72 bits): an acknowledgement of a message sent before a restart can never
name a message sent after it, and no recipient learns from them how much others were sent.
"""

from __future__ import annotations

import logging
import os
import random
import re
from collections import deque
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from component.desk.ports import PresenceType
from component.holds import Gate, Holds
from component.models import NO_RECEIPTS, Receipt, Typing
from component.xmpp.stanzas import CHATSTATES_NS, MARKERS_NS, RECEIPTS_NS

log = logging.getLogger(__name__)

NICK_NS = "http://jabber.org/protocol/nick"
DELAY_NS = "urn:xmpp:delay"  # XEP-0203
NO_STORE = "<no-store xmlns='urn:xmpp:hints'/>"  # chat states are not kept for offline users
_ASKS = {
    Receipt.DELIVERED: f"<request xmlns='{RECEIPTS_NS}'/>",
    Receipt.READ: f"<markable xmlns='{MARKERS_NS}'/>",
}
_ACKS = {
    Receipt.DELIVERED: f"<received xmlns='{RECEIPTS_NS}' id=",
    Receipt.READ: f"<displayed xmlns='{MARKERS_NS}' id=",
}
# characters XML 1.0 does not allow, which a web visitor could still send
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


_ids = random.Random(os.urandom(32))  # seeded from the OS once; a syscall per id cost µs


def _new_id() -> str:
    """72 random bits: an id tells its recipient nothing about what others were sent."""
    return f"hc{_ids.getrandbits(72):018x}"


def _stamp(at: float) -> str:
    """An XEP-0082 date-time in UTC, to the millisecond: 2026-12-07T10:15:00.123Z."""
    moment = datetime.fromtimestamp(at, UTC).isoformat(timespec="milliseconds")
    return moment.replace("+00:00", "Z")


def xml_chars(value: str) -> str:
    """`value` with every character XML 1.0 forbids as U+FFFD (slixmpp writes them raw, and one
    such character makes the server close the whole stream)."""
    return _NOT_XML.sub("\ufffd", value)


def xml_text(value: str) -> str:
    return escape(xml_chars(value))


class SlixmppOut:
    def __init__(self, stream: Any, max_pending: int = 100_000) -> None:
        self._stream = stream
        self._pending: deque[str] = deque()
        self._max_pending = max_pending
        self._holds: Holds[str] = Holds()
        self.ready = False

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
        message_id = _new_id()
        extra = f'<nick xmlns="{NICK_NS}">{xml_text(nick)}</nick>' if nick else ""
        if delay is not None:
            extra += f"<delay xmlns='{DELAY_NS}' from={quoteattr(sender)} stamp='{_stamp(delay)}'/>"
        if typing is not None:
            extra += f"<{typing.value} xmlns='{CHATSTATES_NS}'/>"
        if ask:
            extra += "".join(_ASKS[kind] for kind in sorted(ask))
        self._write(_message(sender, recipient, message_id, body, extra), (sender, recipient))
        return message_id

    def hold(self, sender: str, recipient: str) -> Gate[str]:
        """From now on, what goes from `sender` to `recipient` waits until the gate is released;
        `send_through` writes the gate's own pages ahead of it."""
        return self._holds.open((sender, recipient))

    def send_through(self, gate: Gate[str], body: str, *, nick: str | None = None) -> None:
        sender, recipient = gate.pair
        extra = f'<nick xmlns="{NICK_NS}">{xml_text(nick)}</nick>' if nick else ""
        for data in self._holds.through(gate, _message(sender, recipient, _new_id(), body, extra)):
            self._emit(data)

    def release(self, gate: Gate[str]) -> None:
        """The gate's pages are out (or will not come): what waited behind it goes, in order."""
        for data in self._holds.release(gate):
            self._emit(data)

    def send_typing(self, sender: str, recipient: str, typing: Typing) -> None:
        self._write(
            f"<message from={quoteattr(sender)} to={quoteattr(recipient)} type='chat'"
            f" id='{_new_id()}'>"
            f"<{typing.value} xmlns='{CHATSTATES_NS}'/>{NO_STORE}</message>",
            (sender, recipient),
        )

    def send_receipt(self, sender: str, recipient: str, message_id: str, kind: Receipt) -> None:
        self._write(
            f"<message from={quoteattr(sender)} to={quoteattr(recipient)} type='chat'"
            f" id='{_new_id()}'>{_ACKS[kind]}{quoteattr(message_id)}/>"
            "</message>",
            (sender, recipient),
        )

    def send_presence(
        self, sender: str, recipient: str, kind: PresenceType, *, status: str = ""
    ) -> None:
        ptype = "" if kind is PresenceType.AVAILABLE else f" type='{kind.value}'"
        head = f"<presence from={quoteattr(sender)} to={quoteattr(recipient)}{ptype}"
        if status:
            self._write(
                f"{head}><status>{xml_text(status)}</status></presence>", (sender, recipient)
            )
        else:
            self._write(f"{head}/>", (sender, recipient))

    def connected(self) -> None:
        """The stream is up: write what waited, in order."""
        self.ready = True
        if self._pending:
            log.info("sending %d stanzas held while disconnected", len(self._pending))
        while self._pending and self.ready:
            self._stream.send_raw(self._pending.popleft())

    def disconnected(self) -> None:
        self.ready = False

    def _write(self, data: str, pair: tuple[str, str]) -> None:
        if self._holds and not self._holds.admit(pair, data):
            return  # behind a transcript still on its way
        self._emit(data)

    def _emit(self, data: str) -> None:
        if self.ready and not self._pending:
            self._stream.send_raw(data)
            return
        if len(self._pending) >= self._max_pending:
            log.error("outgoing queue full (%d stanzas): dropping the oldest", self._max_pending)
            self._pending.popleft()
        self._pending.append(data)


def _message(sender: str, recipient: str, message_id: str, body: str, extra: str) -> str:
    return (
        f"<message from={quoteattr(sender)} to={quoteattr(recipient)} type='chat'"
        f" id='{message_id}'><body>{xml_text(body)}</body>{extra}</message>"
    )
