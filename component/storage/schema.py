"""Creates, checks and migrates the database schema (`db init`, `run`, `db migrate`).

`schema_version` gets one row per version applied: `db init` writes the latest full schema and
its version; `db migrate` applies each missing migration and records it. Every function takes
the schema files as a parameter (tests feed their own); by default, the shipped ones.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pymysql

from component.storage.database import Database, StorageError, to_db_time
from component.storage.schema_files import Migration, SchemaFiles, shipped_schema, split_statements

_RECORD = "INSERT INTO schema_version (version, applied_at) VALUES (%s, %s)"


class SchemaMismatch(StorageError):
    """The database's schema is not the one this HelperChat works with (and says what to do)."""


async def current_version(db: Database) -> int | None:
    """The recorded schema version; None without a schema_version table, 0 when it is empty."""
    tables = await db.fetch_all("SHOW TABLES LIKE %s", ("schema_version",))
    if not tables:
        return None
    rows = await db.fetch_all("SELECT MAX(version) FROM schema_version")
    return int(rows[0][0]) if rows and rows[0][0] is not None else 0


async def init_schema(db: Database, schema: SchemaFiles | None = None) -> str:
    """Create the latest schema on an empty database; no-op when up to date; refuse the rest."""
    schema = schema or shipped_schema()
    version = await _version_of(db, schema)
    if version is None:
        await _run_script(
            db, schema.full, schema.version, f"creating schema version {schema.version}"
        )
        return f"schema created (version {schema.version})"
    if version < schema.version:
        raise _older(version, schema)
    return f"schema is up to date (version {schema.version})"


async def migrate_schema(
    db: Database, schema: SchemaFiles | None = None, tell: Callable[[str], None] | None = None
) -> str:
    """Apply the missing migrations in order, telling each one; refuse what cannot be migrated."""
    schema = schema or shipped_schema()
    version = await _version_of(db, schema)
    if version is None:
        raise SchemaMismatch("database has no HelperChat schema yet: run `helperchat db init`")
    if version == schema.version:
        return f"schema is up to date (version {schema.version})"
    for migration in schema.missing_after(version):
        await _apply(db, migration)
        if tell is not None:
            tell(f"applied migration {migration.name} (version {migration.version})")
    return f"schema migrated from version {version} to {schema.version}"


async def require_current_schema(db: Database, schema: SchemaFiles | None = None) -> None:
    """Refuse (SchemaMismatch) unless the database has exactly this HelperChat's schema."""
    schema = schema or shipped_schema()
    version = await _version_of(db, schema)
    if version is None:
        raise SchemaMismatch("database has no HelperChat schema yet: run `helperchat db init`")
    if version < schema.version:
        raise _older(version, schema)


async def _version_of(db: Database, schema: SchemaFiles) -> int | None:
    """The database's version, None when it has no tables at all; refuses foreign and newer."""
    version = await current_version(db)
    if version is None:
        existing = await db.fetch_all("SHOW TABLES")
        if existing:
            names = ", ".join(str(row[0]) for row in existing)
            raise SchemaMismatch(f"database is not empty and has no HelperChat version: {names}")
        return None
    if version == 0:
        raise SchemaMismatch(
            "table schema_version is empty: not a HelperChat database, or a failed `db init`"
        )
    if version > schema.version:
        raise SchemaMismatch(
            f"database schema version {version} is newer than this HelperChat "
            f"(knows up to {schema.version}); upgrade HelperChat"
        )
    return version


def _older(version: int, schema: SchemaFiles) -> SchemaMismatch:
    return SchemaMismatch(
        f"database schema version {version} is older than this HelperChat's "
        f"({schema.version}): run `helperchat db migrate`"
    )


async def _apply(db: Database, migration: Migration) -> None:
    await _run_script(db, migration.script, migration.version, f"migration {migration.name}")


async def _run_script(db: Database, script: str, version: int, what: str) -> None:
    """Run the statements, then record `version`. MySQL commits each schema change at once, so
    a failure leaves the statements before it applied: the error says which.
    """
    statements = split_statements(script)
    async with db.transaction() as cursor:
        for number, statement in enumerate(statements, start=1):
            try:
                await cursor.execute(statement)
            except pymysql.err.MySQLError as exc:
                raise StorageError(_failed(what, number, len(statements), exc)) from exc
        await cursor.execute(_RECORD, (version, to_db_time(time.time())))


def _failed(what: str, number: int, total: int, exc: pymysql.err.MySQLError) -> str:
    done = (
        f"statements 1 to {number - 1} of it stay applied (MySQL commits schema changes at "
        "once): undo them by hand, then run the command again"
        if number > 1
        else "nothing of it was applied"
    )
    return f"{what} failed at statement {number} of {total}: {exc}; {done}"
