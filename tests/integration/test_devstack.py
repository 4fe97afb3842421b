"""The devstack servers really work: XMPP logins, messages, the component handshake, restarts."""

import asyncio
import socket
import subprocess
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import astuple
from pathlib import Path
from typing import TypeVar

import aiomysql
import pytest
from slixmpp import JID, ClientXMPP, ComponentXMPP

from devstack import Ejabberd, EjabberdPorts, MariaDB
from tests.integration.clients import Client

pytestmark = pytest.mark.integration

T = TypeVar("T")
NO_TLS = {"feature_mechanisms": {"unencrypted_plain": True, "unencrypted_scram": True}}


def settle(future: asyncio.Future[T], outcome: T | Exception) -> None:
    """Complete `future` with `outcome` unless it is already done."""
    if future.done():
        return
    if isinstance(outcome, Exception):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)


@asynccontextmanager
async def client(server: Ejabberd, user: str, password: str) -> AsyncIterator[ClientXMPP]:
    """A logged-in, available c2s client; disconnected on exit."""
    xmpp = ClientXMPP(f"{user}@{server.domain}/test", password, plugin_config=NO_TLS)
    xmpp.enable_direct_tls = False
    started: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    xmpp.add_event_handler("session_start", lambda _: settle(started, None))
    xmpp.add_event_handler("failed_all_auth", lambda _: settle(started, PermissionError(user)))
    xmpp.connect(server.host, server.c2s_port)
    try:
        await asyncio.wait_for(started, 10)
        xmpp.send_presence()
        yield xmpp
    finally:
        await xmpp.disconnect()


def next_message(xmpp: ClientXMPP | ComponentXMPP) -> asyncio.Future[str]:
    """A future for the body of the next message `xmpp` receives."""
    received: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    xmpp.add_event_handler("message", lambda msg: settle(received, str(msg["body"])))
    return received


def register_pair(server: Ejabberd) -> tuple[str, str]:
    """Two fresh users (password 'secret') registered through the HTTP API."""
    names = (f"a{uuid.uuid4().hex[:8]}", f"b{uuid.uuid4().hex[:8]}")
    for name in names:
        server.register_user(name, "secret")
    return names


async def exchange_message(server: Ejabberd, sender: str, recipient: str) -> None:
    async with client(server, recipient, "secret") as bob, client(server, sender, "secret") as al:
        received = next_message(bob)
        al.send_message(mto=JID(f"{recipient}@{server.domain}"), mbody="hello", mtype="chat")
        assert await asyncio.wait_for(received, 10) == "hello"


async def test_registered_users_log_in_and_exchange_a_message(ejabberd: Ejabberd) -> None:
    await exchange_message(ejabberd, *register_pair(ejabberd))


async def test_wrong_password_is_refused(ejabberd: Ejabberd) -> None:
    user, _ = register_pair(ejabberd)
    with pytest.raises(PermissionError):
        async with client(ejabberd, user, "wrong"):
            pass


def test_registering_a_user_twice_needs_exist_ok(ejabberd: Ejabberd) -> None:
    user, _ = register_pair(ejabberd)
    ejabberd.register_user(user, "secret", exist_ok=True)
    with pytest.raises(RuntimeError, match="already registered"):
        ejabberd.register_user(user, "secret")


async def test_component_handshakes_and_receives_a_client_message(ejabberd: Ejabberd) -> None:
    component = ComponentXMPP(  # type: ignore[no-untyped-call]
        ejabberd.component_domain, ejabberd.component_secret, ejabberd.host, ejabberd.component_port
    )
    started: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    component.add_event_handler("session_start", lambda _: settle(started, None))
    received = next_message(component)
    component.connect()
    try:
        await asyncio.wait_for(started, 10)
        user, _ = register_pair(ejabberd)
        async with client(ejabberd, user, "secret") as visitor:
            visitor.send_message(mto=JID(f"desk@{ejabberd.component_domain}"), mbody="help")
            assert await asyncio.wait_for(received, 10) == "help"
    finally:
        await component.disconnect()


