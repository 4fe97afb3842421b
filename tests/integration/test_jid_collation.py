"""JIDs in the database compare as XMPP compares them: exactly, in their normal form."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest

from component.admin import Admin
from component.config import MysqlConfig
from component.storage import Database, open_database
from component.storage.directory import DirectoryRepository, DuplicateError, NotFoundError
from component.storage.schema import init_schema
from component.xmpp.jids import normalize_bare_jid

RENE = "rené@x.test"  # two different XMPP accounts, both in XMPP's normal form
RENE_PLAIN = "rene@x.test"


@pytest.fixture
async def db(mariadb: Any) -> AsyncIterator[Database]:
    """A fresh database with the schema and site `acme` (no XMPP server needed)."""
    name, password = f"hcreview{secrets.token_hex(3)}", secrets.token_hex(8)
    await asyncio.to_thread(mariadb.create_database, name, name, password)
    config = MysqlConfig(
        host=mariadb.host, port=mariadb.port, user=name, password=password, database=name
    )
    database = await open_database(config)
    try:
        await init_schema(database)
        await admin(database).add_site("acme", "Acme Inc.")
        yield database
    finally:
        await database.close()
        await asyncio.to_thread(mariadb.drop_database, name)


def admin(database: Database) -> Admin:
    return Admin(DirectoryRepository(database), normalize_bare_jid)


async def test_removing_an_operator_never_removes_another_jid(db: Database) -> None:
    assert normalize_bare_jid(RENE) != normalize_bare_jid(RENE_PLAIN)
    await admin(db).add_operator("acme", RENE, "René", 0, 0, admin=False)
    with pytest.raises(NotFoundError):
        await admin(db).remove_operator("acme", RENE_PLAIN)
    assert [op.jid for op in await admin(db).list_operators("acme")] == [RENE]


async def test_two_jids_that_differ_by_an_accent_are_two_operators(db: Database) -> None:
    await admin(db).add_operator("acme", RENE, "René", 0, 0, admin=False)
    try:
        await admin(db).add_operator("acme", RENE_PLAIN, "Rene", 0, 0, admin=False)
    except DuplicateError as exc:
        pytest.fail(f"refused: {exc}")
    jids = sorted(op.jid for op in await admin(db).list_operators("acme"))
    assert jids == sorted([RENE, RENE_PLAIN])
