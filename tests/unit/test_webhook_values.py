"""The pure parts of webhooks: event lists, URLs and which addresses are public, signatures,
the retry schedule and the envelope's JSON."""

from __future__ import annotations

import json
import random

import pytest

from component.errors import InvalidInput
from component.models import Chat, ChatState, VisitorKind
from component.webhook_events import (
    DEFAULT_EVENTS,
    EVENTS,
    checked_events,
    events_of,
    stored_events,
)
from component.webhook_payloads import chat_data, envelope, iso_time
from component.webhook_retry import RetryPolicy
from component.webhook_signing import new_secret, signature, signature_matches
from component.webhook_urls import (
    MAX_URL_CHARS,
    checked_webhook_url,
    is_public_address,
    literal_address,
    origin_of,
)
from tests.unit.fakes import ACME

# --- events -------------------------------------------------------------------------------------


def test_by_default_every_event_but_chat_message() -> None:
    assert checked_events(None) == DEFAULT_EVENTS
    assert "chat.message" not in DEFAULT_EVENTS
    assert set(DEFAULT_EVENTS) | {"chat.message"} == set(EVENTS)


@pytest.mark.parametrize(
    ("typed", "events"),
    [
        ("chat.closed,chat.started", ("chat.started", "chat.closed")),
        (" Chat.Message  feedback.received ", ("chat.message", "feedback.received")),
        ("all", EVENTS),
        ("all,chat.message", EVENTS),
        ("operator.online,operator.online", ("operator.online",)),
    ],
)
def test_events_as_typed(typed: str, events: tuple[str, ...]) -> None:
    assert checked_events(typed) == events
    assert events_of(stored_events(events)) == frozenset(events)


@pytest.mark.parametrize("typed", ["", " , ", "chat.begun", "chat.started,operator.away"])
def test_unknown_or_no_events_are_refused_by_name(typed: str) -> None:
    with pytest.raises(InvalidInput, match="bad events") as refused:
        checked_events(typed)
    assert "chat.started" in str(refused.value)  # the choices are listed


def test_a_stored_name_this_version_does_not_know_is_ignored() -> None:
    assert events_of("chat.started,chat.rated,") == frozenset({"chat.started"})


# --- URLs and addresses -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("https://hooks.example/helperchat", "https://hooks.example/helperchat"),
        ("  HTTPS://Hooks.Example:443/x?key=1&b=2 ", "https://hooks.example/x?key=1&b=2"),
        ("http://hooks.example:8080", "http://hooks.example:8080/"),
        ("http://127.0.0.1:9000/in", "http://127.0.0.1:9000/in"),
        ("http://[::1]:9000/in", "http://[::1]:9000/in"),
        ("https://bücher.example/hook", "https://xn--bcher-kva.example/hook"),
        ("https://hooks.example/a%20b", "https://hooks.example/a%20b"),
    ],
)
def test_urls_are_stored_normalised(typed: str, stored: str) -> None:
    assert checked_webhook_url(typed) == stored


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("ftp://hooks.example/x", "http:// or https://"),
        ("hooks.example/x", "http:// or https://"),
        ("https://user:pw@hooks.example/x", "credentials"),
        ("https://token@hooks.example/x", "credentials"),
        ("https://hooks.example/x#part", "fragment"),
        ("https:///x", "host"),
        ("https://hooks.example:0/x", "host"),
        ("https://hooks.example:99999/x", "cannot be read"),
        ("https://hooks.example/a b", "printable ASCII"),
        ("https://hooks.example/a\nb", "printable ASCII"),
        ("https://hooks.example/é", "printable ASCII"),
        ("https://hooks..example/", "host"),
        ("https://" + "a" * MAX_URL_CHARS + ".example/", "at most"),
        ("", "at most"),
    ],
)
def test_bad_urls_are_refused_saying_why(typed: str, why: str) -> None:
    with pytest.raises(InvalidInput, match="bad webhook URL") as refused:
        checked_webhook_url(typed)
    assert why in str(refused.value)


def test_a_receiver_is_a_urls_scheme_host_and_port() -> None:
    assert origin_of("https://hooks.example/a?b") == "https://hooks.example:443"
    assert origin_of("http://hooks.example:8080/") == "http://hooks.example:8080"
    assert origin_of("http://[::1]:81/") == "http://[::1]:81"
    assert literal_address("http://[::1]:81/") == "::1"
    assert literal_address("https://hooks.example/") is None


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:4700::1111", True),
        ("127.0.0.1", False),
        ("127.8.8.8", False),
        ("::1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # shared (carrier-grade NAT)
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("fe80::1%eth0", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),  # IPv4-mapped
        ("::ffff:93.184.215.14", True),
        ("64:ff9b::5db8:d70e", True),  # NAT64 of a public IPv4 address
        ("2002:5db8:d70e::1", True),  # 6to4 of one
        ("not an address", False),
    ],
)
def test_which_addresses_are_public(address: str, public: bool) -> None:
    assert is_public_address(address) is public


