"""component/xmpp/jids.py: the one XMPP normalisation of JIDs (nodeprep, nameprep, resourceprep)."""

from __future__ import annotations

import pytest

from component.xmpp.jids import Jid, normalize_bare_jid, normalize_domain, parse_jid


@pytest.mark.parametrize(
    ("typed", "normal"),
    [
        ("alice@example.com", "alice@example.com"),
        ("Alice@Example.COM", "alice@example.com"),
        ("Straße@example.com", "strasse@example.com"),
        ("ＡＬＩＣＥ@example.com", "alice@example.com"),
        ("bob@ＥＸＡＭＰＬＥ.com", "bob@example.com"),
        ("x@BÜCHER.example", "x@bücher.example"),
        ("Bad!Local@example.com", "bad!local@example.com"),
        ("  alice@example.com ", "alice@example.com"),
    ],
)
def test_bare_jids_take_their_xmpp_normal_form(typed: str, normal: str) -> None:
    assert normalize_bare_jid(typed) == normal


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", "empty"),
        ("not a jid", "not a valid JID"),
        ("a b@example.com", "not a valid JID"),
        ("@example.com", "not a valid JID"),
        ("alice@", "not a valid JID"),
        ("a@b@c", "not a valid JID"),
        ("alice@-bad.example", "not a valid JID"),
        ("alice@exa..mple", "not a valid JID"),
        ("a<b@example.com", "not a valid JID"),
        ("x" * 1024 + "@example.com", "not a valid JID"),
        ("alice@example.com/phone", "has a resource"),
        ("alice@example.com/", "not a valid JID"),
    ],
)
def test_invalid_bare_jids_are_refused_with_the_reason(typed: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason) as caught:
        normalize_bare_jid(typed)
    if typed:
        assert repr(typed.strip())[:40] in str(caught.value)


def test_full_jids_split_into_normal_parts() -> None:
    assert parse_jid("Straße@Example.COM/Phone Ｘ") == Jid(
        "strasse", "example.com", "Phone X", "strasse@example.com"
    )
    assert parse_jid("HelpDesk.LocalHost") == Jid(
        "", "helpdesk.localhost", "", "helpdesk.localhost"
    )
    assert parse_jid("acme.1@help.test") == Jid("acme.1", "help.test", "", "acme.1@help.test")
    assert parse_jid("") == Jid("", "", "", "")
    with pytest.raises(ValueError, match="not a valid JID"):
        parse_jid("a b@c")


def test_parsing_is_cached() -> None:
    parse_jid.cache_clear()
    first = parse_jid("Visitor@Example.com/web")
    assert parse_jid("Visitor@Example.com/web") is first
    assert parse_jid.cache_info().hits == 1


@pytest.mark.parametrize(
    ("typed", "normal"),
    [
        ("helpdesk.example.com", "helpdesk.example.com"),
        ("HelpDesk.Example.COM", "helpdesk.example.com"),
        ("ｈｅｌｐｄｅｓｋ.example.com", "helpdesk.example.com"),
    ],
)
def test_domains_take_their_normal_form(typed: str, normal: str) -> None:
    assert normalize_domain(typed) == normal


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", "empty"),
        ("desk@example.com", "not a bare domain"),
        ("example.com/desk", "not a bare domain"),
        ("-bad.example.com", "not a valid domain"),
        ("a b.example.com", "not a valid domain"),
    ],
)
def test_invalid_domains_are_refused(typed: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        normalize_domain(typed)
