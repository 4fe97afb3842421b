"""Reading values out of incoming stanzas (show, idle, nick, language, chat states, receipts) and
building error replies."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from component.models import AckRequest, Receipt, Show, Typing

log = logging.getLogger(__name__)

CHATSTATES_NS = "http://jabber.org/protocol/chatstates"  # XEP-0085
RECEIPTS_NS = "urn:xmpp:receipts"  # XEP-0184
MARKERS_NS = "urn:xmpp:chat-markers:0"  # XEP-0333
_TYPING = {f"{{{CHATSTATES_NS}}}{state.value}": state for state in Typing}
_ASKS = {f"{{{RECEIPTS_NS}}}request": Receipt.DELIVERED, f"{{{MARKERS_NS}}}markable": Receipt.READ}
_ACKS = {
    f"{{{RECEIPTS_NS}}}received": Receipt.DELIVERED,
    f"{{{MARKERS_NS}}}received": Receipt.DELIVERED,
    f"{{{MARKERS_NS}}}displayed": Receipt.READ,
}
_EXTRA_TAGS = _TYPING.keys() | _ASKS.keys() | _ACKS.keys()
MAX_ID_CHARS = 256
"""Longer message ids are neither remembered nor looked up: clients use UUID-sized ids, and the
ack maps must not hold what a stranger makes as big as a stanza."""

IDLE_TAG = "{urn:xmpp:idle:1}idle"
NICK_TAG = "{http://jabber.org/protocol/nick}nick"
LANG_ATTRIBUTE = "{http://www.w3.org/XML/1998/namespace}lang"
ERROR_TYPES = {
    "item-not-found": "cancel",
    "forbidden": "auth",
    "bad-request": "modify",
    "not-acceptable": "modify",
    "internal-server-error": "wait",
    "feature-not-implemented": "cancel",
    "policy-violation": "wait",  # a rate limit: the same stanza goes through later
    "resource-constraint": "wait",  # the archive full, the site's open chats at their cap
}


def show_of(presence: Any) -> Show:
    value = presence["show"] or "available"
    return Show(value) if value in Show.__members__.values() else Show.AVAILABLE


def idle_since_of(presence: Any) -> float | None:
    """XEP-0319 idle-since as POSIX seconds, None when absent or unreadable."""
    element = presence.xml.find(IDLE_TAG)
    if element is None:
        return None
    try:
        return datetime.fromisoformat(element.get("since", "")).timestamp()
    except ValueError:
        log.debug("ignoring unreadable idle since %r", element.get("since"))
        return None


def nick_of(message: Any) -> str:
    element = message.xml.find(NICK_TAG)
    return (element.text or "").strip() if element is not None else ""


def lang_of(stanza: Any) -> str:
    """The stanza's xml:lang ("" for none). ejabberd puts the sender's stream language on a
    stanza that has none, and slixmpp the component stream's."""
    return str(stanza.xml.get(LANG_ATTRIBUTE, ""))


@dataclass(slots=True)
class Extras:
    """What a message carries besides its body: a chat state, what its author asks to be told,
    and the acknowledgements of earlier messages, as (id, kind)."""

    typing: Typing | None = None
    request: AckRequest | None = None
    acks: list[tuple[str, Receipt]] = field(default_factory=list)


def extras_of(xml: Any) -> Extras | None:
    """Chat state, receipt request, markable and acknowledgements of a message; None if none.

    One pass over the children, a set look-up each: cheap enough for the relay's hot path.
    """
    found = [child for child in xml if child.tag in _EXTRA_TAGS]
    if not found:
        return None
    extras, asked = Extras(), set()
    for child in found:
        tag = child.tag
        if tag in _TYPING:
            extras.typing = _TYPING[tag]
        elif tag in _ASKS:
            asked.add(_ASKS[tag])
        elif 0 < len(acked := child.get("id", "")) <= MAX_ID_CHARS:
            extras.acks.append((acked, _ACKS[tag]))
    message_id = xml.get("id", "")
    if asked and 0 < len(message_id) <= MAX_ID_CHARS:
        extras.request = AckRequest(message_id, frozenset(asked))
    return extras


def send_error(stanza: Any, condition: str, text: str) -> None:
    """Answer a stanza with an error from the address it was sent to (never to an error)."""
    if stanza["type"] == "error":
        return
    reply = stanza.reply(clear=True) if stanza.name == "message" else stanza.reply()
    reply["type"] = "error"
    _set_condition(reply["error"], condition)
    reply["error"]["type"] = ERROR_TYPES.get(condition, "cancel")
    reply["error"]["text"] = text
    reply.send()


def _set_condition(error: Any, condition: str) -> None:
    """slixmpp 1.17 knows only RFC 3920's conditions and ignores others (RFC 6120's
    policy-violation): those are written as elements by hand."""
    if condition in error.conditions:
        error["condition"] = condition
        return
    del error["condition"]  # the feature-not-implemented every new error starts with
    error.xml.append(ET.Element(f"{{{error.condition_ns}}}{condition}"))
