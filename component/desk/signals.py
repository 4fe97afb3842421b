"""Chat states, delivery receipts and read markers between a chat's visitor and its operator.

Signals are relayed to the chat's other side, checked like messages (the open, assigned chat and
its own operator), and otherwise dropped without a reply: clients send them unasked and often, so
an error for each would be a storm. They are never archived, never open a chat and never count as
an answer. Must not import asyncio or any adapter library.
"""

from __future__ import annotations

from component.chats import OpenChat
from component.desk.state import DeskState
from component.models import NO_RECEIPTS, AckRequest, ChatState, Message, Receipt, Site, Typing


def relay_to_operator(
    s: DeskState,
    site: Site,
    entry: OpenChat,
    operator: str,
    body: str,
    request: AckRequest | None,
    *,
    nick: str | None = None,
    typing: Typing | None = None,
) -> None:
    """Send visitor words to the operator, asking for what the visitor asked; remember the id."""
    chat_jid = s.addresses.chat(site.slug, entry.chat.number)
    ask = request.kinds if request is not None else NO_RECEIPTS
    relayed = s.out.send_message(chat_jid, operator, body, nick=nick, typing=typing, ask=ask)
    if request is not None:
        entry.acks.to_operator.put(relayed, request)


def relay_to_visitor(
    s: DeskState,
    site: Site,
    entry: OpenChat,
    message: Message,
    request: AckRequest | None,
    typing: Typing | None = None,
) -> None:
    """Send the operator's archived words to the visitor, asking for what the operator asked."""
    ask = request.kinds if request is not None else NO_RECEIPTS
    relayed = s.visitors[entry.chat.visitor_kind].deliver(
        site, entry.chat, message, typing=typing, ask=ask
    )
    if request is not None and relayed:
        entry.acks.to_visitor.put(relayed, request)


class Signals:
    """The use cases of signals that come without words (words bring theirs along)."""

    def __init__(self, state: DeskState) -> None:
        self._s = state

    def visitor_typing(self, slug: str, visitor: str, typing: Typing) -> None:
        found = self._visitors_chat(slug, visitor)
        if found is not None:
            site, entry, operator = found
            chat_jid = self._s.addresses.chat(site.slug, entry.chat.number)
            self._s.out.send_typing(chat_jid, operator, typing)

    def visitor_acknowledged(self, slug: str, visitor: str, relayed: str, kind: Receipt) -> None:
        """The visitor's client got or showed an operator's message that asked for it."""
        found = self._visitors_chat(slug, visitor)
        if found is not None:
            site, entry, operator = found
            original = entry.acks.to_visitor.take(relayed, kind)
            if original is not None:
                chat_jid = self._s.addresses.chat(site.slug, entry.chat.number)
                self._s.out.send_receipt(chat_jid, operator, original, kind)

    def operator_typing(self, jid: str, slug: str, number: int, typing: Typing) -> None:
        found = self._operators_chat(jid, slug, number)
        if found is not None:
            site, entry = found
            self._s.visitors[entry.chat.visitor_kind].typing(site, entry.chat, typing)

    def operator_acknowledged(
        self, jid: str, slug: str, number: int, relayed: str, kind: Receipt
    ) -> None:
        """The operator's client got or showed a visitor's message: the visitor hears of it."""
        found = self._operators_chat(jid, slug, number)
        if found is not None:
            site, entry = found
            original = entry.acks.to_operator.take(relayed, kind)
            if original is not None:
                transport = self._s.visitors[entry.chat.visitor_kind]
                transport.receipt(site, entry.chat, original, kind)

    def _visitors_chat(self, slug: str, visitor: str) -> tuple[Site, OpenChat, str] | None:
        """The visitor's open chat and its operator, when it has one who is still a member."""
        s = self._s
        site = s.directory.site(slug)
        entry = s.chats.of_visitor(site.id, visitor) if site is not None else None
        if site is None or entry is None or entry.chat.state is not ChatState.ASSIGNED:
            return None
        operator = entry.chat.operator
        return (site, entry, operator) if operator and s.is_member(site, operator) else None

    def _operators_chat(self, jid: str, slug: str, number: int) -> tuple[Site, OpenChat] | None:
        """The chat, when it is open and this member of its site holds it."""
        s = self._s
        site = s.directory.site(slug)
        if site is None or not s.is_member(site, jid):
            return None
        entry = s.chats.get(site.id, number)
        if entry is None or entry.chat.state is not ChatState.ASSIGNED:
            return None
        return (site, entry) if entry.chat.operator == jid else None
