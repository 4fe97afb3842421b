"""Signed visitor identities: what verifies, and every way one is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from component.identity import MAX_IDENTITY_CHARS, Identity, InvalidIdentity, sign, verify

KEY = "k3y-of-acme"
NOW = 1_800_000_000.0


def signed_raw(payload: str, key: str = KEY) -> str:
    """Any payload text, signed as a site's server would sign it."""
    return f"{payload}.{hmac.new(key.encode(), payload.encode(), hashlib.sha256).hexdigest()}"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def test_a_valid_identity_gives_its_claims() -> None:
    token = sign({"id": "c-42", "name": "Ann", "email": "ann@shop.test", "target": True}, KEY)
    assert verify(token, KEY, NOW) == Identity("c-42", "Ann", "ann@shop.test", True)


def test_only_id_is_needed_and_a_number_id_is_taken_as_text() -> None:
    assert verify(sign({"id": 42}, KEY), KEY, NOW) == Identity("42")


def test_padding_is_optional_and_extra_fields_are_ignored() -> None:
    data = json.dumps({"id": "c", "plan": "golden"}).encode()
    padded = base64.urlsafe_b64encode(data).decode()
    assert padded.endswith("=")
    assert verify(signed_raw(padded), KEY, NOW).customer_id == "c"


def test_non_ascii_names_verify() -> None:
    token = sign({"id": "7", "name": "Анна Öztürk 李"}, KEY)
    assert token.isascii()
    assert verify(token, KEY, NOW).name == "Анна Öztürk 李"


def test_a_future_exp_verifies_and_a_past_one_is_refused() -> None:
    assert verify(sign({"id": "c", "exp": NOW + 60}, KEY), KEY, NOW).customer_id == "c"
    with pytest.raises(InvalidIdentity, match="expired"):
        verify(sign({"id": "c", "exp": int(NOW) - 1}, KEY), KEY, NOW)


def test_a_tampered_payload_is_refused() -> None:
    token = sign({"id": "c", "target": False}, KEY)
    forged = b64(json.dumps({"id": "c", "target": True}).encode())
    with pytest.raises(InvalidIdentity, match="signature"):
        verify(f"{forged}.{token.split('.')[1]}", KEY, NOW)


def test_a_tampered_signature_is_refused() -> None:
    token = sign({"id": "c"}, KEY)
    last = token[-1]
    with pytest.raises(InvalidIdentity, match="signature"):
        verify(token[:-1] + ("0" if last != "0" else "1"), KEY, NOW)
    with pytest.raises(InvalidIdentity, match="signature"):
        verify(token.upper(), KEY, NOW)  # lowercase hex only


def test_another_key_does_not_verify_and_a_site_without_key_verifies_nothing() -> None:
    token = sign({"id": "c"}, KEY)
    with pytest.raises(InvalidIdentity, match="signature"):
        verify(token, "key-of-globex", NOW)
    with pytest.raises(InvalidIdentity, match="no API key"):
        verify(token, None, NOW)


@pytest.mark.parametrize(
    "payload",
    [
        "@@@not-base64@@@",
        b64(b"\xff\xfe not utf-8"),
        b64(b"{not json"),
        b64(b'["a", "list"]'),
        b64(b'"a string"'),
    ],
)
def test_bad_base64_or_json_is_refused_even_when_signed(payload: str) -> None:
    with pytest.raises(InvalidIdentity):
        verify(signed_raw(payload), KEY, NOW)


@pytest.mark.parametrize(
    "claims",
    [
        {},
        {"id": ""},
        {"id": None},
        {"id": 4.5},
        {"id": True},
        {"id": ["c"]},
        {"id": "c", "name": 5},
        {"id": "c", "email": ["a@b"]},
        {"id": "c", "target": "yes"},
        {"id": "c", "target": 1},
        {"id": "c", "exp": "tomorrow"},
        {"id": "c", "exp": True},
        {"id": "x" * 201},
        {"id": "c", "name": "n" * 201},
    ],
)
def test_wrong_types_are_refused(claims: dict[str, object]) -> None:
    with pytest.raises(InvalidIdentity):
        verify(sign(claims, KEY), KEY, NOW)


@pytest.mark.parametrize("shape", ["", "nodot", "a.b.c", "ä.b"])
def test_anything_but_payload_dot_signature_is_refused(shape: str) -> None:
    with pytest.raises(InvalidIdentity):
        verify(shape, KEY, NOW)


def test_an_oversized_identity_is_refused_before_anything_else() -> None:
    token = sign({"id": "c", "name": "", "pad": "p" * MAX_IDENTITY_CHARS}, KEY)
    with pytest.raises(InvalidIdentity, match="longer than"):
        verify(token, KEY, NOW)


@pytest.mark.parametrize("exp", ["NaN", "Infinity", "1e999"])
def test_an_exp_that_is_no_finite_time_is_refused(exp: str) -> None:
    """JSON has no NaN or Infinity (json.dumps writes them all the same), and 1e999 overflows to
    infinity: such an `exp` is no time at all, so the identity is refused, never kept forever."""
    with pytest.raises(InvalidIdentity):
        verify(signed_raw(b64(f'{{"id": "c", "exp": {exp}}}'.encode())), KEY, NOW)


@pytest.mark.parametrize("customer_id", ["\u200b", "\u202e\u200f", "\x00\x07"])
def test_an_id_with_nothing_printable_is_refused_like_an_empty_one(customer_id: str) -> None:
    """The operator's header shows the id as one printable line: an id that is nothing once
    cleaned would mark the visitor verified with no customer id at all."""
    with pytest.raises(InvalidIdentity):
        verify(sign({"id": customer_id}, KEY), KEY, NOW)


def test_a_signed_payload_nested_deeper_than_json_can_read_is_refused_not_a_crash() -> None:
    deep = b64(b"[" * 1200 + b"]" * 1200)  # within the size cap, past the parser's recursion
    with pytest.raises(InvalidIdentity, match="not base64url of a JSON object"):
        verify(signed_raw(deep), KEY, NOW)
