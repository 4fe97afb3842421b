"""Open chats that no operator ever answered, in which nobody wrote for limits'
unanswered_expiry_seconds, are closed by the desk: a visitor gone long ago (or a stranger's JID
that opened a chat and left) does not hold a site's open chats for good. A chat an operator
answered is a conversation and only its people close it. Must not import asyncio or any adapter
library.
"""

from __future__ import annotations

import logging

from component import texts
from component.chats import OpenChat, transition
from component.desk.state import DeskState
from component.models import ChatState, Sender, Site

log = logging.getLogger(__name__)

SCAN_SECONDS = 60.0
"""How often the open chats are looked over at most (the expiry counts in hours); a shorter
expiry is looked at ten times in its span."""


class Expiry:
    def __init__(self, state: DeskState) -> None:
        self._s = state
        self._next_scan = 0.0

    def on_tick(self, now: float) -> None:
        """Timer (while connected): close the unanswered chats quiet for too long."""
        if now < self._next_scan:
            return
        s = self._s
        self._next_scan = now + min(SCAN_SECONDS, s.unanswered_expiry / 10)
        for entry in s.chats.unanswered_quiet_since(now - s.unanswered_expiry):
            site = s.directory.site_by_id_or_none(entry.chat.site_id)
            if site is not None:
                self._close(site, entry, now)

    def _close(self, site: Site, entry: OpenChat, now: float) -> None:
        """Close the chat; its visitor is told, and its operator if it has one of the site."""
        s = self._s
        desk_jid = s.addresses.desk(site.slug)
        s.record(entry, Sender.SYSTEM, desk_jid, texts.SYSTEM_UNANSWERED_CLOSED, now)
        s.tell_visitor(site, entry, s.words(site, entry.chat, "unanswered_closed"), now)
        operator = entry.chat.operator if entry.chat.state is ChatState.ASSIGNED else None
        closed = transition(entry.chat, ChatState.CLOSED, now)
        s.set_state(entry, closed)
        if operator is not None and s.is_member(site, operator):
            chat_jid = s.addresses.chat(site.slug, closed.number)
            hours = round(s.unanswered_expiry / 3600, 2)
            s.out.send_message(
                chat_jid, operator, texts.unanswered_closed(site, closed.number, hours)
            )
            s.refresh(operator)
        log.info("chat %s.%d closed: unanswered and quiet too long", site.slug, closed.number)
