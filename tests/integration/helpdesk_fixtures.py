"""A running HelperChat over the real ejabberd and MariaDB, with a site, operators and clients.

Each test gets its own database, its own XMPP accounts and its own component, stopped at the end
(ejabberd would split traffic between a leftover component and the next one).
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from component.admin import Admin
from component.app import Application
from component.config import (
    ArchiveConfig,
    ComponentConfig,
    Config,
    HttpConfig,
    LimitsConfig,
    MysqlConfig,
    RateConfig,
    XmppConfig,
)
from component.desk.helpdesk import HelpDesk
from component.models import Tier
from component.storage import Database, open_database
from component.storage.directory import DirectoryRepository
from component.storage.schema import init_schema
from component.xmpp.jids import normalize_bare_jid
from devstack.ports import free_port
from tests.integration.clients import Client

_counter = itertools.count(1)
MAX_BODY = 2000


@dataclass
class Desk:
    """One test's world: config, database, the running component and helpers to drive it."""

    config: Config
    db: Database
    ejabberd: Any
    mariadb: Any
    tag: str
    app: Application | None = None
    clients: list[Client] = field(default_factory=list)

    @property
    def domain(self) -> str:
        return self.config.xmpp.component_jid

    def desk_jid(self, slug: str = "acme") -> str:
        return f"{slug}@{self.domain}"

    def chat_jid(self, number: int, slug: str = "acme") -> str:
        return f"{slug}.{number}@{self.domain}"

    def user(self, name: str) -> str:
        """A fresh account name for this test (accounts outlive tests in the shared ejabberd)."""
        return f"{name}{self.tag}@{self.ejabberd.domain}"

    @property
    def admin(self) -> Admin:
        """What the command line does, on this test's database."""
        return Admin(DirectoryRepository(self.db), normalize_bare_jid)

    @property
    def service(self) -> HelpDesk:
        assert self.app is not None and self.app.desk is not None
        return self.app.desk

    def set_rate_limits(self, **rates: RateConfig) -> None:
        """These visitor rate limits (the others as they are) for the component started next."""
        http = self.config.http
        limits = replace(http.rate_limits, **rates)
        self.config = replace(self.config, http=replace(http, rate_limits=limits))

    async def start_component(self) -> Application:
        self.app = Application(self.config)
        assert await self.app.start()
        await asyncio.wait_for(self.app.component.connected_event.wait(), 15)
        return self.app

    async def stop_component(self) -> None:
        if self.app is not None:
            await self.app.stop()
            self.app = None

    async def register(self, jid: str) -> None:
        await asyncio.to_thread(
            self.ejabberd.register_user, jid.split("@", maxsplit=1)[0], "secret", True
        )

    async def client(self, jid: str, show: str = "") -> Client:
        await self.register(jid)
        cert = self.ejabberd.cert_file if getattr(self.ejabberd, "tls", False) else None
        client = Client(jid, "secret", self.ejabberd.host, self.ejabberd.c2s_port, cert)
        self.clients.append(client)
        return await client.start(show)

    async def add_operator(
        self, slug: str, jid: str, name: str, priority: int = 0, max_chats: int = 0
    ) -> None:
        """Add an operator whose XMPP account exists (as it does for real operators)."""
        await self.register(jid)
        await self.admin.add_operator(slug, jid, name, priority, max_chats, admin=False)

    async def operator_online(self, jid: str, show: str = "") -> Client:
        """Log an operator in and wait until the component sees them online."""
        client = await self.client(jid, show)
        await self.wait_for(lambda: self.service.presence.tier_of(jid) is not Tier.OFFLINE)
        return client

    async def open_chat(self) -> tuple[str, Client, Client]:
        """Operator Alice online, the component running, and chat acme.1 opened by a visitor."""
        alice_jid = self.user("alice")
        await self.add_operator("acme", alice_jid, "Alice")
        await self.start_component()
        alice = await self.operator_online(alice_jid)
        visitor = await self.client(self.user("visitor"))
        visitor.send(self.desk_jid(), "hello")
        await alice.expect_from(self.chat_jid(1), "hello")
        return alice_jid, alice, visitor

    async def wait_for(self, condition: Callable[[], bool], timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError("condition not reached in time")
            await asyncio.sleep(0.05)

    async def rows(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        return await self.db.fetch_all(sql, args)

    async def drop_every_table(self) -> None:
        """An empty database, whatever tables the schema has now (foreign keys between them)."""
        tables = [str(row[0]) for row in await self.rows("SHOW TABLES")]
        async with self.db.transaction() as cursor:
            await cursor.execute("SET FOREIGN_KEY_CHECKS = 0")
            for table in tables:
                await cursor.execute(f"DROP TABLE `{table}`")
            await cursor.execute("SET FOREIGN_KEY_CHECKS = 1")

    async def flush_archive(self) -> None:
        assert self.app is not None and self.app.writer is not None
        await self.app.writer.flush()


def make_config(
    ejabberd: Any, mariadb: Any, database: str, password: str, spool_dir: Path
) -> Config:
    """A test's config, with its own spool directory (never one that other tests share)."""
    return Config(
        xmpp=XmppConfig(
            component_jid=ejabberd.component_domain,
            secret=ejabberd.component_secret,
            host=ejabberd.host,
            port=ejabberd.component_port,
            reconnect_max_delay=2.0,
        ),
        mysql=MysqlConfig(
            host=mariadb.host,
            port=mariadb.port,
            user=database,
            password=password,
            database=database,
            connect_timeout=2.0,
        ),
        archive=ArchiveConfig(
            flush_interval=0.02, batch_size=200, retry_max_delay=0.5, spool_dir=str(spool_dir)
        ),
        limits=LimitsConfig(max_body_chars=MAX_BODY),
        component=ComponentConfig(reload_interval=0.3),
        http=HttpConfig(port=free_port()),  # never the default 8080: tests run side by side
    )


@asynccontextmanager
async def desk_world(xmpp_server: Any, mariadb: Any, tag: str) -> AsyncIterator[Desk]:
    """A fresh database with the schema and site `acme`, on the given XMPP server; cleaned up."""
    database, password = f"hc{tag}", secrets.token_hex(8)
    await asyncio.to_thread(mariadb.create_database, database, database, password)
    spool_dir = Path(tempfile.mkdtemp(prefix="helperchat-spool-"))
    config = make_config(xmpp_server, mariadb, database, password, spool_dir)
    db = await open_database(config.mysql)
    await init_schema(db)
    await Admin(DirectoryRepository(db), normalize_bare_jid).add_site("acme", "Acme Inc.")
    world = Desk(config, db, xmpp_server, mariadb, tag)
    try:
        yield world
    finally:
        for client in world.clients:
            await client.stop()
        await world.stop_component()
        await db.close()
        await asyncio.to_thread(mariadb.drop_database, database)
        shutil.rmtree(spool_dir, ignore_errors=True)


@pytest.fixture
async def desk(ejabberd: Any, mariadb: Any) -> AsyncIterator[Desk]:
    """Schema, site `acme` (Acme Inc.), no operators yet, component not started."""
    async with desk_world(ejabberd, mariadb, f"{next(_counter)}x{secrets.token_hex(2)}") as world:
        yield world


@pytest.fixture
async def tls_desk(ejabberd_tls: Any, mariadb: Any) -> AsyncIterator[Desk]:
    """The same as `desk`, on the ejabberd that offers STARTTLS (third-party clients need it)."""
    tag = f"{next(_counter)}t{secrets.token_hex(2)}"
    async with desk_world(ejabberd_tls, mariadb, tag) as world:
        yield world
