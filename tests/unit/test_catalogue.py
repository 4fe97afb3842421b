"""The catalogue of visitor texts: the visitor's language when it has it, else the site's, else
English; English fills what a language lacks; a bad catalogue is refused at start-up."""

from __future__ import annotations

import pytest

from component.catalogue import Catalogue, CatalogueError
from component.locales import shipped_catalogue


@pytest.mark.parametrize(
    ("tags", "site_lang", "told"),
    [
        (["ru"], "en", "ru"),
        (["ru-RU"], "en", "ru"),
        (["RU"], "en", "ru"),
        (["en-GB"], "ru", "en"),
        (["de"], "ru", "ru"),  # not one the catalogue has: the site's
        ([""], "ru", "ru"),  # none given
        (["english"], "ru", "ru"),
        (["de", "ru"], "en", "ru"),  # the first one it has
        (["de"], "de", "en"),  # a site language without texts: English
    ],
)
def test_the_visitors_language_when_spoken_else_the_sites(
    tags: list[str], site_lang: str, told: str
) -> None:
    assert shipped_catalogue().choose(tags, site_lang) == told


def test_the_rate_limit_refusal_says_when_to_send_again_in_each_language() -> None:
    catalogue = shipped_catalogue()
    assert catalogue.text("en", "rate_limited", seconds=7) == (
        "Too many messages at once; this one was not delivered. Please send it again in 7 s."
    )
    assert catalogue.text("ru", "rate_limited", seconds=7) == (
        "Слишком много сообщений сразу; это сообщение не доставлено. Отправьте его снова через 7 с."
    )


def test_every_shipped_language_has_every_english_text() -> None:
    catalogue = shipped_catalogue()
    assert {"en", "ru"} <= catalogue.languages
    english = catalogue._texts["en"]
    for lang in catalogue.languages:
        assert set(catalogue._texts[lang]) == set(english), lang


def test_a_language_joins_without_code_and_lacks_nothing() -> None:
    catalogue = Catalogue(
        {"en": {"hello": "Hello {name}", "bye": "Bye"}, "de": {"hello": "Hallo {name}"}}
    )
    assert catalogue.languages == {"en", "de"}
    assert catalogue.text("de-AT", "hello", name="Anna") == "Hallo Anna"
    assert catalogue.text("de", "bye") == "Bye"  # English where German lacks it
    assert catalogue.text("xx", "bye") == "Bye"


@pytest.mark.parametrize(
    "texts",
    [
        {"ru": {"a": "b"}},  # no English
        {"en": {"a": "{x}"}, "ru": {"a": "{y}"}},  # other fields than English
        {"en": {"a": "x"}, "ru": {"b": "y"}},  # a key English lacks
        {"en": {"a": "{"}},  # a template that does not parse
    ],
)
def test_a_catalogue_that_cannot_serve_is_refused(texts: dict[str, dict[str, str]]) -> None:
    with pytest.raises(CatalogueError):
        Catalogue(texts)
