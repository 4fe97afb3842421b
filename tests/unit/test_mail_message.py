"""component/smtp/message.py: the message built from an outbox row, its headers safe whoever
composed the row."""

from __future__ import annotations

import email
import email.policy
from dataclasses import replace
from email.message import EmailMessage

import pytest

from component.mail import Mailbox, OutboxMail
from component.smtp.message import UnsendableMail, build_message, message_id_of

SENDER = Mailbox("desk@helpdesk.test", "Acme desk")
MAIL = OutboxMail(
    id=42,
    site_id=1,
    mail_key="feedback:1:7",
    message_id="<feedback.1.7@helpdesk.test>",
    recipients="owner@acme.test,support@acme.test",
    subject="[Acme] Отзыв №7",
    reply_to="anna@example.org",
    text="Текст\nвторая строка",
    html="<p>Текст</p>",
    created_at=1_767_225_600.0,
)


def on_the_wire(message: EmailMessage) -> EmailMessage:
    """What a receiver parses: the message as aiosmtplib flattens it, read back."""
    raw = message.as_bytes(policy=email.policy.SMTP)
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_every_header_and_both_parts() -> None:
    envelope = build_message(MAIL, SENDER)
    got = on_the_wire(envelope.message)
    assert dict(got.items()) | {"Content-Type": ""} == {
        "From": "Acme desk <desk@helpdesk.test>",
        "To": "owner@acme.test, support@acme.test",
        "Subject": "[Acme] Отзыв №7",
        "Reply-To": "anna@example.org",
        "Message-ID": "<feedback.1.7@helpdesk.test>",
        "Date": "Thu, 01 Jan 2026 00:00:00 +0000",
        "Auto-Submitted": "auto-generated",
        "MIME-Version": "1.0",
        "Content-Type": "",
    }
    assert got.get_content_type() == "multipart/alternative"
    plain, html = (part for part in got.walk() if not part.is_multipart())
    assert plain.get_content_type() == "text/plain" and "Текст" in plain.get_content()
    assert html.get_content_type() == "text/html" and "<p>Текст</p>" in html.get_content()
    assert (envelope.sender, envelope.recipients, envelope.notes) == (
        "desk@helpdesk.test",
        ("owner@acme.test", "support@acme.test"),
        (),
    )


def test_without_html_the_mail_is_plain_text() -> None:
    got = on_the_wire(build_message(replace(MAIL, html=""), SENDER).message)
    assert got.get_content_type() == "text/plain"


def test_no_reply_to_when_the_row_has_none() -> None:
    envelope = build_message(replace(MAIL, reply_to=""), SENDER)
    assert "Reply-To" not in envelope.message and envelope.notes == ()


INJECTIONS = ["\r\nBcc: evil@x.test", "\nBcc: evil@x.test", "\rBcc: evil@x.test", "\u2028Bcc: e@x"]


@pytest.mark.parametrize("injection", INJECTIONS)
def test_a_line_break_in_any_value_makes_no_header(injection: str) -> None:
    mail = replace(
        MAIL,
        subject=f"Feedback from Ann{injection}",
        reply_to=f"ann@example.org{injection}",
        recipients=f"owner@acme.test{injection},support@acme.test",
        message_id=f"<id@helpdesk.test>{injection}",
    )
    envelope = build_message(mail, replace(SENDER, name=f"Acme{injection}"))
    got = on_the_wire(envelope.message)
    assert [name for name in got if name.lower() in ("bcc", "x-injected")] == []
    assert got["Subject"] == f"Feedback from Ann {injection.strip()}"  # one line, words kept
    assert "Reply-To" not in got
    assert envelope.recipients == ("support@acme.test",)
    assert got["Message-ID"] == "<outbox-42@helpdesk.test>"
    assert len(envelope.notes) == 2  # the recipient left out, the reply-to dropped


def test_a_row_without_any_valid_recipient_cannot_be_sent() -> None:
    with pytest.raises(UnsendableMail, match="no recipient is an e-mail address"):
        build_message(replace(MAIL, recipients="nobody, +7 900 000"), SENDER)


@pytest.mark.parametrize(
    ("message_id", "used"),
    [
        ("<feedback.1.7@helpdesk.test>", "<feedback.1.7@helpdesk.test>"),
        ("feedback.1.7@helpdesk.test", "<outbox-42@helpdesk.test>"),
        ("<a b@helpdesk.test>", "<outbox-42@helpdesk.test>"),
        ("<a@b@c>", "<outbox-42@helpdesk.test>"),
        ("", "<outbox-42@helpdesk.test>"),
    ],
)
def test_the_message_id_is_the_rows_or_one_stable_across_retries(
    message_id: str, used: str
) -> None:
    mail = replace(MAIL, message_id=message_id)
    assert message_id_of(mail, SENDER) == used
    assert message_id_of(replace(mail, attempts=5), SENDER) == used


def test_a_long_subject_is_cut() -> None:
    got = build_message(replace(MAIL, subject="x" * 2000), SENDER).message
    assert len(str(got["Subject"])) == 500
