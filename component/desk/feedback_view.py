"""Who may read a site's feedback and mark it done (the `feedback` command), and how it pages.

Feedback belongs to the site, not to one operator: every operator of the site, admin or not,
reads all of it and may mark any done; nobody else learns anything of it (an unknown site, then
NotAllowed). Feedback another site has under a number is told exactly as a missing one. Pure:
plain values, no I/O (the reads and the marking are the FeedbackInbox port's).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from component import texts
from component.desk.helpdesk import HelpDesk
from component.errors import InvalidInput, UnknownFeedback
from component.feedback import FeedbackEntry
from component.feedback_list import first_words
from component.models import Operator, Site, VisitorKind
from component.names import one_line
from component.transcript_pages import MIN_PAGE_BYTES, PAGE_BYTES, Pager, escaped_size

FEEDBACK_COMMANDS = ("feedback",)
"""At a desk `site@D`, for every operator of the site."""
FEEDBACK_PAGE = 20
"""Feedback on one page of the list."""
STATES = ("open", "all")
"""The list's `state` field: only the open feedback (the default), or the done ones too."""
TRUE = frozenset({"1", "true"})
"""An XEP-0004 boolean field's true values (anything else is false)."""
FORM_BYTES = PAGE_BYTES - 4096
"""One feedback's form at most (its text's page and every other field, escaped): with the
command's envelope the stanza stays well under 16 KB, as a transcript's page does."""
CELL_CHARS = 120
"""A table cell's text at most (the page it came from, a long contact)."""
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True, slots=True)
class Reader:
    """One operator reading one site's feedback."""

    site: Site
    operator: Operator


def reader_of(desk: HelpDesk, requester: str, slug: str) -> Reader:
    """The requester as a reader of `slug`'s feedback: UnknownSite, NotAllowed for anyone but
    its operators."""
    site = desk.state.site(slug)
    return Reader(site, desk.state.operator_of(site, requester, "read its feedback"))


def only_open(state: str) -> bool:
    """Whether the list shows only open feedback; InvalidInput for a state it does not know."""
    state = state.strip() or "open"
    if state not in STATES:
        raise InvalidInput(f"no feedback state {state!r}: open or all")
    return state == "open"


def parse_number(text: str) -> int:
    """A feedback number as typed (`12`, `#12`); UnknownFeedback when it is none (as for one
    that does not exist: nothing to tell apart)."""
    shown = text.strip().lstrip("#")
    if not (shown.isascii() and shown.isdigit() and 0 < len(shown) < 10 and int(shown) > 0):
        raise UnknownFeedback(f"there is no feedback {text.strip()[:20]!r}")
    return int(shown)


def found(reader: Reader, entry: FeedbackEntry | None, number: int) -> FeedbackEntry:
    """The entry if it is the reader's site's; else UnknownFeedback, the same as a missing one."""
    if entry is None or entry.feedback.site_id != reader.site.id:
        raise UnknownFeedback(f"there is no feedback {number} at {reader.site.slug}")
    return entry


def is_true(value: str) -> bool:
    return value.strip().lower() in TRUE


def plain(text: str) -> str:
    """The visitor's text whole, as text: only characters XML 1.0 cannot carry (a web visitor
    could send them) become U+FFFD, so the stanza stays well-formed."""
    return _NOT_XML.sub("\ufffd", text)


def text_pages(text: str, beside: Iterable[str]) -> list[str]:
    """The text cut into pages that fit one form with the `beside` fields' values (whole
    entries where they fit, long lines cut, as a transcript is)."""
    budget = max(MIN_PAGE_BYTES, FORM_BYTES - sum(escaped_size(value) for value in beside))
    pager = Pager(budget)
    return (pager.add(plain(text)) + pager.finish()) or [""]


def row(entry: FeedbackEntry) -> dict[str, str]:
    """One feedback as a row of the list (texts.FEEDBACK_COLUMNS): one printable line each."""
    feedback = entry.feedback
    return {
        "id": str(feedback.number),
        "received": texts.stamp(feedback.left_at),
        "name": one_line(feedback.name, CELL_CHARS),
        "contact": one_line(feedback.contact or feedback.visitor, CELL_CHARS),
        "page": one_line(feedback.page, CELL_CHARS),
        "first_words": first_words(feedback.text),
    }


def choice(entry: FeedbackEntry) -> str:
    """How one feedback is offered in the list's pick field."""
    feedback = entry.feedback
    who = one_line(feedback.name or feedback.contact or feedback.visitor, 40) or "no name"
    return f"{feedback.number}: {who} — {first_words(feedback.text)}"


def details(entry: FeedbackEntry, slug: str) -> list[tuple[str, str, str]]:
    """(var, label, value) of one feedback beside its text: when and how it came, who left it
    and how to reach them, where from, and whether it is done (by whom, when). Each value is one
    printable line: nothing in it can reorder or break the form."""
    feedback = entry.feedback
    source = "the web form" if feedback.source is VisitorKind.WEB else "XMPP"
    rows = [
        ("received", "Received", f"{texts.stamp(feedback.left_at)} via {source}"),
        ("name", "Name", feedback.name or "(no name given)"),
        ("contact", "Contact", feedback.contact),
        ("page", "Page", feedback.page),
    ]
    if feedback.visitor:
        rows.append(("visitor", "XMPP address", feedback.visitor))
    if feedback.chat_number is not None:
        rows.append(("chat", "Chat", f"{slug}.{feedback.chat_number}"))
    rows.append(("state", "State", texts.feedback_state(entry.done_at, entry.done_by)))
    return [(var, label, one_line(plain(value), 3071)) for var, label, value in rows]
