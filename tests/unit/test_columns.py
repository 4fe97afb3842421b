"""Values cut to their columns: VARCHAR in characters, TEXT in utf8mb4 bytes, always valid UTF-8."""

from __future__ import annotations

import pytest

from component.storage.columns import fit_bytes, fit_chars


@pytest.mark.parametrize(
    ("value", "limit", "expected"),
    [
        ("short", 200, "short"),
        ("x" * 300, 255, "x" * 255),
        ("😀" * 300, 200, "😀" * 200),  # a 4-byte character is one character of a VARCHAR
        ("lone \ud800 surrogate", 200, "lone ? surrogate"),
        ("", 200, ""),
    ],
)
def test_varchar_values_are_cut_in_characters(value: str, limit: int, expected: str) -> None:
    assert fit_chars(value, limit) == expected


@pytest.mark.parametrize(
    ("value", "limit", "expected"),
    [
        ("short", 65535, "short"),
        ("a" * 70000, 65535, "a" * 65535),
        ("ü" * 40000, 65535, "ü" * 32767),  # 2 bytes each: never half a character
        ("😀" * 5, 10, "😀" * 2),
        ("lone \udc80", 65535, "lone ?"),
    ],
)
def test_text_values_are_cut_in_utf8_bytes(value: str, limit: int, expected: str) -> None:
    fitted = fit_bytes(value, limit)
    assert fitted == expected
    assert len(fitted.encode("utf-8")) <= limit
