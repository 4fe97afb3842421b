"""The ejabberd_api section: off without a url, the url kept in one form, credentials from the
environment and never shown, and every problem across its fields named by its key path."""

from __future__ import annotations

from typing import Any

import pytest

from component.config import EjabberdApiConfig, parse_config
from tests.unit.test_config import problems_of, with_value


def api_of(section: object, env: dict[str, str] | None = None) -> EjabberdApiConfig:
    return parse_config(with_value("ejabberd_api", section), env or {}).ejabberd_api


@pytest.mark.parametrize("section", [None, {}])
def test_without_a_url_the_api_is_not_used(section: object) -> None:
    api = api_of(section)
    assert api == EjabberdApiConfig() and not api.configured
    assert (api.group, api.timeout) == ("HelperChat", 5.0)


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("http://127.0.0.1:5280/api", "http://127.0.0.1:5280/api"),
        ("http://127.0.0.1:5280/api/", "http://127.0.0.1:5280/api"),
        ("HTTPS://XMPP.Example.com/api", "https://xmpp.example.com/api"),
        ("http://[::1]:5280/api", "http://[::1]:5280/api"),
    ],
)
def test_the_url_is_kept_in_one_form(typed: str, kept: str) -> None:
    api = api_of({"url": typed})
    assert api.configured and api.url == kept


def test_basic_auth_from_the_environment_stays_out_of_repr() -> None:
    section = {"url": "https://xmpp.example.com/api", "user": "admin@example.com"}
    section["password"] = "${HC_EJ_PASSWORD}"
    api = api_of(section, {"HC_EJ_PASSWORD": "pa55word"})
    assert (api.user, api.password) == ("admin@example.com", "pa55word")
    assert "pa55word" not in repr(api)


def test_a_token_on_loopback_over_plain_http() -> None:
    api = api_of(
        {"url": "http://localhost:5280/api", "token": "${HC_EJ_TOKEN}"}, {"HC_EJ_TOKEN": "t0k"}
    )
    assert api.token == "t0k" and "t0k" not in repr(api)


URL = "https://xmpp.example.com/api"


@pytest.mark.parametrize(
    ("section", "problem"),
    [
        (
            {"url": "127.0.0.1:5280/api"},
            "ejabberd_api.url: must be an absolute http:// or https://",
        ),
        ({"url": "ftp://xmpp.example.com/api"}, "ejabberd_api.url: must be an absolute"),
        ({"url": "http://x.example.com/api?a=1"}, "ejabberd_api.url: must be an absolute"),
        ({"url": ""}, "ejabberd_api.url: must be an absolute"),
        ({"url": 5280}, "ejabberd_api.url: expected a string, got an integer"),
        ({"user": "admin@example.com"}, "ejabberd_api.url: required with ejabberd_api"),
        ({"url": URL, "user": "admin@example.com"}, "ejabberd_api.password: set both or neither"),
        ({"url": URL, "password": "p"}, "ejabberd_api.user: set both or neither"),
        (
            {"url": URL, "user": "a@example.com", "password": "p", "token": "t"},
            "ejabberd_api.token: a token or a user and password, not both",
        ),
        (
            {"url": "http://xmpp.example.com/api", "user": "a@example.com", "password": "p"},
            "ejabberd_api.password: would cross the network unencrypted: use an https:// url",
        ),
        (
            {"url": "http://10.0.0.5:5280/api", "token": "t"},
            "ejabberd_api.token: would cross the network unencrypted",
        ),
        ({"url": URL, "timeout": 0}, "ejabberd_api.timeout: must be greater than 0"),
        ({"url": URL, "group": " "}, "ejabberd_api.group: must not be empty"),
        ({"url": URL, "groups": ["a"]}, "ejabberd_api.groups: unknown key"),
        ({"url": "${HC_NOT_SET}"}, "ejabberd_api.url: environment variable HC_NOT_SET is not set"),
        ("http://127.0.0.1:5280/api", "ejabberd_api: expected a mapping, got a string"),
    ],
)
def test_problems_name_their_key(section: Any, problem: str) -> None:
    found = problems_of(with_value("ejabberd_api", section))
    assert len(found) == 1 and found[0].startswith(problem), found


def test_a_bad_value_is_not_echoed() -> None:
    found = problems_of(with_value("ejabberd_api", {"url": URL, "password": 12345678}))
    assert found == ["ejabberd_api.password: expected a string, got an integer"]
