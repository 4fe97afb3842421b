"""Creates and versions the schema from schema/mysql.sql (and schema/migrations/<n>.sql later)."""

from __future__ import annotations

import time
from pathlib import Path

import pymysql

from component.storage.database import Database, StorageError, to_db_time

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schema"
SCHEMA_VERSION = 1


def split_statements(script: str) -> list[str]:
    """Statements of a schema file: separated by lines holding only ';', comments dropped."""
    lines = [line for line in script.splitlines() if not line.lstrip().startswith("--")]
    chunks = "\n".join(lines).split("\n;")
    return [chunk.strip().rstrip(";").strip() for chunk in chunks if chunk.strip()]


async def current_version(db: Database) -> int | None:
    """The recorded schema version; None for a database without HelperChat tables."""
    tables = await db.fetch_all("SHOW TABLES LIKE %s", ("schema_version",))
    if not tables:
        return None
    rows = await db.fetch_all("SELECT MAX(version) FROM schema_version")
    return int(rows[0][0]) if rows and rows[0][0] is not None else 0


async def init_schema(db: Database) -> str:
    """Create the schema on an empty database; no-op when up to date; refuse a newer one."""
    version = await current_version(db)
    if version == SCHEMA_VERSION:
        return f"schema is up to date (version {SCHEMA_VERSION})"
    if version is not None and version > SCHEMA_VERSION:
        raise StorageError(
            f"database schema version {version} is newer than this HelperChat "
            f"(knows up to {SCHEMA_VERSION}); upgrade HelperChat"
        )
    if version is not None:
        raise StorageError(f"database schema version {version} is unknown; no migration path")
    existing = await db.fetch_all("SHOW TABLES")
    if existing:
        names = ", ".join(str(row[0]) for row in existing)
        raise StorageError(f"database is not empty and has no HelperChat version: {names}")
    await _apply(db, (SCHEMA_DIR / "mysql.sql").read_text(encoding="utf-8"))
    return f"schema created (version {SCHEMA_VERSION})"


async def _apply(db: Database, script: str) -> None:
    async with db.transaction() as cursor:
        try:
            for statement in split_statements(script):
                await cursor.execute(statement)
            await cursor.execute(
                "INSERT INTO schema_version (version, applied_at) VALUES (%s, %s)",
                (SCHEMA_VERSION, to_db_time(time.time())),
            )
        except pymysql.err.MySQLError as exc:
            raise StorageError(f"schema creation failed: {exc}") from exc
