"""What a webhook receiver is sent: the envelope `{"id", "event", "site", "at", "data"}` of SPEC §6
as exact JSON text (what is signed is what is sent), and the `data` of each event.

What a site's own server may learn: the chat (its id `acme.7`), the visitor as the site's
operators see them (kind, name; an XMPP visitor's JID; what a web visitor gave and the site
vouched for, in chat.started), operators by their id at the site (`operator list`'s id=N) and
display name. Never an operator's JID (an XMPP account, maybe of other sites too), a chat's token
or routing internals. Words (messages, feedback) only in chat.message and feedback.received.
Pure: must not import asyncio, the use cases or an adapter.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime

from component.models import Chat, ChatState, Message, Operator, Site, VisitorCard, VisitorKind
from component.records import FeedbackLeft

Data = dict[str, object]


def envelope(delivery_id: str, event: str, site: str, at: float, data: Mapping[str, object]) -> str:
    """The body of one delivery, compact UTF-8 JSON (text that is not valid Unicode gets "?")."""
    body = json.dumps(
        {"id": delivery_id, "event": event, "site": site, "at": iso_time(at), "data": data},
        ensure_ascii=False,
        separators=(",", ":"),
    )
    try:
        body.encode("utf-8")
    except UnicodeEncodeError:
        return body.encode("utf-8", "replace").decode("utf-8")
    return body


def iso_time(at: float) -> str:
    """RFC 3339 in UTC with microseconds: 2026-12-07T12:39:19.123456Z."""
    stamp = datetime.fromtimestamp(at, UTC).isoformat(timespec="microseconds")
    return stamp.replace("+00:00", "Z")


def operator_data(operator: Operator) -> Data:
    return {"id": operator.id, "name": operator.name}


def chat_data(site: Site, chat: Chat, card: VisitorCard | None = None) -> Data:
    """The chat every chat event carries; `card`: a web visitor's details (chat.started)."""
    visitor: Data = {"kind": chat.visitor_kind.value, "name": chat.visitor_name}
    if chat.visitor_kind is VisitorKind.XMPP:
        visitor["jid"] = chat.visitor
    elif card is not None:
        visitor.update(_card_data(card))
    return {
        "id": f"{site.slug}.{chat.number}",
        "number": chat.number,
        "opened_at": iso_time(chat.opened_at),
        "visitor": visitor,
    }


def _card_data(card: VisitorCard) -> Data:
    """What a web visitor gave (empty: not given) and whether the site's signature vouched for
    it; `customer_id` is the site's own id of a verified visitor."""
    return {
        "email": card.email,
        "page": card.page,
        "referrer": card.referrer,
        "lang": card.lang,
        "verified": card.verified,
        "customer_id": card.customer_id if card.verified else "",
    }


def chat_started(site: Site, chat: Chat, card: VisitorCard | None) -> Data:
    return {"chat": chat_data(site, chat, card)}


def chat_assigned(site: Site, chat: Chat, operator: Operator, online: bool) -> Data:
    """`operator_online` false: nobody was online, the chat waits in the operator's client."""
    return {
        "chat": chat_data(site, chat),
        "operator": operator_data(operator),
        "operator_online": online,
    }


def chat_closed(site: Site, chat: Chat, operator: Operator | None) -> Data:
    """`state`: closed, or offline (the chat became feedback); `operator`: who had it last."""
    state = "offline" if chat.state is ChatState.OFFLINE else "closed"
    held = None if operator is None else operator_data(operator)
    return {"chat": chat_data(site, chat), "state": state, "operator": held}


def chat_message(site: Site, chat: Chat, message: Message, operator: Operator | None) -> Data:
    data: Data = {
        "chat": chat_data(site, chat),
        "seq": message.seq,
        "from": message.sender.value,
        "text": message.body,
    }
    if operator is not None:
        data["operator"] = operator_data(operator)
    return data


def feedback_received(site: Site, feedback: FeedbackLeft) -> Data:
    """`chat`: the chat that became this feedback (an XMPP visitor's), else null."""
    chat = None if feedback.chat_number is None else f"{site.slug}.{feedback.chat_number}"
    data: Data = {
        "number": feedback.number,
        "source": feedback.source.value,
        "name": feedback.name,
        "contact": feedback.contact,
        "email": feedback.email,
        "text": feedback.text,
        "page": feedback.page,
        "lang": feedback.lang,
        "chat": chat,
    }
    if feedback.source is VisitorKind.XMPP:
        data["jid"] = feedback.visitor
    return {"feedback": data}


def operator_changed(operator: Operator) -> Data:
    """operator.online / operator.offline: whose state it is (`at`: since when)."""
    return {"operator": operator_data(operator)}