@pytest.mark.parametrize(
    "address",
    [
        "64:ff9b::a00:5",  # NAT64 (RFC 6052) of 10.0.0.5: a NAT64 gateway reaches it
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254 (cloud metadata)
        "64:ff9b:1::a00:5",  # local-use NAT64 (RFC 8215)
        "2002:a00:5::1",  # 6to4 of 10.0.0.5
        "::a00:5",  # IPv4-compatible (deprecated) 10.0.0.5
        "::ffff:0:a00:5",  # IPv4-translated (SIIT) 10.0.0.5
        "fec0::1",  # site-local (deprecated, still private in use)
    ],
)
def test_an_ipv6_address_carrying_a_private_ipv4_one_is_not_public(address: str) -> None:
    assert not is_public_address(address)


# --- signatures ---------------------------------------------------------------------------------


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    body = b'{"id":"x","event":"chat.started"}'
    expected = "sha256=a521e21c3cff5570aa50af842e65fe45ed2134649b3fe80e295c9987bdd18ec7"  # openssl
    assert signature("whsec-test", 1_767_225_600, body) == expected
    assert signature_matches("whsec-test", 1_767_225_600, body, expected)
    assert not signature_matches("whsec-test", 1_767_225_601, body, expected)
    assert not signature_matches("other", 1_767_225_600, body, expected)
    assert not signature_matches("whsec-test", 1_767_225_600, body + b" ", expected)


def test_secrets_are_long_random_and_url_safe() -> None:
    secrets = {new_secret() for _ in range(50)}
    assert len(secrets) == 50
    assert all(len(s) == 43 and s.replace("-", "").replace("_", "").isalnum() for s in secrets)


# --- retries ------------------------------------------------------------------------------------

POLICY = RetryPolicy(first_delay=10.0, max_delay=600.0, retry_for=3600.0)


@pytest.mark.parametrize(("failures", "ceiling"), [(1, 10), (2, 20), (3, 40), (7, 600), (99, 600)])
def test_back_off_doubles_up_to_its_cap_with_jitter_in_its_upper_half(
    failures: int, ceiling: float
) -> None:
    rng = random.Random(3)
    delays = [POLICY.delay(failures, rng) for _ in range(200)]
    assert all(ceiling / 2 <= d <= ceiling for d in delays)
    assert max(delays) - min(delays) > ceiling / 4  # jittered, not one value


def test_retries_stop_at_the_end_of_the_window_with_a_last_attempt_there() -> None:
    rng = random.Random(1)
    made = 1000.0
    assert POLICY.next_attempt(made, 1, made + 5, rng) is not None
    assert POLICY.next_attempt(made, 30, made + 3590, rng) == made + 3600  # capped at the end
    assert POLICY.next_attempt(made, 30, made + 3600, rng) is None


# --- the envelope -------------------------------------------------------------------------------


def test_the_envelope_is_compact_utf8_json_in_spec_order() -> None:
    body = envelope("d-1", "chat.started", "acme", 1_767_225_600.25, {"text": "Привет"})
    assert body == (
        '{"id":"d-1","event":"chat.started","site":"acme",'
        '"at":"2026-01-01T00:00:00.250000Z","data":{"text":"Привет"}}'
    )


def test_text_that_is_not_valid_unicode_cannot_break_a_delivery() -> None:
    body = envelope("d-1", "chat.message", "acme", 0.0, {"text": "a\ud800b"})
    assert json.loads(body)["data"]["text"] == "a?b"
    body.encode("utf-8")


def test_times_are_utc_with_microseconds() -> None:
    assert iso_time(0.000001) == "1970-01-01T00:00:00.000001Z"


def test_an_xmpp_visitor_is_named_by_jid_a_web_visitors_id_stays_inside() -> None:
    chat = Chat(ACME.id, 7, "web:secret-id", VisitorKind.WEB, "Vera", ChatState.QUEUED, 0.0)
    assert "web:secret-id" not in json.dumps(chat_data(ACME, chat))
    xmpp = Chat(ACME.id, 8, "v@x.test", VisitorKind.XMPP, "Vera", ChatState.QUEUED, 0.0)
    assert chat_data(ACME, xmpp)["visitor"] == {"kind": "xmpp", "name": "Vera", "jid": "v@x.test"}
