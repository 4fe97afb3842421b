"""Schema creation and migration on the real MariaDB: `db init` and version 1 plus every migration
give the same tables; a filled version-1 database migrates losing nothing; refusals."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from component.storage import Database, StorageError
from component.storage.schema import (
    SchemaMismatch,
    current_version,
    init_schema,
    migrate_schema,
    require_current_schema,
)
from component.storage.schema_files import SchemaFiles, shipped_schema
from tests.integration.schema_fixtures import V1, V3, NewDatabase, schema_with, table_definitions

pytestmark = pytest.mark.integration

TABLES = ("sites", "operators", "chats", "messages")
EVERY_STEP: tuple[Callable[[Database, SchemaFiles], Awaitable[object]], ...] = (
    init_schema,
    migrate_schema,
    require_current_schema,
)


async def fill_version_1(db: Database) -> None:
    """Two sites, operators, chats in every state and messages, with NULLs, µs and non-ASCII."""
    statements = [
        "INSERT INTO sites VALUES (1, 'acme', 'Acme Inc.', 'priority', 60, 'alice@example.com',"
        " NULL, 3, '2025-01-02 03:04:05.123456')",
        "INSERT INTO sites VALUES (7, 'globex', 'Globex — Straße 😀', 'round_robin', 90, NULL,"
        " 'bob@example.com', 0, '2025-02-03 04:05:06.000001')",
        "INSERT INTO operators VALUES (1, 'alice@example.com', 'Alice', 10, 3, TRUE, TRUE, FALSE,"
        " '2025-01-02 03:04:06.5', NULL, '2025-01-02 03:04:05')",
        "INSERT INTO operators VALUES (7, 'bob@example.com', 'Bób', -5, 0, FALSE, FALSE, TRUE,"
        " NULL, '2025-03-01 00:00:00.999999', '2025-02-03 04:05:07')",
        "INSERT INTO chats VALUES (1, 1, 'visitor@example.org', 'xmpp', 'Visitor', 'closed',"
        " 'alice@example.com', '2025-04-01 10:00:00.1', '2025-04-01 10:00:01.2',"
        " '2025-04-01 10:30:00.3', 'priority: alice (10)')",
        "INSERT INTO chats VALUES (1, 2, 'v2@example.org', 'xmpp', 'Zoë', 'queued', NULL,"
        " '2025-04-02 11:00:00', NULL, NULL, '')",
        "INSERT INTO chats VALUES (7, 1, 'web-1234', 'web', '', 'assigned', 'bob@example.com',"
        " '2025-04-03 12:00:00', '2025-04-03 12:00:05', NULL, 'round robin')",
    ]
    for seq, (site, chat, sender, body) in enumerate(
        [
            (1, 1, "visitor", "hello"),
            (1, 1, "operator", "hi! ¿qué tal? 你好"),
            (1, 1, "visitor", "x" * 70000),
            (1, 2, "visitor", "anyone?\nline two"),
            (7, 1, "visitor", "'; DROP TABLE sites; --"),
        ],
        start=1,
    ):
        statements.append(
            "INSERT INTO messages VALUES"
            f" ({site}, {chat}, {seq}, '2025-04-01 10:00:{seq:02d}.{seq:06d}', '{sender}',"
            f" 'someone@example.org', {quote(body)})"
        )
    for statement in statements:
        await db.execute(statement)


def quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


async def contents(db: Database, columns: dict[str, list[str]]) -> dict[str, list[tuple[object]]]:
    """Every row of TABLES, only the given columns, in primary-key order."""
    return {
        table: await db.fetch_all(f"SELECT {', '.join(columns[table])} FROM {table} ORDER BY 1, 2")
        for table in TABLES
    }


async def column_names(db: Database) -> dict[str, list[str]]:
    return {
        table: [str(row[0]) for row in await db.fetch_all(f"SHOW COLUMNS FROM {table}")]
        for table in TABLES
    }


async def versions(db: Database) -> list[int]:
    return [
        int(row[0]) for row in await db.fetch_all("SELECT version FROM schema_version ORDER BY 1")
    ]


async def test_init_creates_the_latest_schema_and_migrate_then_has_nothing_to_do(
    new_database: NewDatabase,
) -> None:
    db = await new_database()
    assert await current_version(db) is None
    assert await init_schema(db, V3) == "schema created (version 3)"
    assert await versions(db) == [3]
    told: list[str] = []
    assert await migrate_schema(db, V3, told.append) == "schema is up to date (version 3)"
    assert told == []
    assert await init_schema(db, V3) == "schema is up to date (version 3)"
    await require_current_schema(db, V3)


@pytest.mark.parametrize("schema", [shipped_schema(), V3], ids=["shipped", "test-only-v3"])
async def test_init_and_version_1_plus_every_migration_give_identical_tables(
    new_database: NewDatabase, schema: SchemaFiles
) -> None:
    created, migrated = await new_database(), await new_database()
    await init_schema(created, schema)
    await init_schema(migrated, V1)
    await migrate_schema(migrated, schema)
    assert await current_version(migrated) == await current_version(created) == schema.version
    assert await table_definitions(migrated) == await table_definitions(created)
    assert list(await table_definitions(created)) == sorted(
        re.findall(r"CREATE TABLE (\w+)", schema.full)
    )


async def test_a_filled_version_1_database_migrates_losing_nothing(
    new_database: NewDatabase,
) -> None:
    db = await new_database()
    await init_schema(db, V1)
    await fill_version_1(db)
    columns = await column_names(db)
    before = await contents(db, columns)
    told: list[str] = []
    assert await migrate_schema(db, V3, told.append) == "schema migrated from version 1 to 3"
    assert told == [
        "applied migration 002_site_greeting (version 2)",
        "applied migration 003_canned_replies (version 3)",
    ]
    assert await contents(db, columns) == before
    assert await db.fetch_all("SELECT slug, greeting FROM sites ORDER BY id") == [
        ("acme", "Hello!"),
        ("globex", "Hello!"),
    ]
    await db.execute("INSERT INTO canned_replies VALUES (7, 'hi', 'Hello, how can I help?')")
    assert await versions(db) == [1, 2, 3]
    await require_current_schema(db, V3)


async def test_a_filled_version_1_database_takes_the_shipped_migrations_losing_nothing(
    new_database: NewDatabase,
) -> None:
    shipped = shipped_schema()
    db = await new_database()
    await init_schema(db, V1)
    await fill_version_1(db)
    columns = await column_names(db)
    before = await contents(db, columns)
    told: list[str] = []
    done = await migrate_schema(db, shipped, told.append)
    assert done == f"schema migrated from version 1 to {shipped.version}"
    assert len(told) == shipped.version - 1
    assert await contents(db, columns) == before
    assert await versions(db) == list(range(1, shipped.version + 1))
    await require_current_schema(db, shipped)
    ids = await db.fetch_all("SELECT id FROM operators ORDER BY id")  # numbered in place (007)
    assert len(ids) == 2 and all(row[0] > 0 for row in ids) and ids[0] != ids[1]


async def test_a_failing_migration_stops_there_and_says_what_stayed(
    new_database: NewDatabase, tmp_path: Path
) -> None:
    broken = schema_with(
        V3,
        tmp_path,
        **{"003_canned_replies": "CREATE TABLE canned_replies (a INT)\n;\nNOT SQL AT ALL\n;\n"},
    )
    db = await new_database()
    await init_schema(db, V1)
    told: list[str] = []
    with pytest.raises(StorageError) as failed:
        await migrate_schema(db, broken, told.append)
    message = str(failed.value)
    assert "migration 003_canned_replies failed at statement 2 of 2" in message
    assert "statements 1 to 1 of it stay applied" in message
    assert told == ["applied migration 002_site_greeting (version 2)"]
    assert await versions(db) == [1, 2]
    with pytest.raises(SchemaMismatch, match="run `helperchat db migrate`"):
        await require_current_schema(db, broken)
    await db.execute("DROP TABLE canned_replies")
    told.clear()
    await migrate_schema(db, V3, told.append)
    assert told == ["applied migration 003_canned_replies (version 3)"]
    assert await versions(db) == [1, 2, 3]


async def test_a_newer_database_is_refused_everywhere(new_database: NewDatabase) -> None:
    db = await new_database()
    await init_schema(db, V3)
    for step in EVERY_STEP:
        with pytest.raises(SchemaMismatch, match=r"version 3 is newer than this HelperChat"):
            await step(db, V1)
    assert await versions(db) == [3]


async def test_an_older_database_must_be_migrated_first(new_database: NewDatabase) -> None:
    db = await new_database()
    await init_schema(db, V1)
    for step in (init_schema, require_current_schema):
        with pytest.raises(
            SchemaMismatch,
            match=re.escape(
                "database schema version 1 is older than this HelperChat's (3): "
                "run `helperchat db migrate`"
            ),
        ):
            await step(db, V3)
    assert await versions(db) == [1]


async def test_a_database_of_something_else_is_left_alone(new_database: NewDatabase) -> None:
    db = await new_database()
    await db.execute("CREATE TABLE wp_posts (id INT PRIMARY KEY)")
    for step in EVERY_STEP:
        with pytest.raises(
            SchemaMismatch, match="not empty and has no HelperChat version: wp_posts"
        ):
            await step(db, V3)
    assert await db.fetch_all("SHOW TABLES") == [("wp_posts",)]


async def test_an_empty_database_needs_init(new_database: NewDatabase) -> None:
    db = await new_database()
    for step in (migrate_schema, require_current_schema):
        with pytest.raises(
            SchemaMismatch, match="no HelperChat schema yet: run `helperchat db init`"
        ):
            await step(db, V3)
    assert await db.fetch_all("SHOW TABLES") == []


async def test_an_empty_version_table_is_refused(new_database: NewDatabase) -> None:
    db = await new_database()
    await init_schema(db, V1)
    await db.execute("DELETE FROM schema_version")
    for step in EVERY_STEP:
        with pytest.raises(SchemaMismatch, match="schema_version is empty"):
            await step(db, V3)
