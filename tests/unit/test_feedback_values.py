"""Feedback's pure parts: contacts, the form's checks, its mail (headers safe from injection,
HTML escaped), the `feedback list` line, the site's addresses as `site set` takes them."""

from __future__ import annotations

import pytest

from component.admin import feedback_changes
from component.contacts import checked_feedback_emails, email_address, is_phone_number
from component.errors import InvalidInput
from component.feedback import (
    FeedbackEntry,
    FeedbackNumbers,
    InvalidFeedback,
    MailState,
    checked_form,
)
from component.feedback_list import feedback_line
from component.feedback_mail import feedback_mail
from component.models import VisitorKind
from component.records import FeedbackLeft

LEFT_AT = 1_800_000_000.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ann@example.com", "ann@example.com"),
        ("Ann@Example.COM", "Ann@example.com"),
        ("ann@пример.рф", "ann@xn--e1afmkfd.xn--p1ai"),
        ("ann@b", None),
        ("ann", None),
        ("a b@example.com", None),
        ("ann@example.com\r\nBcc: eve@x.test", None),
        ("x" * 250 + "@example.com", None),
    ],
)
def test_email_addresses(text: str, expected: str | None) -> None:
    assert email_address(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+7 (495) 123-45-67", True),
        ("8 800 555 35 35", True),
        ("555.0100.12", True),
        ("12345", False),  # too short to be anyone's
        ("+1234567890123456", False),  # more digits than E.164 allows
        ("call me", False),
        ("+1 555 0100\nBcc: x", False),
    ],
)
def test_phone_numbers_are_told_by_their_shape(text: str, expected: bool) -> None:
    assert is_phone_number(text) is expected


def test_a_sites_addresses_are_checked_normalised_and_deduplicated() -> None:
    """Real addresses: special-use domains (.test, .local, localhost) are no one's mailbox."""
    assert checked_feedback_emails("a@x.example, B@X.EXAMPLE b@x.example") == (
        "a@x.example",
        "B@x.example",
    )
    assert checked_feedback_emails("none") == checked_feedback_emails("  ") == ()
    with pytest.raises(InvalidInput):
        checked_feedback_emails("owner@shop.test")
    with pytest.raises(InvalidInput, match="bad feedback e-mail address 'nope'"):
        checked_feedback_emails("a@x.example,nope")
    with pytest.raises(InvalidInput, match="at most 10"):
        checked_feedback_emails(",".join(f"a{n}@x.example" for n in range(11)))
    with pytest.raises(InvalidInput, match="2000 characters"):
        checked_feedback_emails(
            ",".join(f"{'a' * 60}{n}@{'b' * 60}.{'c' * 60}.{'d' * 50}.example" for n in range(9))
        )


def test_site_set_takes_the_form_switch_and_the_addresses() -> None:
    assert feedback_changes(feedback=True, feedback_emails="o@x.example") == {
        "feedback_form": True,
        "feedback_emails": ("o@x.example",),
    }
    assert feedback_changes() == {}


def test_a_form_is_checked_and_cleaned() -> None:
    form = checked_form(
        "  Hello\nthere  ",
        name="Ann\r\nBcc: x@y",
        contact=" Ann@Example.COM ",
        page="/p\n",
        max_chars=100,
    )
    assert (form.text, form.name, form.contact, form.email) == (
        "Hello\nthere",
        "Ann Bcc: x@y",
        "Ann@example.com",
        "Ann@example.com",
    )
    phone = checked_form("Hi", contact="+7 495 123-45-67", max_chars=100)
    assert (phone.contact, phone.email) == ("+7 495 123-45-67", "")


@pytest.mark.parametrize(
    ("values", "key"),
    [
        ({"text": "   "}, "feedback_text_empty"),
        ({"text": "x" * 101}, "feedback_text_long"),
        ({"text": "x", "name": "n" * 201}, "feedback_name_long"),
        ({"text": "x", "contact": "tomorrow"}, "feedback_contact_invalid"),
    ],
)
def test_a_bad_form_names_the_text_that_tells_why(values: dict[str, str], key: str) -> None:
    with pytest.raises(InvalidFeedback) as refused:
        checked_form(max_chars=100, **values)
    assert refused.value.key == key


