"""The catalogue of what HelperChat says to visitors, by language (PURE: the texts come in).

One mapping per language, `{key: template}`, templates in `str.format` style with named fields
(`"... again in {seconds} s."`). English is complete and the fallback: a language that lacks a
key (a catalogue that came later) says it in English rather than failing. A visitor is spoken to
in the first language of theirs the catalogue has (a language tag's primary subtag, "ru-RU" being
"ru"), else their site's. A language joins by a file of its own (component/locales/), without
code: `languages` is what the catalogue holds. Must not import asyncio or an adapter library.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping

FALLBACK = "en"


class CatalogueError(ValueError):
    """A catalogue that cannot serve: no English, a template that does not parse or names
    fields English does not (a translation must take the same values)."""


class Catalogue:
    def __init__(self, texts: Mapping[str, Mapping[str, str]]) -> None:
        if FALLBACK not in texts:
            raise CatalogueError(f"the catalogue has no {FALLBACK!r} texts to fall back on")
        self._texts = {lang: dict(entries) for lang, entries in texts.items()}
        for lang, entries in self._texts.items():
            _check(lang, entries, self._texts[FALLBACK])

    @property
    def languages(self) -> frozenset[str]:
        return frozenset(self._texts)

    def keys(self, lang: str) -> frozenset[str]:
        """The texts `lang` has of its own."""
        return frozenset(self._texts.get(lang, ()))

    def speaks(self, tag: str) -> bool:
        return primary(tag) in self._texts

    def choose(self, tags: Iterable[str], default: str) -> str:
        """The first of `tags` (language tags, best first) the catalogue speaks, else
        `default` (the site's language) when it does, else English."""
        for tag in tags:
            if self.speaks(tag):
                return primary(tag)
        return primary(default) if self.speaks(default) else FALLBACK

    def text(self, lang: str, key: str, **values: object) -> str:
        """The text `key` in `lang` (English where `lang` lacks it), filled with `values`;
        KeyError for a key English does not have."""
        entries = self._texts.get(primary(lang), {})
        template = entries.get(key)
        if template is None:
            template = self._texts[FALLBACK][key]
        return template.format(**values)


def primary(tag: str) -> str:
    """A language tag's primary subtag, lower case: "pt-BR" -> "pt"."""
    return tag.split("-", 1)[0].strip().lower()


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def _check(lang: str, entries: Mapping[str, str], english: Mapping[str, str]) -> None:
    for key, template in entries.items():
        try:
            named = _fields(template)
        except ValueError as exc:
            raise CatalogueError(f"{lang}: {key}: {exc}") from None
        if key not in english:
            raise CatalogueError(f"{lang}: {key}: not a text English has")
        if named != _fields(english[key]):
            raise CatalogueError(
                f"{lang}: {key}: takes {sorted(named)}, English {sorted(_fields(english[key]))}"
            )
