"""Visitor transports: how the desk's words and signals reach each kind of visitor.

XMPP visitors are answered from the site's desk JID, chat states and acknowledgements included.
Must not import slixmpp (it goes through the XmppOut port).
"""

from __future__ import annotations

from component.addresses import Addresses
from component.desk.ports import XmppOut
from component.models import NO_RECEIPTS, Chat, Message, Notice, Receipt, Site, Typing


class XmppVisitors:
    acknowledges = NO_RECEIPTS  # XMPP visitors ask for acknowledgements themselves

    def __init__(self, out: XmppOut, addresses: Addresses) -> None:
        self._out = out
        self._addresses = addresses

    def deliver(
        self,
        site: Site,
        chat: Chat,
        message: Message,
        *,
        typing: Typing | None = None,
        ask: frozenset[Receipt] = NO_RECEIPTS,
    ) -> str:
        """The message's words; an assignment itself is not told (NEW_OPERATOR words are)."""
        if message.notice is Notice.ASSIGNED:
            return ""
        desk = self._addresses.desk(site.slug)
        return self._out.send_message(desk, chat.visitor, message.body, typing=typing, ask=ask)

    def typing(self, site: Site, chat: Chat, state: Typing) -> None:
        self._out.send_typing(self._addresses.desk(site.slug), chat.visitor, state)

    def receipt(self, site: Site, chat: Chat, visitor_message_id: str, kind: Receipt) -> None:
        desk = self._addresses.desk(site.slug)
        self._out.send_receipt(desk, chat.visitor, visitor_message_id, kind)

    def closed(self, site: Site, chat: Chat, last_seq: int) -> None:
        """XMPP visitors were told in words; a later message opens a new chat."""
