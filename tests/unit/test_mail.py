"""component/mail.py: one-line header values, addresses that are exactly one address, mailboxes,
and the back-off schedule (table-driven)."""

from __future__ import annotations

import pytest

from component.mail import Backoff, Mailbox, address_of, addresses_of, mailbox_of, one_line


@pytest.mark.parametrize(
    ("value", "line"),
    [
        ("Feedback from Ann", "Feedback from Ann"),
        ("Ann\r\nBcc: evil@x.test", "Ann Bcc: evil@x.test"),
        ("Ann\nX-Injected: 1", "Ann X-Injected: 1"),
        ("Ann\rX: 1", "Ann X: 1"),
        ("a\u2028b\u2029c\x85d", "a b c d"),  # Unicode line and paragraph separators, NEL
        ("tab\there\x00nul\x1besc\x7fdel", "tab here nul esc del"),
        ("  many    spaces  ", "many spaces"),
        ("Отзыв №7 от Анны", "Отзыв №7 от Анны"),
        ("", ""),
    ],
)
def test_one_line_leaves_no_line_break_or_control_character(value: str, line: str) -> None:
    assert one_line(value) == line


@pytest.mark.parametrize(
    ("value", "address"),
    [
        ("owner@acme.test", "owner@acme.test"),
        ("  owner@acme.test ", "owner@acme.test"),
        ("first.last+tag@sub.acme.test", "first.last+tag@sub.acme.test"),
        ("o'neil@acme.test", "o'neil@acme.test"),
        ("anna@пример.рф", "anna@xn--e1afmkfd.xn--p1ai"),
        ("root@[127.0.0.1]", "root@[127.0.0.1]"),
        ("owner@localhost", "owner@localhost"),
        ("owner@acme.test\r\nBcc: evil@x.test", None),
        ("owner@acme.test\nBcc: evil@x.test", None),
        ("owner@acme.test, other@acme.test", None),
        ("Owner <owner@acme.test>", None),
        ("<owner@acme.test>", None),
        ('"quoted"@acme.test', None),
        ("owner(comment)@acme.test", None),
        ("owner @acme.test", None),
        ("owner@acme test", None),
        ("owner@-acme.test", None),
        ("owner@acme..test", None),
        ("a..b@acme.test", None),
        ("анна@пример.рф", None),  # a non-ASCII local part needs SMTPUTF8: not accepted
        ("owner", None),
        ("@acme.test", None),
        ("owner@", None),
        ("", None),
        ("+7 900 000-00-00", None),
        ("x" * 250 + "@acme.test", None),
    ],
)
def test_address_of_accepts_exactly_one_plain_address(value: str, address: str | None) -> None:
    assert address_of(value) == address


@pytest.mark.parametrize(
    ("value", "mailbox"),
    [
        ("desk@helpdesk.test", Mailbox("desk@helpdesk.test")),
        ("<desk@helpdesk.test>", Mailbox("desk@helpdesk.test")),
        ("Acme desk <desk@helpdesk.test>", Mailbox("desk@helpdesk.test", "Acme desk")),
        ('"Acme, Inc." <desk@helpdesk.test>', Mailbox("desk@helpdesk.test", "Acme, Inc.")),
        (
            "Служба поддержки <desk@пример.рф>",
            Mailbox("desk@xn--e1afmkfd.xn--p1ai", "Служба поддержки"),
        ),
        ("Acme <desk@helpdesk.test>, b@c.test", None),
        ("Acme\r\nBcc: x@y <desk@helpdesk.test>", None),
        ('Ac"me <desk@helpdesk.test>', None),
        ("Acme <desk@helpdesk.test", None),
        ("Acme", None),
        ("", None),
    ],
)
def test_mailbox_of_reads_one_mailbox_with_an_optional_name(
    value: str, mailbox: Mailbox | None
) -> None:
    assert mailbox_of(value) == mailbox


def test_addresses_of_splits_good_from_bad_and_drops_repeats() -> None:
    assert addresses_of(" a@x.test, bad\r\nBcc: e@x.test ,, a@x.test,b@y.test , nope") == (
        ("a@x.test", "b@y.test"),
        ("bad\r\nBcc: e@x.test", "nope"),
    )


@pytest.mark.parametrize(
    ("failures", "draw", "delay"),
    [
        (1, 0.0, 5.0),  # the first retry: between half and all of `first`
        (1, 0.999999, 9.999995),
        (2, 0.0, 10.0),
        (3, 0.0, 20.0),
        (7, 0.0, 320.0),
        (8, 0.0, 450.0),  # capped at 900 s, drawn from 450..900
        (8, 0.5, 675.0),
        (1000, 0.0, 450.0),  # no overflow however long the outage
        (0, 0.0, 5.0),  # treated as the first failure
    ],
)
def test_backoff_doubles_up_to_its_cap_with_jitter(
    failures: int, draw: float, delay: float
) -> None:
    assert Backoff(first=10.0, cap=900.0).delay(failures, draw) == pytest.approx(delay)
