"""The catalogue files HelperChat ships: one `<lang>.json` per language, `{key: template}`
(see component/catalogue.py). A new language is a new file here (package data), nothing else;
read once (the first time it is asked for) and kept."""

from __future__ import annotations

import functools
import json
import re
from importlib import resources
from importlib.resources.abc import Traversable

from component.catalogue import Catalogue, CatalogueError

_LANG_NAME = re.compile(r"[a-z]{2,8}")
"""A catalogue file's name: a primary language subtag in lower case (what visitors' tags match)."""


@functools.cache
def shipped_catalogue() -> Catalogue:
    """Every `<lang>.json` of this package, as one Catalogue."""
    return catalogue_in(resources.files(__name__))


def catalogue_in(folder: Traversable) -> Catalogue:
    """Every `<lang>.json` in `folder` (a package's or a directory's), as one Catalogue;
    CatalogueError for a file not named after a language or not an object of strings, or a
    catalogue that cannot serve."""
    texts: dict[str, dict[str, str]] = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".json"):
            lang = entry.name.removesuffix(".json")
            if not _LANG_NAME.fullmatch(lang):
                raise CatalogueError(f"{entry.name}: name it after a language, like de.json")
            try:
                data = json.loads(entry.read_text(encoding="utf-8"))
            except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
                raise CatalogueError(f"{entry.name}: {exc}") from None
            if not isinstance(data, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in data.items()
            ):
                raise CatalogueError(f"{entry.name}: expected an object of strings")
            texts[lang] = data
    return Catalogue(texts)
