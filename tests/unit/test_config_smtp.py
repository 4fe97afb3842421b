"""The smtp section: off without a host, the usual ports, the key `from`, the password from the
environment, and every problem across its fields named by its key path."""

from __future__ import annotations

from typing import Any

import pytest

from component.config import SmtpConfig, parse_config
from tests.unit.test_config import problems_of, with_value

PROVIDER: dict[str, Any] = {
    "host": "smtp.example.com",
    "from": "Acme desk <desk@example.com>",
    "username": "desk@example.com",
    "password": "${HC_SMTP_PASSWORD}",
    "starttls": True,
}


def smtp_of(section: dict[str, Any], env: dict[str, str] | None = None) -> SmtpConfig:
    return parse_config(with_value("smtp", section), env or {}).smtp


def test_without_a_section_mail_is_not_configured() -> None:
    smtp = parse_config(with_value("smtp", None), {}).smtp
    assert smtp == SmtpConfig() and not smtp.configured


def test_a_provider_with_starttls_and_the_password_from_the_environment() -> None:
    smtp = smtp_of(PROVIDER, {"HC_SMTP_PASSWORD": "s3cret"})
    assert smtp.configured and smtp.from_ == "Acme desk <desk@example.com>"
    assert (smtp.password, smtp.effective_port) == ("s3cret", 587)
    assert "s3cret" not in repr(smtp)


@pytest.mark.parametrize(
    ("section", "port"),
    [
        ({}, 25),
        ({"starttls": True}, 587),
        ({"tls": True}, 465),
        ({"tls": True, "port": 2465}, 2465),
    ],
)
def test_the_usual_port_follows_the_encryption(section: dict[str, Any], port: int) -> None:
    base = {"host": "relay.internal", "from": "desk@example.com"}
    assert smtp_of(base | section).effective_port == port


def test_a_local_relay_may_take_a_password_in_the_clear() -> None:
    local = {"host": "127.0.0.1", "from": "d@example.com", "username": "u", "password": "p"}
    assert smtp_of(local).password == "p"


@pytest.mark.parametrize(
    ("section", "problem"),
    [
        ({"from": "desk@example.com"}, "smtp.host: required to send mail"),
        ({"host": "smtp.example.com"}, "smtp.from: required with smtp.host"),
        (
            {"host": "smtp.example.com", "from": "desk@example.com\r\nBcc: x@y.test"},
            "smtp.from: must be one e-mail address, optionally with a name:"
            " Name <desk@example.com>",
        ),
        (
            {"host": "smtp.example.com", "from": "a@b.test, c@d.test"},
            "smtp.from: must be one e-mail address, optionally with a name:"
            " Name <desk@example.com>",
        ),
        (
            PROVIDER | {"password": "p", "tls": True},
            "smtp.tls: starttls and tls exclude each other (465: tls, 587: starttls)",
        ),
        (PROVIDER | {"password": ""}, "smtp.password: set both or neither"),
        (PROVIDER | {"password": "p", "username": ""}, "smtp.username: set both or neither"),
        (
            PROVIDER | {"password": "p", "starttls": False},
            "smtp.password: would cross the network unencrypted: set starttls or tls",
        ),
        (
            PROVIDER | {"password": "p", "retry_min_delay": 60, "retry_max_delay": 30},
            "smtp.retry_min_delay: must not be more than smtp.retry_max_delay",
        ),
        (PROVIDER | {"password": "p", "timeout": 0}, "smtp.timeout: must be greater than 0"),
        (PROVIDER | {"password": "p", "port": 70000}, "smtp.port: must be between 1 and 65535"),
        (PROVIDER | {"password": "p", "sender": "x@y.test"}, "smtp.sender: unknown key"),
        (PROVIDER | {"password": "p", "from_": "x@y.test"}, "smtp.from_: unknown key"),
    ],
)
def test_each_problem_names_its_key(section: dict[str, Any], problem: str) -> None:
    assert problems_of(with_value("smtp", section)) == [problem]


def test_an_unset_password_variable_is_named() -> None:
    assert problems_of(with_value("smtp", PROVIDER)) == [
        "smtp.password: environment variable HC_SMTP_PASSWORD is not set"
    ]
