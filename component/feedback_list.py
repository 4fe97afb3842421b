"""What `helperchat feedback list` prints: one line per feedback, tab-separated (number, when,
source, name, contact, first words, open or done, the mail's state).

Pure: formats values only; must not import adapters.
"""

from __future__ import annotations

from component.feedback import FeedbackEntry, MailState
from component.names import one_line
from component.texts import feedback_state, stamp

FIRST_WORDS_CHARS = 60


def feedback_line(entry: FeedbackEntry) -> str:
    feedback = entry.feedback
    return "\t".join(
        (
            str(feedback.number),
            stamp(feedback.left_at),
            feedback.source.value,
            one_line(feedback.name, 200) or "-",  # one line each: a tab would shift the columns
            one_line(feedback.contact or feedback.visitor, 3071) or "-",
            first_words(feedback.text),
            _state(entry),
            _mail(entry),
        )
    )


def first_words(text: str) -> str:
    shown = one_line(text, FIRST_WORDS_CHARS + 1)
    return shown if len(shown) <= FIRST_WORDS_CHARS else shown[: FIRST_WORDS_CHARS - 1] + "…"


def _state(entry: FeedbackEntry) -> str:
    return feedback_state(entry.done_at, entry.done_by)


def _mail(entry: FeedbackEntry) -> str:
    if entry.mail is MailState.FAILED:
        return f"mail failed: {one_line(entry.mail_error, 200) or 'no reason given'}"
    if entry.mail is MailState.NONE:
        return "no mail (no addresses)"
    return f"mail {entry.mail.value}"
