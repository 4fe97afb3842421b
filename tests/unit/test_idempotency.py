"""What a request gets whose Idempotency-Key was seen: by the stored hash, answer and age."""

from __future__ import annotations

import pytest

from component.idempotency import (
    CLAIM_STALE_SECONDS,
    KEY_TTL_SECONDS,
    Seen,
    StoredRequest,
    request_hash,
    seen,
    valid_key,
)

NOW = 1_800_000_000.0
SAME = request_hash({"text": "hi", "url": "", "to": "all"})
OTHER = request_hash({"text": "hi", "url": "", "to": "online"})


@pytest.mark.parametrize(
    ("stored", "outcome"),
    [
        (None, Seen.NEW),
        (StoredRequest(SAME, '{"delivered_to": 2}', NOW - 10), Seen.REPLAY),
        (StoredRequest(SAME, '{"delivered_to": 2}', NOW - KEY_TTL_SECONDS + 1), Seen.REPLAY),
        (StoredRequest(SAME, '{"delivered_to": 2}', NOW - KEY_TTL_SECONDS), Seen.NEW),  # expired
        (StoredRequest(OTHER, '{"delivered_to": 2}', NOW - 10), Seen.MISMATCH),
        (StoredRequest(OTHER, "", NOW - 10), Seen.MISMATCH),
        (StoredRequest(OTHER, "", NOW - KEY_TTL_SECONDS), Seen.NEW),
        (StoredRequest(SAME, "", NOW - 1), Seen.IN_PROGRESS),
        (StoredRequest(SAME, "", NOW - CLAIM_STALE_SECONDS + 1), Seen.IN_PROGRESS),
        (StoredRequest(SAME, "", NOW - CLAIM_STALE_SECONDS), Seen.NEW),  # abandoned: taken over
    ],
)
def test_what_a_seen_key_gets(stored: StoredRequest | None, outcome: Seen) -> None:
    assert seen(stored, SAME, NOW) is outcome


def test_the_hash_is_of_the_values_not_of_their_order() -> None:
    assert request_hash({"to": "all", "url": "", "text": "hi"}) == SAME
    assert len(SAME) == 64 and SAME != OTHER
    assert request_hash({"text": "hí", "url": "", "to": "all"}) != SAME


@pytest.mark.parametrize(
    ("key", "valid"),
    [
        ("8e03978e-40d5-43e8-bc93-6894a57f9324", True),
        ("order:123/!~", True),
        ("x" * 255, True),
        ("x" * 256, False),
        ("", False),
        ("two words", False),
        ("tab\there", False),
        ("ключ", False),
    ],
)
def test_a_key_is_1_to_255_visible_ascii_characters(key: str, valid: bool) -> None:
    assert valid_key(key) is valid
