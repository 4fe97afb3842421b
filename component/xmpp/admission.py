"""XMPP visitors under the visitor rate limits: what a visitor's stanza to a site's desk counts
against, and the refusal it gets.

Words from someone with no open chat at the site start one (chats per JID, per domain and per
site, the last shared with web visitors); words into their open chat are a message (per JID, per
domain); a chat state or acknowledgement sent alone is a signal (per JID), counted only from a
visitor with an open chat at the site (anyone else's goes nowhere and is dropped uncounted, so
made-up JIDs leave no bucket). The component asks only about senders who are not operators of
the site: staff are never limited. Must not import slixmpp.
"""

from __future__ import annotations

from component.desk.helpdesk import HelpDesk
from component.errors import RateLimited
from component.models import Site
from component.ratelimit import retry_after
from component.visitor_limits import VisitorLimits


class XmppAdmission:
    def __init__(self, limits: VisitorLimits) -> None:
        self._limits = limits

    def words(
        self, desk: HelpDesk, site: Site, jid: str, domain: str, body: str, lang: str
    ) -> None:
        """Count a visitor's message to the site's desk, from bare `jid` on `domain`, written in
        `lang` (its xml:lang). RateLimited, in the visitor's language, when over a limit; a body
        the desk refuses anyway, or a new chat at a site with no room for one (DeskFull), is
        refused here first (its own error) and takes no token."""
        desk.state.checked_body(body)
        catalogue = desk.state.catalogue
        spoken = catalogue.choose([lang], site.settings.lang)
        if desk.chats.of_visitor(site.id, jid) is None:
            desk.state.check_room(site, spoken)  # DeskFull: no room for a new chat, no token
            wait = self._limits.xmpp_chat(jid, domain, site.id)
        else:
            wait = self._limits.xmpp_message(jid, domain)
        if wait > 0:
            seconds = retry_after(wait)
            raise RateLimited(catalogue.text(spoken, "rate_limited", seconds=seconds))

    def signal(self, desk: HelpDesk, slug: str, jid: str) -> bool:
        """Whether a chat state or acknowledgement sent alone by `jid` to the desk of `slug` may
        go on (else it is dropped quietly: a signal never gets an error). Without an open chat
        of `jid` there it has nowhere to go: dropped, and not counted."""
        site = desk.directory.site(slug)
        if site is None or desk.chats.of_visitor(site.id, jid) is None:
            return False
        return self._limits.xmpp_signal(jid) == 0.0
