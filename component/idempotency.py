"""Idempotency keys of the notification API (PURE): what a request gets whose `Idempotency-Key`
was seen before, and the hash that tells whether it is the same request.

A key is kept for KEY_TTL_SECONDS with the hash of its request and, once answered, the answer.
The same key with the same request gets that answer again (nothing is sent twice); with another
request it is refused (422, as the IETF's Idempotency-Key draft has it); while its first request
is still being answered, a second one is refused too (409). A key whose first request never got
its answer stored (the process stopped in between) is taken over after CLAIM_STALE_SECONDS, so a
client retrying is not locked out for a day. Must not import asyncio or an adapter library.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

KEY_TTL_SECONDS = 24 * 3600.0
CLAIM_STALE_SECONDS = 60.0
MAX_KEY_CHARS = 255
_KEY = re.compile(rf"[\x21-\x7e]{{1,{MAX_KEY_CHARS}}}")  # visible ASCII, as the column holds


@dataclass(frozen=True, slots=True)
class StoredRequest:
    """What is kept of a key: its request's hash, the answer ("" until there is one), when."""

    request_hash: str
    answer: str
    created_at: float


class Seen(StrEnum):
    NEW = "new"  # never seen, expired, or its first request abandoned: answer it now
    REPLAY = "replay"  # the same request answered before: its answer again, nothing sent
    MISMATCH = "mismatch"  # the key names another request
    IN_PROGRESS = "in_progress"  # the same request, still being answered


def seen(stored: StoredRequest | None, request_hash: str, now: float) -> Seen:
    """What a request with this hash gets, given what its key holds."""
    if stored is None or now - stored.created_at >= KEY_TTL_SECONDS:
        return Seen.NEW
    if stored.request_hash != request_hash:
        return Seen.MISMATCH
    if stored.answer:
        return Seen.REPLAY
    return Seen.NEW if now - stored.created_at >= CLAIM_STALE_SECONDS else Seen.IN_PROGRESS


def request_hash(values: Mapping[str, object]) -> str:
    """SHA-256 (hex) of the request's checked values, in a canonical JSON form: the same request
    however its JSON was spaced or ordered."""
    canonical = json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def valid_key(key: str) -> bool:
    """1 to 255 visible ASCII characters (a UUID, a random token, an order number)."""
    return _KEY.fullmatch(key) is not None
