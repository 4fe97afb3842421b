"""The catalogue files HelperChat ships: one `<lang>.json` per language, `{key: template}`
(see component/catalogue.py). Read once at start-up by the wiring; a new language is a new file
here (package data), nothing else."""

from __future__ import annotations

import json
from importlib import resources

from component.catalogue import Catalogue, CatalogueError


def shipped_catalogue() -> Catalogue:
    """Every `<lang>.json` of this package, as one Catalogue."""
    texts: dict[str, dict[str, str]] = {}
    for entry in resources.files(__name__).iterdir():
        if entry.name.endswith(".json"):
            lang = entry.name.removesuffix(".json")
            data = json.loads(entry.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in data.items()
            ):
                raise CatalogueError(f"{entry.name}: expected an object of strings")
            texts[lang] = data
    return Catalogue(texts)
