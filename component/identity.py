"""Signed visitor identities (§7.1): the site's server vouches for who a web visitor is.

The wire format is one string `PAYLOAD.SIGNATURE`: PAYLOAD is the base64url (padding optional) of
a UTF-8 JSON object `{"id", "name"?, "email"?, "target"?, "exp"?}`, SIGNATURE the lowercase hex
HMAC-SHA256 of PAYLOAD (as ASCII) under the site's API key. `id` is the site's own customer id
(a string or a whole number); `exp`, when given, is a unix time after which the identity is
refused. Fields this version does not know are ignored, so a site's server may send more.
Pure: imports no library.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass

from component.names import one_line

MAX_IDENTITY_CHARS = 4096
MAX_ID_CHARS = 200
MAX_NAME_CHARS = 200
MAX_EMAIL_CHARS = 254


class InvalidIdentity(ValueError):
    """The identity is malformed, expired, or not signed with the site's key."""


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the site's server says the visitor is."""

    customer_id: str
    name: str = ""
    email: str = ""
    target: bool = False


def sign(claims: Mapping[str, object], api_key: str) -> str:
    """The identity string for `claims` under `api_key` (what a site's server does)."""
    data = json.dumps(dict(claims), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    payload = base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")
    return f"{payload}.{_signature(payload, api_key)}"


def verify(identity: str, api_key: str | None, now: float) -> Identity:
    """The identity's claims when its signature under `api_key` holds and it has not expired."""
    if not api_key:
        raise InvalidIdentity("this site has no API key to verify identities with")
    if len(identity) > MAX_IDENTITY_CHARS:
        raise InvalidIdentity(f"`identity` is longer than {MAX_IDENTITY_CHARS} characters")
    if not identity.isascii() or identity.count(".") != 1:
        raise InvalidIdentity("`identity` must be PAYLOAD.SIGNATURE")
    payload, signature = identity.split(".")
    if not hmac.compare_digest(_signature(payload, api_key), signature):
        raise InvalidIdentity("the identity's signature does not match the site's API key")
    claims = _claims(payload)
    expires = claims.get("exp")
    if expires is not None:
        if isinstance(expires, bool) or not isinstance(expires, (int, float)):
            raise InvalidIdentity("`exp` must be a unix time in seconds")
        if isinstance(expires, float) and not math.isfinite(expires):  # NaN, Infinity, 1e999
            raise InvalidIdentity("`exp` must be a finite unix time in seconds")
        if expires <= now:
            raise InvalidIdentity("the identity has expired")
    return Identity(
        customer_id=_customer_id(claims),
        name=_text(claims, "name", MAX_NAME_CHARS),
        email=_text(claims, "email", MAX_EMAIL_CHARS),
        target=_flag(claims, "target"),
    )


def _signature(payload: str, api_key: str) -> str:
    key = api_key.encode("utf-8")
    return hmac.new(key, payload.encode("ascii"), hashlib.sha256).hexdigest()


def _claims(payload: str) -> dict[str, object]:
    try:
        data = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        claims = json.loads(data.decode("utf-8"))
    except (binascii.Error, ValueError, RecursionError):  # UnicodeDecode- and JSONDecodeError
        # are ValueErrors; RecursionError: nesting deeper than the parser goes
        raise InvalidIdentity("the identity's payload is not base64url of a JSON object") from None
    if not isinstance(claims, dict):
        raise InvalidIdentity("the identity's payload must be a JSON object")
    return claims


def _customer_id(claims: Mapping[str, object]) -> str:
    value = claims.get("id")
    if type(value) is int:
        value = str(value)
    if not isinstance(value, str) or not one_line(value, MAX_ID_CHARS):  # shown as one line
        raise InvalidIdentity("`id` must be a non-empty string or a whole number")
    if len(value) > MAX_ID_CHARS:
        raise InvalidIdentity(f"`id` is longer than {MAX_ID_CHARS} characters")
    return value


def _text(claims: Mapping[str, object], key: str, limit: int) -> str:
    value = claims.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidIdentity(f"`{key}` must be a string")
    if len(value) > limit:
        raise InvalidIdentity(f"`{key}` is longer than {limit} characters")
    return value


def _flag(claims: Mapping[str, object], key: str) -> bool:
    value = claims.get(key, False)
    if not isinstance(value, bool):
        raise InvalidIdentity(f"`{key}` must be true or false")
    return value
