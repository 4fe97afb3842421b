"""Visitor transports: how the desk's words reach each kind of visitor.

XMPP visitors are answered from the site's desk JID. Must not import slixmpp (it goes through the
XmppOut port).
"""

from __future__ import annotations

from component.addresses import Addresses
from component.desk.ports import XmppOut
from component.models import Chat, Site


class XmppVisitors:
    def __init__(self, out: XmppOut, addresses: Addresses) -> None:
        self._out = out
        self._addresses = addresses

    def deliver(self, site: Site, chat: Chat, body: str) -> None:
        self._out.send_message(self._addresses.desk(site.slug), chat.visitor, body)
