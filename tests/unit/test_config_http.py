"""The `http:` section: defaults, the public URL, trusted proxies (a list), problems by key."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from component.config import ConfigError, HttpConfig, parse_config
from tests.unit.test_config import MINIMAL


def with_http(**values: object) -> dict[str, Any]:
    data = copy.deepcopy(MINIMAL)
    data["http"] = values
    return data


def http_of(data: dict[str, Any], env: dict[str, str] | None = None) -> HttpConfig:
    return parse_config(data, env or {}).http


def problems_of(data: dict[str, Any], env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(data, env or {})
    return caught.value.problems


def test_the_section_is_optional_and_has_the_documented_defaults() -> None:
    expected = HttpConfig(
        host="127.0.0.1",
        port=8080,
        public_url=None,
        trusted_proxies=(),
        cors_max_age=600,
        max_body_bytes=65536,
    )
    assert parse_config(MINIMAL, {}).http == expected
    assert http_of(with_http()) == expected
    data = copy.deepcopy(MINIMAL)
    data["http"] = None
    assert http_of(data) == expected


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("https://helpdesk.example.com", "https://helpdesk.example.com"),
        ("https://helpdesk.example.com/", "https://helpdesk.example.com"),
        ("HTTPS://Helpdesk.Example.com//", "https://helpdesk.example.com"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("https://example.com/chat/", "https://example.com/chat"),
        ("https://[2001:db8::1]:8443/hc", "https://[2001:db8::1]:8443/hc"),
    ],
)
def test_public_url_is_kept_without_its_trailing_slash(typed: str, kept: str) -> None:
    assert http_of(with_http(public_url=typed)).public_url == kept


PUBLIC_URL = "must be an absolute http:// or https:// URL such as https://helpdesk.example.com"


@pytest.mark.parametrize(
    "typed",
    [
        "helpdesk.example.com",
        "/helperchat",
        "ftp://helpdesk.example.com",
        "https://",
        "https:///path",
        "https://user:pw@helpdesk.example.com",
        "https://helpdesk.example.com/?a=1",
        "https://helpdesk.example.com/#top",
        "https://helpdesk.example.com:99999",
        "https://help desk.example.com",
        "",
    ],
)
def test_a_public_url_that_is_not_absolute_http_is_refused(typed: str) -> None:
    assert problems_of(with_http(public_url=typed)) == [f"http.public_url: {PUBLIC_URL}"]


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ([], ()),
        (["10.0.0.1"], ("10.0.0.1/32",)),
        (["10.0.0.0/8", "::1", "fd00::/8"], ("10.0.0.0/8", "::1/128", "fd00::/8")),
        (["192.168.1.7/24"], ("192.168.1.0/24",)),  # the network the address is in
    ],
)
def test_trusted_proxies_are_addresses_or_networks(typed: list[str], kept: tuple[str]) -> None:
    assert http_of(with_http(trusted_proxies=typed)).trusted_proxies == kept


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("10.0.0.1", ("10.0.0.1/32",)),
        ("10.0.0.1, 10.0.0.2", ("10.0.0.1/32", "10.0.0.2/32")),
        ("", ()),
    ],
)
def test_trusted_proxies_from_the_environment_are_comma_separated(
    text: str, kept: tuple[str]
) -> None:
    data = with_http(trusted_proxies="${HC_PROXIES}")
    assert http_of(data, {"HC_PROXIES": text}).trusted_proxies == kept


@pytest.mark.parametrize(
    ("values", "env", "problem"),
    [
        (
            {"trusted_proxies": ["10.0.0.300"]},
            {},
            "http.trusted_proxies: '10.0.0.300' is not an IP address or network (CIDR)",
        ),
        (
            {"trusted_proxies": ["proxy.example.com"]},
            {},
            "http.trusted_proxies: 'proxy.example.com' is not an IP address or network (CIDR)",
        ),
        (
            {"trusted_proxies": "10.0.0.1"},
            {},
            "http.trusted_proxies: expected a list of strings, got a string",
        ),
        (
            {"trusted_proxies": None},
            {},
            "http.trusted_proxies: expected a list of strings, got null",
        ),
        (
            {"trusted_proxies": ["10.0.0.1", 7]},
            {},
            "http.trusted_proxies[1]: expected a string, got an integer",
        ),
        (
            {"trusted_proxies": "${P}"},
            {"P": "10.0.0.1,nonsense"},
            "http.trusted_proxies: 'nonsense' is not an IP address or network (CIDR)",
        ),
        (
            {"trusted_proxies": "${P}"},
            {},
            "http.trusted_proxies: environment variable P is not set",
        ),
        ({"port": 0}, {}, "http.port: must be between 1 and 65535"),
        ({"host": ""}, {}, "http.host: must not be empty"),
        ({"cors_max_age": -1}, {}, "http.cors_max_age: must be 0 or more"),
        ({"max_body_bytes": 0}, {}, "http.max_body_bytes: must be greater than 0"),
        ({"public_url": 8080}, {}, "http.public_url: expected a string, got an integer"),
        ({"listen": "x"}, {}, "http.listen: unknown key"),
    ],
)
def test_problems_name_their_key(
    values: dict[str, object], env: dict[str, str], problem: str
) -> None:
    assert problems_of(with_http(**values), env) == [problem]


def test_values_from_the_environment() -> None:
    data = with_http(port="${HC_PORT}", public_url="${HC_URL}")
    http = http_of(data, {"HC_PORT": "9090", "HC_URL": "https://hc.example.com/"})
    assert (http.port, http.public_url) == (9090, "https://hc.example.com")


@pytest.mark.parametrize(
    ("limits", "problem"),
    [
        (
            {"messages_per_jid": {"count": 0, "per_seconds": 60}},
            "http.rate_limits.messages_per_jid.count: must be greater than 0",
        ),
        (
            {"signals_per_jid": {"count": 10, "per_seconds": 0}},
            "http.rate_limits.signals_per_jid.per_seconds: must be greater than 0",
        ),
        ({"max_jids": 0}, "http.rate_limits.max_jids: must be greater than 0"),
        (
            {"chats_per_domain": {"count": 5}},
            "http.rate_limits.chats_per_domain.per_seconds: required",
        ),
    ],
)
def test_xmpp_visitor_limits_can_be_raised_not_switched_off(
    limits: dict[str, object], problem: str
) -> None:
    assert problems_of(with_http(rate_limits=limits)) == [problem]


def test_xmpp_visitor_limits_have_the_documented_defaults_and_are_read() -> None:
    limits = http_of(with_http(rate_limits={"chats_per_jid": {"count": 2, "per_seconds": 60}}))
    rates = limits.rate_limits.rates()
    assert (rates["chats_per_jid"].count, rates["chats_per_jid"].per_seconds) == (2, 60)
    defaults = {
        "chats_per_domain": (60, 60),
        "messages_per_jid": (60, 60),
        "messages_per_domain": (600, 60),
        "signals_per_jid": (120, 60),
    }
    assert {name: (rates[name].count, rates[name].per_seconds) for name in defaults} == defaults
    assert limits.rate_limits.max_jids == 100_000
