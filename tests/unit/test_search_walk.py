"""Which queries the newest-first walk of `search` takes, and that its REGEXP finds a word as the
full-text index splits and compares words (case and accents aside, a word of its own)."""

from __future__ import annotations

import re

import pytest

from component.desk.search_view import SearchQuery
from component.storage.search_walk import walk_pattern


@pytest.mark.parametrize(
    ("text", "mode"),
    [
        ("order", "natural"),
        ("  Order ", "natural"),
        ("счёт", "natural"),
        ("café", "natural"),
        ("+order", "boolean"),
        ("order", "boolean"),
    ],
)
def test_one_word_of_latin_or_russian_letters_is_walked(text: str, mode: str) -> None:
    assert walk_pattern(SearchQuery(text, mode)) is not None


@pytest.mark.parametrize(
    ("text", "mode"),
    [
        ("order refund", "natural"),  # two words: any of them, the index's
        ("+order", "natural"),  # not one word as natural mode reads it
        ("order*", "boolean"),
        ("-order", "boolean"),
        ('"order"', "boolean"),
        ("ab", "natural"),  # too short for the index
        ("x" * 85, "natural"),  # too long for the index
        ("with", "natural"),  # a stopword: never found
        ("mail2", "natural"),  # digits
        ("x_mail", "natural"),
        ("ελπίδα", "natural"),  # letters whose equals are not listed
        ("", "natural"),
    ],
)
def test_anything_else_is_left_to_the_index(text: str, mode: str) -> None:
    assert walk_pattern(SearchQuery(text, mode)) is None


@pytest.mark.parametrize(
    ("word", "body", "found"),
    [
        ("mail", "send me an e-mail, please", True),
        ("mail", "MAIL!", True),
        ("mail", "x_mail", False),
        ("mail", "mail2", False),
        ("mail", "mailbox", False),
        ("mail", "email", False),
        ("cafe", "the CAFÉ is open", True),
        ("café", "a cafe", True),
        ("счет", "Счёт оплачен", True),
        ("счёт", "счет готов", True),
        ("йод", "иод", False),
        ("иод", "Йод", False),
        ("заказ", "заказы", False),
        ("password", "PAßWORD", True),  # `ß` is `ss` to the collation
        ("strasse", "Straße", True),
        ("password", "pasword", False),
        ("oeuvre", "Œuvre", True),
    ],
)
def test_the_pattern_finds_a_word_of_its_own_with_its_letters_equals(
    word: str, body: str, found: bool
) -> None:
    pattern = walk_pattern(SearchQuery(word))
    assert pattern is not None
    assert bool(re.search(pattern.regexp, body)) is found
    assert pattern.like in (f"%{word}%", "%")