def test_numbers_never_go_back() -> None:
    numbers = FeedbackNumbers()
    numbers.restore({1: 5})
    assert numbers.next(1) == 6
    numbers.restore({1: 3})  # an older maximum does not take numbers back
    assert (numbers.next(1), numbers.next(2)) == (7, 1)


def left(**values: object) -> FeedbackLeft:
    base: dict[str, object] = {
        "site_id": 3,
        "number": 17,
        "left_at": LEFT_AT,
        "source": VisitorKind.WEB,
        "text": "Hello <b>there</b> & 'bye'",
    }
    return FeedbackLeft(**{**base, **values})  # type: ignore[arg-type]


def test_the_mail_has_the_sites_name_a_reply_to_and_a_stable_message_id() -> None:
    mail = feedback_mail(
        left(name="Ann", contact="ann@x.test", email="ann@x.test", page="https://shop/p"),
        site_name="Acme Inc.",
        slug="acme",
        recipients=("o@acme.test", "s@acme.test"),
        domain="help.test",
        nonce="0123abcd",
    )
    assert mail.subject == "[Acme Inc.] Feedback from Ann"
    assert (mail.reply_to, mail.recipients) == ("ann@x.test", "o@acme.test,s@acme.test")
    assert mail.message_id == "<feedback.acme.17.0123abcd@help.test>"
    assert (mail.mail_key, mail.feedback_number, mail.created_at) == ("feedback:3:17", 17, LEFT_AT)
    assert "Hello <b>there</b> & 'bye'" in mail.text and "Page: https://shop/p" in mail.text
    assert "helperchat feedback done acme 17" in mail.text
    assert "Hello &lt;b&gt;there&lt;/b&gt; &amp; &#x27;bye&#x27;" in mail.html
    assert "<b>" not in mail.html


def test_nothing_a_visitor_types_can_add_a_header() -> None:
    mail = feedback_mail(
        left(name="Ann\r\nBcc: eve@x.test", text="x"),
        site_name="Acme\nInc.",
        slug="acme",
        recipients=("o@acme.test",),
        domain="help.test",
        nonce="n",
    )
    for header in (mail.subject, mail.reply_to, mail.message_id, mail.recipients):
        assert "\r" not in header and "\n" not in header
    assert mail.subject == "[Acme Inc.] Feedback from Ann Bcc: eve@x.test"
    assert mail.reply_to == ""  # no e-mail address given: no Reply-To


def test_an_xmpp_visitors_mail_names_their_address_and_chat() -> None:
    feedback = left(source=VisitorKind.XMPP, visitor="vera@x.test", chat_number=5, name="Vera")
    mail = feedback_mail(
        feedback, site_name="Acme", slug="acme", recipients=("o@a.test",), domain="d", nonce="n"
    )
    assert "XMPP address: vera@x.test" in mail.text and "Chat: acme.5" in mail.text
    assert "through XMPP" in mail.text


def test_a_feedback_line_shows_state_and_mail() -> None:
    entry = FeedbackEntry(left(name="Ann", contact="+7 495 123 45 67", text="word " * 30))
    line = feedback_line(entry).split("\t")
    assert line[:5] == ["17", "2027-01-15 08:00:00 UTC", "web", "Ann", "+7 495 123 45 67"]
    assert line[5].endswith("…") and len(line[5]) == 60
    assert line[6:] == ["open", "no mail (no addresses)"]
    failed = FeedbackEntry(left(), LEFT_AT, "", MailState.FAILED, "550 no such user")
    assert feedback_line(failed).split("\t")[6:] == [
        "done 2027-01-15 08:00:00 UTC",
        "mail failed: 550 no such user",
    ]


def test_a_tab_or_newline_stored_in_a_name_cannot_shift_the_columns() -> None:
    line = feedback_line(FeedbackEntry(left(name="Bo\tby", contact="x\ny"))).split("\t")
    assert len(line) == 8 and line[3:5] == ["Bo by", "x y"]
