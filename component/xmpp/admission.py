"""XMPP visitors under the visitor rate limits: what a visitor's stanza to a site's desk counts
against, and the refusal it gets, in the visitor's language.

Words from someone with no open chat at the site start one (chats per JID, per domain and per
site, the last shared with web visitors); words into their open chat are a message (per JID, per
domain); a chat state or acknowledgement sent alone is a signal (per JID), counted only from a
visitor with an open chat at the site (anyone else's goes nowhere and is dropped uncounted, so
made-up JIDs leave no bucket). A body the desk refuses anyway (empty, too long, the archive full),
or a new chat at a site with no room for one, is refused here first, in the visitor's words, and
counts nothing. The component asks only about senders who are not operators of the site: staff
are never limited. Must not import slixmpp.
"""

from __future__ import annotations

from component.desk.helpdesk import HelpDesk
from component.errors import ArchiveFull, EmptyMessage, HelpDeskError, MessageTooLong, RateLimited
from component.models import Site
from component.ratelimit import retry_after
from component.visitor_limits import VisitorLimits

REFUSALS: dict[type[HelpDeskError], str] = {
    EmptyMessage: "empty_message",
    MessageTooLong: "message_too_long",
    ArchiveFull: "archive_full",
}
"""The desk's refusals of a body, by the catalogue key a visitor is told them with."""


class XmppAdmission:
    def __init__(self, limits: VisitorLimits) -> None:
        self._limits = limits

    def words(
        self, desk: HelpDesk, site: Site, jid: str, domain: str, body: str, lang: str
    ) -> None:
        """Count a visitor's message to the site's desk, from bare `jid` on `domain`, written in
        `lang` (its xml:lang). The desk's own refusal of the body, DeskFull for a new chat at a
        site with no room for one, or RateLimited when over a limit, told in the visitor's
        language: the stanza's when the catalogue has it, else their open chat's, else the
        site's. A refusal of the desk's own takes no token."""
        entry = desk.chats.of_visitor(site.id, jid)
        chat_lang = "" if entry is None else entry.chat.lang
        spoken = desk.state.catalogue.choose([lang, chat_lang], site.settings.lang)
        self._check_body(desk, spoken, body)
        if entry is None:
            desk.state.check_room(site, spoken)  # DeskFull: no room for a new chat, no token
            wait = self._limits.xmpp_chat(jid, domain, site.id)
        else:
            wait = self._limits.xmpp_message(jid, domain)
        if wait > 0:
            text = desk.state.catalogue.text(spoken, "rate_limited", seconds=retry_after(wait))
            raise RateLimited(text)

    def signal(self, desk: HelpDesk, slug: str, jid: str) -> bool:
        """Whether a chat state or acknowledgement sent alone by `jid` to the desk of `slug` may
        go on (else it is dropped quietly: a signal never gets an error). Without an open chat
        of `jid` there it has nowhere to go: dropped, and not counted."""
        site = desk.directory.site(slug)
        if site is None or desk.chats.of_visitor(site.id, jid) is None:
            return False
        return self._limits.xmpp_signal(jid) == 0.0

    @staticmethod
    def _check_body(desk: HelpDesk, spoken: str, body: str) -> None:
        """The desk's check of the body; its refusal again, in the words of `spoken`."""
        state = desk.state
        try:
            state.checked_body(body)
        except (EmptyMessage, MessageTooLong, ArchiveFull) as refusal:
            key = REFUSALS[type(refusal)]
            text = state.catalogue.text(spoken, key, limit=state.max_body_chars)
            raise type(refusal)(text) from None
