"""Chat tokens of web visitors: made unguessable, stored only as a hash, compared in constant time.

Pure: imports no library.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_BYTES = 32  # 256 bits, well above §7.1's 128


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def new_visitor_id() -> str:
    """A web visitor's id in the desk: unguessable, and not the token."""
    return f"web:{secrets.token_urlsafe(12)}"


def token_hash(token: str) -> str:
    """The SHA-256 of the token, hex: what the database keeps."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_matches(token: str, stored_hash: str) -> bool:
    return hmac.compare_digest(token_hash(token), stored_hash)
