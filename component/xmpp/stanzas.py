"""Reading values out of incoming stanzas (show, idle, nick) and building error replies."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from component.models import Show

log = logging.getLogger(__name__)

IDLE_TAG = "{urn:xmpp:idle:1}idle"
NICK_TAG = "{http://jabber.org/protocol/nick}nick"
ERROR_TYPES = {
    "item-not-found": "cancel",
    "forbidden": "auth",
    "bad-request": "modify",
    "not-acceptable": "modify",
    "internal-server-error": "wait",
    "feature-not-implemented": "cancel",
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


def send_error(stanza: Any, condition: str, text: str) -> None:
    """Answer a stanza with an error from the address it was sent to (never to an error)."""
    if stanza["type"] == "error":
        return
    reply = stanza.reply(clear=True) if stanza.name == "message" else stanza.reply()
    reply["type"] = "error"
    reply["error"]["condition"] = condition
    reply["error"]["type"] = ERROR_TYPES.get(condition, "cancel")
    reply["error"]["text"] = text
    reply.send()
