"""Tests for component/storage/schema_files.py: the shipped schema files agree with each other, and
migrations are read in order, with every gap, duplicate or odd name refused."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from component.storage.schema_files import (
    SchemaFilesError,
    read_schema,
    shipped_schema,
    split_statements,
)

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "schema"
TEST_SCHEMAS = ROOT / "tests" / "integration"
HEADER = "-- HelperChat schema, version {}. MariaDB >= 10.5 / MySQL >= 8.\n"


def test_the_full_schema_says_the_highest_migration_number() -> None:
    numbers = [
        int(path.name[:3])
        for path in (SCHEMA / "migrations").glob("*.sql")
        if path.name[:3].isdigit()
    ]
    header = (SCHEMA / "mysql.sql").read_text(encoding="utf-8").splitlines()[0]
    match = re.fullmatch(r"-- HelperChat schema, version (\d+)\..*", header)
    assert match is not None, header
    assert int(match.group(1)) == max([1, *numbers])


def test_the_shipped_schema_reads_and_is_consistent() -> None:
    schema = shipped_schema()
    assert schema.full == (SCHEMA / "mysql.sql").read_text(encoding="utf-8")
    assert [m.version for m in schema.migrations] == list(range(2, schema.version + 1))
    assert "CREATE TABLE schema_version" in schema.full


def test_the_version_1_copy_is_todays_schema_while_the_schema_is_version_1() -> None:
    """tests/integration/schema_v1.sql stays frozen: migrations are tested from it."""
    v1 = (TEST_SCHEMAS / "schema_v1.sql").read_bytes()
    assert v1.startswith(b"-- HelperChat schema, version 1.")
    if shipped_schema().version == 1:
        assert v1 == (SCHEMA / "mysql.sql").read_bytes()


def test_the_test_only_schema_is_version_3_with_two_migrations() -> None:
    folder = TEST_SCHEMAS / "schema_v3"
    schema = read_schema(folder / "mysql.sql", folder / "migrations")
    assert schema.version == 3
    assert [(m.version, m.name) for m in schema.migrations] == [
        (2, "002_site_greeting"),
        (3, "003_canned_replies"),
    ]
    assert [m.version for m in schema.missing_after(1)] == [2, 3]
    assert [m.version for m in schema.missing_after(2)] == [3]
    assert schema.missing_after(3) == ()


def write_schema(tmp_path: Path, version: int, migrations: dict[str, str]) -> Path:
    (tmp_path / "mysql.sql").write_text(HEADER.format(version) + "SELECT 1\n;\n", encoding="utf-8")
    folder = tmp_path / "migrations"
    folder.mkdir()
    for name, text in migrations.items():
        (folder / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_migrations_come_in_numeric_order_and_other_files_are_ignored(tmp_path: Path) -> None:
    names = {f"{n:03d}_step_{n}.sql": f"SELECT {n}\n;\n" for n in range(2, 12)}
    folder = write_schema(tmp_path, 11, {**names, "README.md": "notes", "notes.txt": ""})
    schema = read_schema(folder / "mysql.sql", folder / "migrations")
    assert [m.version for m in schema.migrations] == list(range(2, 12))
    assert schema.migrations[0].name == "002_step_2"
    assert split_statements(schema.migrations[-1].script) == ["SELECT 11"]


def test_no_migrations_folder_means_version_1(tmp_path: Path) -> None:
    (tmp_path / "mysql.sql").write_text(HEADER.format(1), encoding="utf-8")
    schema = read_schema(tmp_path / "mysql.sql", tmp_path / "missing")
    assert (schema.version, schema.migrations) == (1, ())
    assert read_schema(tmp_path / "mysql.sql").migrations == ()


@pytest.mark.parametrize(
    ("version", "names", "problem"),
    [
        (3, ["002_a.sql", "004_b.sql"], "missing migration 003"),
        (3, ["003_a.sql"], "missing migration 002"),
        (3, ["002_a.sql", "002_b.sql", "003_c.sql"], "two migrations numbered 002"),
        (2, ["002_a.sql", "003_b.sql"], "mysql.sql says version 2, the migrations reach 3"),
        (3, ["002_a.sql"], "mysql.sql says version 3, the migrations reach 2"),
        (2, ["2_a.sql"], "bad migration name 2_a.sql"),
        (2, ["002-a.sql"], "bad migration name 002-a.sql"),
        (2, ["002_A.sql"], "bad migration name 002_A.sql"),
        (2, ["001_a.sql"], "bad migration number 001"),
    ],
)
def test_inconsistent_files_are_refused(
    tmp_path: Path, version: int, names: list[str], problem: str
) -> None:
    folder = write_schema(tmp_path, version, {name: "SELECT 1\n;\n" for name in names})
    with pytest.raises(SchemaFilesError, match=re.escape(problem)):
        read_schema(folder / "mysql.sql", folder / "migrations")


def test_a_full_schema_without_its_version_header_is_refused(tmp_path: Path) -> None:
    (tmp_path / "mysql.sql").write_text("CREATE TABLE t (a INT)\n;\n", encoding="utf-8")
    with pytest.raises(SchemaFilesError, match="first line must be"):
        read_schema(tmp_path / "mysql.sql")


def test_statements_are_split_on_lines_holding_only_a_semicolon() -> None:
    script = (
        "-- a comment\nCREATE TABLE a (\n  x INT -- inline\n)\n;\n\nINSERT INTO a VALUES (1);\n;\n"
    )
    assert split_statements(script) == [
        "CREATE TABLE a (\n  x INT -- inline\n)",
        "INSERT INTO a VALUES (1)",
    ]


def test_every_package_of_component_ships() -> None:
    """The package list is explicit (schema/ is mapped into it): a new subpackage must be added."""
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    listed = set(setuptools["setuptools"]["packages"])
    on_disk = {
        ".".join(path.parent.relative_to(ROOT).parts)
        for path in (ROOT / "component").rglob("__init__.py")
    }
    assert on_disk <= listed, f"add to [tool.setuptools] packages: {sorted(on_disk - listed)}"
    mapped = setuptools["setuptools"]["package-dir"]
    assert mapped == {
        "component.schema": "schema",
        "component.schema.migrations": "schema/migrations",
    }
    for package in listed - on_disk:
        assert (ROOT / mapped[package]).is_dir(), package
