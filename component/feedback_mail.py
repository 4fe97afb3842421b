"""The mail that tells a site's addresses of a feedback: subject, plain-text and HTML parts,
Reply-To and a stable Message-ID, whole as the outbox keeps it (records.MailQueued).

Nothing a visitor typed can add a header: whatever becomes one (the subject, Reply-To) is cut to
one printable line, and every value in the HTML part is escaped. Pure: no I/O, no clock, no
randomness of its own (the caller gives the Message-ID's random part); must not import adapters.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime

from component.models import VisitorKind
from component.names import one_line
from component.records import FeedbackLeft, MailQueued

SUBJECT_CHARS = 200
SOURCES = {VisitorKind.WEB: "the website's feedback form", VisitorKind.XMPP: "XMPP (Jabber)"}


def mail_key(site_id: int, number: int) -> str:
    """The outbox's identity of a feedback's mail: written again, it is stored once."""
    return f"feedback:{site_id}:{number}"


def feedback_mail(
    feedback: FeedbackLeft,
    *,
    site_name: str,
    slug: str,
    recipients: tuple[str, ...],
    domain: str,
    nonce: str,
) -> MailQueued:
    """The mail of `feedback` to `recipients` (the site's addresses); `domain` (the component's)
    and `nonce` (random letters and digits) make its Message-ID."""
    who = one_line(feedback.name, SUBJECT_CHARS) or "a visitor"
    return MailQueued(
        site_id=feedback.site_id,
        mail_key=mail_key(feedback.site_id, feedback.number),
        message_id=f"<feedback.{slug}.{feedback.number}.{nonce}@{domain}>",
        recipients=",".join(recipients),  # as long as the site's setting: the column holds it
        subject=one_line(f"[{site_name}] Feedback from {who}", SUBJECT_CHARS),
        text=_text(feedback, site_name, slug),
        html=_html(feedback, site_name, slug),
        created_at=feedback.left_at,
        reply_to=one_line(feedback.email, 254),
        feedback_number=feedback.number,
    )


def details(feedback: FeedbackLeft, slug: str) -> list[tuple[str, str]]:
    """(label, value) of what the visitor gave about themselves, in the order shown."""
    rows = [("From", feedback.name or "(no name given)")]
    if feedback.contact:
        rows.append(("E-mail" if feedback.email else "Phone", feedback.contact))
    if feedback.source is VisitorKind.XMPP and feedback.visitor:
        rows.append(("XMPP address", feedback.visitor))
    if feedback.page:
        rows.append(("Page", feedback.page))
    if feedback.lang:
        rows.append(("Language", feedback.lang))
    if feedback.chat_number is not None:
        rows.append(("Chat", f"{slug}.{feedback.chat_number} (its transcript is in the archive)"))
    return rows


def _heading(feedback: FeedbackLeft, site_name: str) -> str:
    when = datetime.fromtimestamp(feedback.left_at, UTC).strftime("%Y-%m-%d %H:%M UTC")
    source = SOURCES[feedback.source]
    return f"Feedback {feedback.number} for {site_name}, left {when} through {source}."


def _footer(feedback: FeedbackLeft, slug: str) -> list[str]:
    reply = (
        f"Reply to this mail to answer {feedback.email}."
        if feedback.email
        else "The visitor gave no e-mail address: use the contact above to answer."
    )
    return [reply, f"Mark it done: helperchat feedback done {slug} {feedback.number}"]


def _text(feedback: FeedbackLeft, site_name: str, slug: str) -> str:
    lines = [_heading(feedback, site_name), ""]
    lines += [f"{label}: {value}" for label, value in details(feedback, slug)]
    lines += ["", feedback.text, "", "--", *_footer(feedback, slug)]
    return "\n".join(lines) + "\n"


def _html(feedback: FeedbackLeft, site_name: str, slug: str) -> str:
    e = html.escape
    rows = "".join(
        f"<tr><th align='left'>{e(label)}</th><td>{e(value)}</td></tr>"
        for label, value in details(feedback, slug)
    )
    footer = "".join(f"<p style='color:#555'>{e(line)}</p>" for line in _footer(feedback, slug))
    return (
        "<!doctype html><html><body>"
        f"<p>{e(_heading(feedback, site_name))}</p><table>{rows}</table>"
        f"<blockquote style='white-space:pre-wrap'>{e(feedback.text)}</blockquote>"
        f"{footer}</body></html>"
    )
