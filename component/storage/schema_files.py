"""The schema's SQL files: the latest full schema (mysql.sql, its version in its first line) and the
numbered migrations to it (migrations/NNN_name.sql). Reads and checks them; no database here.

Installed, they are package data (`component/schema/`, mapped from the checkout's top-level
`schema/` in pyproject.toml); run from a checkout, they are that `schema/` folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

BASE_VERSION = 1  # what mysql.sql was before migrations existed; migrations start at 002
FULL_SCHEMA = "mysql.sql"
MIGRATIONS = "migrations"
_HEADER = re.compile(r"-- HelperChat schema, version (\d+)\.")
_MIGRATION = re.compile(r"(\d{3})_[a-z0-9_]+\.sql")


class SchemaFilesError(Exception):
    """The schema files contradict each other: a broken checkout or installation."""


@dataclass(frozen=True, slots=True)
class Migration:
    """One step: `script` takes a database from version - 1 to `version`."""

    version: int
    name: str
    script: str


@dataclass(frozen=True, slots=True)
class SchemaFiles:
    """The full schema at `version` and every migration from BASE_VERSION up to it, in order."""

    full: str
    version: int
    migrations: tuple[Migration, ...]

    def missing_after(self, version: int) -> tuple[Migration, ...]:
        """The migrations a database at `version` still needs, in order."""
        return tuple(m for m in self.migrations if m.version > version)


def split_statements(script: str) -> list[str]:
    """Statements of a schema file: separated by lines holding only ';', comments dropped."""
    lines = [line for line in script.splitlines() if not line.lstrip().startswith("--")]
    chunks = "\n".join(lines).split("\n;")
    return [chunk.strip().rstrip(";").strip() for chunk in chunks if chunk.strip()]


def shipped_schema() -> SchemaFiles:
    """The schema this HelperChat was built with."""
    folder = _schema_folder()
    return read_schema(folder / FULL_SCHEMA, folder / MIGRATIONS)


def _schema_folder() -> Traversable:
    """Package data when installed; else the checkout's `schema/` beside the package."""
    packaged = resources.files("component") / "schema"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "schema"


def read_schema(full: Traversable, migrations: Traversable | None = None) -> SchemaFiles:
    """Read a full schema and its migrations folder (none if absent); refuse contradictions."""
    text = full.read_text(encoding="utf-8")
    header = _HEADER.match(text)
    if header is None:
        raise SchemaFilesError(
            f"{full.name}: its first line must be '-- HelperChat schema, version N.'"
        )
    steps = _read_migrations(migrations) if migrations is not None else ()
    reached = steps[-1].version if steps else BASE_VERSION
    if int(header.group(1)) != reached:
        raise SchemaFilesError(
            f"{full.name} says version {header.group(1)}, the migrations reach {reached}"
        )
    return SchemaFiles(full=text, version=reached, migrations=steps)


def _read_migrations(folder: Traversable) -> tuple[Migration, ...]:
    """Every NNN_name.sql of `folder`, numbered BASE_VERSION + 1, + 2, ... without gaps."""
    if not folder.is_dir():
        return ()
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".sql")), key=lambda f: f.name)
    steps = tuple(
        Migration(_number(f.name), f.name.removesuffix(".sql"), f.read_text(encoding="utf-8"))
        for f in files
    )
    for expected, step in enumerate(steps, start=BASE_VERSION + 1):
        if step.version < expected:
            raise SchemaFilesError(f"two migrations numbered {step.version:03d}")
        if step.version > expected:
            raise SchemaFilesError(f"missing migration {expected:03d} (before {step.name})")
    return steps


def _number(name: str) -> int:
    match = _MIGRATION.fullmatch(name)
    if match is None:
        raise SchemaFilesError(f"bad migration name {name}: expected NNN_lowercase_name.sql")
    number = int(match.group(1))
    if number <= BASE_VERSION:
        raise SchemaFilesError(
            f"bad migration number {match.group(1)} in {name}: version {BASE_VERSION} is mysql.sql"
        )
    return number
