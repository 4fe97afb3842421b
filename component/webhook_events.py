"""The webhook events of SPEC §6: their names, which ones a webhook takes unless told otherwise,
and a webhook's list of events as typed and as stored.

Pure: no I/O; must not import asyncio, the use cases or an adapter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from component.errors import InvalidInput

CHAT_STARTED = "chat.started"
CHAT_ASSIGNED = "chat.assigned"
CHAT_CLOSED = "chat.closed"
CHAT_MESSAGE = "chat.message"
FEEDBACK_RECEIVED = "feedback.received"
OPERATOR_ONLINE = "operator.online"
OPERATOR_OFFLINE = "operator.offline"

EVENTS = (
    CHAT_STARTED,
    CHAT_ASSIGNED,
    CHAT_CLOSED,
    CHAT_MESSAGE,
    FEEDBACK_RECEIVED,
    OPERATOR_ONLINE,
    OPERATOR_OFFLINE,
)
OPT_IN = frozenset({CHAT_MESSAGE})
"""Taken only when asked for by name: every message's words is a lot of traffic, and personal."""
DEFAULT_EVENTS = tuple(event for event in EVENTS if event not in OPT_IN)

_SEPARATORS = re.compile(r"[,\s]+")


def checked_events(text: str | None) -> tuple[str, ...]:
    """The events of `--events E,...` (commas or spaces), in EVENTS' order; None: the defaults.

    `all` stands for every event, chat.message included. InvalidInput names what is wrong."""
    if text is None:
        return DEFAULT_EVENTS
    names = {name for name in _SEPARATORS.split(text.strip().lower()) if name}
    if "all" in names:
        names = (names - {"all"}) | set(EVENTS)
    unknown = sorted(names - set(EVENTS))
    if unknown or not names:
        given = ", ".join(unknown) if unknown else "none"
        raise InvalidInput(f"bad events ({given}): choose from all, {', '.join(EVENTS)}")
    return tuple(event for event in EVENTS if event in names)


def stored_events(events: tuple[str, ...]) -> str:
    """The `webhooks.events` column: names separated by commas."""
    return ",".join(events)


def events_of(stored: str) -> frozenset[str]:
    """The events a stored list names; a name this version does not know is ignored."""
    return frozenset(name for name in stored.split(",") if name in EVENTS)


@dataclass(frozen=True, slots=True)
class WebhookTarget:
    """Webhook `number` of site `site_id` and the events it takes (what the desk needs of it)."""

    site_id: int
    number: int
    events: frozenset[str]
