"""Feedback, the use case (SPEC §4.2, §6): nobody of a site online and its form on, a visitor's
words become feedback instead of a chat routed to offline operators.

A web visitor is refused the chat (the widget shows the form, whose POST is `leave`); an XMPP
visitor's chat, or a queued chat that finds nobody online any more, is taken: archived, ended in
state `offline`, its visitor told in their language, its words stored as feedback naming it. Each
feedback gets the next number of its site (allocated here, in memory, so the answer is
synchronous) and, when the site has addresses, its mail in the outbox; both are records on the
archive's path. Must not import asyncio or any adapter library.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import replace

from component.chats import OpenChat, transition
from component.desk.state import DeskState
from component.errors import ArchiveFull, FeedbackOff, NobodyOnline
from component.feedback import FeedbackForm, FeedbackNumbers
from component.feedback_mail import feedback_mail
from component.models import NO_CARD, ChatState, Sender, Site, VisitorCard, VisitorKind
from component.records import FeedbackLeft
from component.routing import Outcome

log = logging.getLogger(__name__)

NOBODY_ONLINE = (Outcome.OFFLINE, Outcome.NOBODY)
REPLY_QUIET_SECONDS = 600.0
"""An XMPP visitor who goes on writing while nobody is online gets the automatic reply once in
this time: each message becomes feedback, but one reply says so for all of them."""
MAX_REMEMBERED = 10_000
"""Visitors remembered as told, at most (the oldest forgotten first: they are told again)."""


class FeedbackDesk:
    def __init__(self, state: DeskState) -> None:
        self._s = state
        self._numbers = FeedbackNumbers()
        self._replied: OrderedDict[tuple[int, str], float] = OrderedDict()

    def restore(self, last_numbers: Mapping[int, int]) -> None:
        """The highest feedback number of each site, as stored (after the spool's replay)."""
        self._numbers.restore(last_numbers)

    def nobody_online(self, site: Site, card: VisitorCard = NO_CARD) -> bool:
        """The site's form is on, its operators' presence is known, and routing finds nobody
        online (while presence is unknown a new chat waits in the queue, as any does)."""
        s = self._s
        if not site.settings.feedback_form or not s.connected or s.settle_until is not None:
            return False
        return s.route(site, card=card).outcome in NOBODY_ONLINE

    def refuse_chat(self, site: Site, card: VisitorCard) -> None:
        """A web visitor's chat does not start while nobody is online and the form is on."""
        if self.nobody_online(site, card):
            raise NobodyOnline(f"nobody of {site.slug} is online: leave feedback instead")

    def leave(self, slug: str, form: FeedbackForm) -> int:
        """Feedback from the web form (accepted while an operator is online too: the form may
        have been open for a while); returns its number. FeedbackOff when the form is off."""
        s = self._s
        site = s.site(slug)
        if not site.settings.feedback_form:
            raise FeedbackOff(f"{site.slug} does not take feedback")
        if not s.archive.accepting:
            s.on_archive_full()
            raise ArchiveFull("the archive is catching up; please send this again in a moment")
        feedback = FeedbackLeft(
            site_id=site.id,
            number=self._numbers.next(site.id),
            left_at=s.clock(),
            source=VisitorKind.WEB,
            text=form.text,
            name=form.name,
            contact=form.contact,
            email=form.email,
            page=form.page,
            lang=form.lang,
        )
        self._store(site, feedback)
        return feedback.number

    def take_chat(self, site: Site, entry: OpenChat, now: float) -> None:
        """The chat becomes feedback: its visitor's words stored, the visitor told, the chat
        ended `offline` (it names the feedback in its routing reason)."""
        chat, card = entry.chat, entry.card
        feedback = FeedbackLeft(
            site_id=site.id,
            number=self._numbers.next(site.id),
            left_at=now,
            source=chat.visitor_kind,
            text=_visitor_words(entry),
            name=chat.visitor_name,
            contact=card.email,
            email=card.email,
            page=card.page,
            lang=card.lang or chat.lang,
            visitor=chat.visitor,
            chat_number=chat.number,
        )
        self._store(site, feedback)
        self._tell(site, entry, now)
        ended = transition(chat, ChatState.OFFLINE, now)
        reason = f"nobody online: became feedback {feedback.number}"
        self._s.set_state(entry, replace(ended, route_reason=reason))

    def _store(self, site: Site, feedback: FeedbackLeft) -> None:
        s = self._s
        s.archive.add_record(feedback)
        emails = site.settings.feedback_emails
        if emails:
            nonce = f"{s.rng.getrandbits(64):016x}"
            mail = feedback_mail(
                feedback,
                site_name=site.name,
                slug=site.slug,
                recipients=emails,
                domain=s.addresses.domain,
                nonce=nonce,
            )
            s.archive.add_record(mail)
        mailed = f"mailed to {len(emails)}" if emails else "not mailed (no addresses)"
        log.info(
            "feedback %s.%d left (%s), %s", site.slug, feedback.number, feedback.source, mailed
        )

    def _tell(self, site: Site, entry: OpenChat, now: float) -> None:
        """The automatic reply, in the visitor's language; an XMPP visitor still writing gets it
        once per REPLY_QUIET_SECONDS."""
        chat, s = entry.chat, self._s
        if chat.visitor_kind is VisitorKind.WEB:
            s.tell_visitor(site, entry, s.words(site, chat, "feedback_taken"), now)
            return
        if self._replied_lately((site.id, chat.visitor), now):
            return
        s.tell_visitor(site, entry, s.words(site, chat, "feedback_auto_reply"), now)

    def _replied_lately(self, key: tuple[int, str], now: float) -> bool:
        """Whether `key` was told within the quiet time; noted as told now when not."""
        replied = self._replied
        while replied and (len(replied) >= MAX_REMEMBERED or _expired(replied, now)):
            replied.popitem(last=False)
        told = replied.get(key)
        if told is not None and now - told < REPLY_QUIET_SECONDS:
            return True
        replied[key] = now
        replied.move_to_end(key)
        return False


def _expired(replied: OrderedDict[tuple[int, str], float], now: float) -> bool:
    oldest = next(iter(replied.values()))
    return now - oldest >= REPLY_QUIET_SECONDS


def _visitor_words(entry: OpenChat) -> str:
    """What the visitor wrote in the chat, as the desk still holds it: the first message and
    the newest ones (a long queued chat's middle stays in its transcript, which the feedback
    names)."""
    first = entry.first_visitor
    newer = [m for m in entry.tail.messages if m.sender is Sender.VISITOR]
    words = [first] if first is not None else []
    words += [m for m in newer if first is None or m.seq > first.seq]
    held_all = entry.tail.holds_after(first.seq if first is not None else 0)
    bodies = [m.body for m in words]
    if not held_all:
        bodies.insert(1 if first is not None else 0, "[…]")
    return "\n\n".join(bodies) or "[…]"
