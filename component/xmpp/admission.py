"""XMPP visitors under the visitor rate limits: what a visitor's stanza to a site's desk counts
against, and the refusal it gets, in the visitor's language.

Words from someone with no open chat at the site start one (chats per JID, per domain and per
site, the last shared with web visitors); words into their open chat are a message (per JID, per
domain); a chat state or acknowledgement sent alone is a signal (per JID). A body the desk refuses
anyway (empty, too long, the archive full) is refused here first, in the visitor's words, and
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
        `lang` (its xml:lang). The desk's own refusal of the body, or RateLimited when over a
        limit, told in the visitor's language: the stanza's when the catalogue has it, else
        their open chat's, else the site's."""
        entry = desk.chats.of_visitor(site.id, jid)
        chat_lang = "" if entry is None else entry.chat.lang
        spoken = desk.state.catalogue.choose([lang, chat_lang], site.settings.lang)
        self._check_body(desk, spoken, body)
        if entry is None:
            wait = self._limits.xmpp_chat(jid, domain, site.id)
        else:
            wait = self._limits.xmpp_message(jid, domain)
        if wait > 0:
            text = desk.state.catalogue.text(spoken, "rate_limited", seconds=retry_after(wait))
            raise RateLimited(text)

    def signal(self, jid: str) -> bool:
        """Whether a chat state or acknowledgement sent alone by `jid` may go on (else it is
        dropped quietly: a signal never gets an error)."""
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
