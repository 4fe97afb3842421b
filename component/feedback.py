"""Feedback as values (SPEC §6): what a visitor filled in, checked; each site's feedback numbers;
a stored feedback with its state, as the `feedback` command lists it.

Pure: no I/O, no clock; must not import asyncio, the use cases or an adapter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from component.contacts import EMAIL_CHARS, email_address, is_phone_number
from component.errors import InvalidInput
from component.names import one_line
from component.records import FeedbackLeft

NAME_CHARS, PAGE_CHARS, LANG_CHARS = 200, 2000, 16


class InvalidFeedback(InvalidInput):
    """A form the desk refuses; `key` names the catalogue text that tells the visitor why, filled
    with `values` (the text itself is the English one, for logs and other callers)."""

    def __init__(self, key: str, text: str, **values: object) -> None:
        super().__init__(text)
        self.key = key
        self.values = values


@dataclass(frozen=True, slots=True)
class FeedbackForm:
    """A visitor's feedback, checked: every value but `text` is one printable line; `email` is
    `contact` when that is an e-mail address (normalised), else ""."""

    text: str
    name: str = ""
    contact: str = ""
    email: str = ""
    page: str = ""
    lang: str = ""


def checked_form(
    text: str, *, name: str = "", contact: str = "", page: str = "", lang: str = "", max_chars: int
) -> FeedbackForm:
    """The form's values checked; InvalidFeedback for an empty or too long text, a too long name
    or a contact that is neither an e-mail address nor a phone number ("" is none: allowed)."""
    text = text.strip()
    if not text:
        raise InvalidFeedback("feedback_text_empty", "the message is empty")
    if len(text) > max_chars:
        raise InvalidFeedback(
            "feedback_text_long",
            f"the message is longer than {max_chars} characters",
            limit=max_chars,
        )
    if len(name) > NAME_CHARS:
        raise InvalidFeedback(
            "feedback_name_long",
            f"the name is longer than {NAME_CHARS} characters",
            limit=NAME_CHARS,
        )
    contact = contact.strip()
    email = email_address(contact) if contact else ""
    if contact and email is None and not is_phone_number(contact):
        raise InvalidFeedback(
            "feedback_contact_invalid",
            "the contact is neither an e-mail address nor a phone number",
        )
    return FeedbackForm(
        text=text,
        name=one_line(name, NAME_CHARS),
        contact=email or one_line(contact, EMAIL_CHARS),
        email=email or "",
        page=one_line(page, PAGE_CHARS),
        lang=one_line(lang, LANG_CHARS),
    )


class FeedbackNumbers:
    """Each site's feedback numbers, handed out in memory so the answer is synchronous; the
    highest per site comes back from the database at start-up, so none is given twice."""

    def __init__(self) -> None:
        self._last: dict[int, int] = {}

    def restore(self, last_numbers: Mapping[int, int]) -> None:
        for site_id, number in last_numbers.items():
            self._last[site_id] = max(number, self._last.get(site_id, 0))

    def next(self, site_id: int) -> int:
        number = self._last.get(site_id, 0) + 1
        self._last[site_id] = number
        return number


class MailState(StrEnum):
    """What became of a feedback's mail (table mail_outbox)."""

    NONE = "no addresses"  # the site had none when it was left: nothing was mailed
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class FeedbackEntry:
    """A stored feedback, whether it is done, and its mail's state (the error when it failed)."""

    feedback: FeedbackLeft
    done_at: float | None = None
    done_by: str = ""
    mail: MailState = MailState.NONE
    mail_error: str = ""


class DoneOutcome(StrEnum):
    """What `feedback done` found: marked now, done before, or no such feedback at the site."""

    MARKED = "marked"
    ALREADY = "already"
    UNKNOWN = "unknown"


def done_text(slug: str, number: int, outcome: DoneOutcome) -> str:
    """What marking feedback done says, from the command line and the `feedback` command alike
    (UNKNOWN never gets here: each refuses it its own way)."""
    said = "marked done" if outcome is DoneOutcome.MARKED else "was done already"
    return f"feedback {number} of {slug} {said}"