async def test_users_log_in_again_after_an_ejabberd_restart(ejabberd: Ejabberd) -> None:
    sender, recipient = register_pair(ejabberd)
    ports = ejabberd.ports
    ejabberd.restart()
    assert ejabberd.ports == ports
    await exchange_message(ejabberd, sender, recipient)


def test_a_second_ejabberd_runs_beside_and_a_port_clash_fails_fast(
    ejabberd: Ejabberd, stack_dir: Path
) -> None:
    beside = Ejabberd()
    beside.start(stack_dir / "ejabberd-beside", component_secret="other")
    try:
        assert beside.running() and ejabberd.running()
        assert set(astuple(beside.ports)).isdisjoint(astuple(ejabberd.ports))
    finally:
        beside.stop()
    assert not beside.running()
    clash = EjabberdPorts.free()
    clash = EjabberdPorts(ejabberd.c2s_port, clash.component, clash.http, clash.dist)
    with pytest.raises(RuntimeError, match="did not start"):
        beside.start(stack_dir / "ejabberd-clash", ports=clash)
    assert not beside.running()


async def test_mariadb_keeps_data_across_a_restart(mariadb: MariaDB) -> None:
    mariadb.create_database("devstack_check", "devstack_user", "pa'ss")
    login = {"host": mariadb.host, "port": mariadb.port, "db": "devstack_check"}
    login |= {"user": "devstack_user", "password": "pa'ss", "autocommit": True}
    try:
        conn = await aiomysql.connect(**login)
        async with conn.cursor() as cur:
            await cur.execute("CREATE TABLE note (id INT PRIMARY KEY, body TEXT)")
            await cur.execute("INSERT INTO note VALUES (1, %s)", ("héllo 👋",))
        conn.close()
        mariadb.restart()
        conn = await aiomysql.connect(**login)
        async with conn.cursor() as cur:
            await cur.execute("SELECT body FROM note")
            assert await cur.fetchall() == (("héllo 👋",),)
        conn.close()
    finally:
        mariadb.drop_database("devstack_check")


def test_mariadb_port_clash_fails_fast_with_the_error_log(
    mariadb: MariaDB, stack_dir: Path
) -> None:
    other = MariaDB()
    with pytest.raises(RuntimeError, match=r"(?s)did not start.*Bind on TCP/IP port"):
        other.start(stack_dir / "mariadb-clash", port=mariadb.port)
    assert not other.running()


def stream_features(server: Ejabberd) -> str:
    """What c2s offers a new client stream, before any login."""
    with socket.create_connection((server.host, server.c2s_port), timeout=5) as sock:
        sock.sendall(
            b"<?xml version='1.0'?><stream:stream to='localhost' xmlns='jabber:client'"
            b" xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"
        )
        data = b""
        while b"</stream:features>" not in data:
            chunk = sock.recv(4096)
            assert chunk, f"stream closed: {data!r}"
            data += chunk
    return data.decode()


def test_c2s_is_plain_by_default_and_offers_starttls_with_tls(
    ejabberd: Ejabberd, ejabberd_tls: Ejabberd
) -> None:
    assert "starttls" not in stream_features(ejabberd)
    assert "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>" in stream_features(ejabberd_tls)
    names = subprocess.run(
        ["openssl", "x509", "-noout", "-ext", "subjectAltName", "-in", str(ejabberd_tls.cert_file)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "DNS:localhost, DNS:*.localhost" in names


async def test_a_client_trusting_the_certificate_logs_in_over_starttls(
    ejabberd_tls: Ejabberd,
) -> None:
    user, _ = register_pair(ejabberd_tls)
    host, port = ejabberd_tls.host, ejabberd_tls.c2s_port
    client = Client(f"{user}@localhost", "secret", host, port, ejabberd_tls.cert_file)
    await client.start()
    try:
        assert client.xmpp.transport.get_extra_info("ssl_object") is not None
    finally:
        await client.stop()
