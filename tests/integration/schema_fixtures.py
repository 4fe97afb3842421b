"""Empty databases on the real MariaDB, and the schema files the migration tests use.

`schema_v1.sql` is the schema as version 1 shipped (frozen: never edit it). `schema_v3/` is a
TEST-ONLY version 3 (version 1 plus migrations 002 and 003) that proves the migration machinery.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from component.config import MysqlConfig
from component.storage import Database, open_database
from component.storage.schema_files import SchemaFiles, read_schema

HERE = Path(__file__).resolve().parent
V1 = read_schema(HERE / "schema_v1.sql")
V3 = read_schema(HERE / "schema_v3" / "mysql.sql", HERE / "schema_v3" / "migrations")

_counter = itertools.count(1)

NewDatabase = Callable[[], Awaitable[Database]]


def mysql_config(mariadb: Any, name: str, password: str) -> MysqlConfig:
    return MysqlConfig(
        host=mariadb.host,
        port=mariadb.port,
        user=name,
        password=password,
        database=name,
        connect_timeout=2.0,
    )


@pytest.fixture
async def new_database(mariadb: Any) -> AsyncIterator[NewDatabase]:
    """Makes fresh empty databases (each with its own user); all dropped at the end."""
    opened: list[tuple[str, Database]] = []

    async def make() -> Database:
        name = f"hcs{next(_counter)}x{secrets.token_hex(3)}"
        password = secrets.token_hex(8)
        await asyncio.to_thread(mariadb.create_database, name, name, password)
        db = await open_database(mysql_config(mariadb, name, password))
        opened.append((name, db))
        return db

    yield make
    for name, db in opened:
        await db.close()
        await asyncio.to_thread(mariadb.drop_database, name)


async def table_definitions(db: Database) -> dict[str, str]:
    """`SHOW CREATE TABLE` of every table, AUTO_INCREMENT counters left out."""
    tables = sorted(str(row[0]) for row in await db.fetch_all("SHOW TABLES"))
    definitions = {}
    for table in tables:
        rows = await db.fetch_all(f"SHOW CREATE TABLE `{table}`")
        definitions[table] = " ".join(
            part for part in str(rows[0][1]).split(" ") if not part.startswith("AUTO_INCREMENT=")
        )
    return definitions


def schema_with(base: SchemaFiles, tmp_path: Path, **replaced: str) -> SchemaFiles:
    """A copy of `base`'s files in tmp_path with some migrations' text replaced (by name)."""
    (tmp_path / "migrations").mkdir(exist_ok=True)
    (tmp_path / "mysql.sql").write_text(base.full, encoding="utf-8")
    for migration in base.migrations:
        text = replaced.get(migration.name, migration.script)
        (tmp_path / "migrations" / f"{migration.name}.sql").write_text(text, encoding="utf-8")
    return read_schema(tmp_path / "mysql.sql", tmp_path / "migrations")
