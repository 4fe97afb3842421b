"""The catalogue of visitor texts: the visitor's language when it has it, else the site's, else
English; English fills what a language lacks; a bad catalogue is refused at start-up."""

from __future__ import annotations

from pathlib import Path

import pytest

from component.catalogue import Catalogue, CatalogueError
from component.locales import catalogue_in, shipped_catalogue


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


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("pt-BR.json", '{"rate_limited": "x {seconds}"}', "name it after a language"),
        ("De.json", '{"rate_limited": "x {seconds}"}', "name it after a language"),
        ("de.json", '{"rate_limited": ', "de.json: Expecting value"),
        ("de.json", '["rate_limited"]', "expected an object of strings"),
        ("de.json", '{"rate_limited": 3}', "expected an object of strings"),
        ("de.json", '{"rate_limited": "bitte {sekunden}"}', "takes \\['sekunden'\\]"),
    ],
)
def test_a_folder_with_a_bad_catalogue_file_is_refused_naming_it(
    tmp_path: Path, name: str, content: str, problem: str
) -> None:
    (tmp_path / "en.json").write_text('{"rate_limited": "again in {seconds} s"}')
    (tmp_path / name).write_text(content)
    with pytest.raises(CatalogueError, match=problem):
        catalogue_in(tmp_path)


def test_a_folder_of_good_files_is_a_catalogue_and_other_files_are_ignored(
    tmp_path: Path,
) -> None:
    (tmp_path / "en.json").write_text('{"rate_limited": "again in {seconds} s"}')
    (tmp_path / "uk.json").write_text('{"rate_limited": "ще раз за {seconds} с"}')
    (tmp_path / "README.txt").write_text("not a catalogue")
    catalogue = catalogue_in(tmp_path)
    assert catalogue.languages == {"en", "uk"}
    assert catalogue.text("uk-UA", "rate_limited", seconds=3) == "ще раз за 3 с"
