"""Webhook secrets and signatures (SPEC §6): `X-HelperChat-Signature: sha256=<hex HMAC-SHA256 of
timestamp + "." + body under the webhook's secret>`, the timestamp being X-HelperChat-Timestamp.

Pure: imports no library; must not import asyncio, the use cases or an adapter.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SECRET_BYTES = 32
PREFIX = "sha256="


def new_secret() -> str:
    """A webhook's signing secret: 256 random bits, URL-safe text (43 characters)."""
    return secrets.token_urlsafe(SECRET_BYTES)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The X-HelperChat-Signature value of `body` sent at `timestamp` (Unix seconds)."""
    signed = str(timestamp).encode("ascii") + b"." + body
    return PREFIX + hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def signature_matches(secret: str, timestamp: int, body: bytes, header: str) -> bool:
    """What a receiver checks (in constant time): `header` is the signature of `body` at
    `timestamp`. The timestamp's age is the receiver's to check."""
    return hmac.compare_digest(signature(secret, timestamp, body), header)
