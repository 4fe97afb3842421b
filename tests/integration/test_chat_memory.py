"""An open chat's memory, measured from outside `helperchat run` (VmRSS of its own process): an
operator's 20,000 messages of 2 KB into one open chat grow it by a few MB at most; a /transfer
then gives the new operator the whole transcript from the archive, in pages of at most 16 KB, in
order, every message exactly once, and the visitor's next words after the last page."""

from __future__ import annotations

import asyncio
import re
import sys
import urllib.request
from asyncio.subprocess import Process
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import pytest

from component.transcript_pages import MAX_STANZA_BYTES, PAGE_BYTES, escaped_size
from devstack.ports import free_port
from devstack.process import rss_kb
from tests.integration.clients import Client
from tests.integration.helpdesk_fixtures import Desk

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
WARM_UP, MESSAGES, CHARS = 2_000, 20_000, 2048
IN_FLIGHT = 200
GROWTH_LIMIT_KB = 8 * 1024
SETTLE_SECONDS = 2.0
"""After the last message arrived: the archive writes its rows, the allocator settles."""
TIMEOUT = 300.0
LINE = re.compile(r"^\[\d\d:\d\d:\d\d\] (Visitor|Alice): (.*)$")


def write_config(desk: Desk, path: Path, http_port: int) -> Path:
    xmpp, mysql = desk.config.xmpp, desk.config.mysql
    path.write_text(
        f"xmpp: {{component_jid: {xmpp.component_jid}, secret: {xmpp.secret},"
        f" host: {xmpp.host}, port: {xmpp.port}}}\n"
        f"mysql: {{host: {mysql.host}, port: {mysql.port}, user: {mysql.user},"
        f" password: {mysql.password}, database: {mysql.database}}}\n"
        f"http: {{host: 127.0.0.1, port: {http_port}}}\nlog: {{level: WARNING}}\n",
        encoding="utf-8",
    )
    return path


def healthy(http_port: int) -> bool:
    with suppress(OSError), urllib.request.urlopen(f"http://127.0.0.1:{http_port}/healthz") as r:
        return bool(r.status == 200)
    return False


@asynccontextmanager
async def helperchat_run(desk: Desk, base: Path) -> AsyncIterator[Process]:
    """`helperchat run` in its own process, once /healthz says XMPP and the database are up."""
    http_port = free_port()
    config = write_config(desk, base / "config.yaml", http_port)
    cmd = ["-m", "component", "-c", str(config), "run"]
    process = await asyncio.create_subprocess_exec(sys.executable, *cmd, cwd=ROOT)
    try:
        for _ in range(600):
            assert process.returncode is None, f"helperchat run exited with {process.returncode}"
            if await asyncio.to_thread(healthy, http_port):
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("helperchat run never became healthy")
        yield process
    finally:
        if process.returncode is None:
            process.terminate()
        await asyncio.wait_for(process.wait(), 60)


class Arrivals:
    """Counts a client's messages from one JID, without keeping them."""

    def __init__(self, client: Client, sender: str) -> None:
        self.count, self._sender, self._client = 0, sender, client
        self._changed = asyncio.Event()
        client.xmpp.add_event_handler("message", self._on_message)

    def _on_message(self, msg: Any) -> None:
        if str(msg["from"]).split("/")[0] == self._sender:
            self.count += 1
            self._changed.set()
        self._client.forget_received()

    async def wait(self, count: int) -> None:
        async with asyncio.timeout(TIMEOUT):
            while self.count < count:
                self._changed.clear()
                await self._changed.wait()


@dataclass
class Pages:
    """What the new operator gets from the chat: bodies and stanza sizes, in arrival order."""

    chat_jid: str
    bodies: list[str] = field(default_factory=list)
    stanza_bytes: list[int] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def on_message(self, msg: Any) -> None:
        if str(msg["from"]).split("/")[0] == self.chat_jid:
            self.bodies.append(str(msg["body"]))
            self.stanza_bytes.append(len(str(msg).encode("utf-8")))
            self.arrived.set()

    async def wait_for(self, body: str) -> int:
        async with asyncio.timeout(TIMEOUT):
            while body not in self.bodies:
                self.arrived.clear()
                await self.arrived.wait()
        return self.bodies.index(body)


async def write_paced(
    alice: Client, arrivals: Arrivals, chat_jid: str, tag: str, count: int
) -> None:
    """`count` numbered messages of CHARS characters, at most IN_FLIGHT ahead of the visitor."""
    to, base = quoteattr(chat_jid), arrivals.count
    for start in range(0, count, IN_FLIGHT):
        batch = range(start, min(start + IN_FLIGHT, count))
        for n in batch:
            head = f"{tag} {n:06d} "
            body = escape(head + "x" * (CHARS - len(head)))
            alice.send_raw(f"<message to={to} type='chat'><body>{body}</body></message>")
        await arrivals.wait(base + batch.stop)


async def transfer_to_bob(desk: Desk, alice: Client) -> None:
    """/transfer, asked again until the desk has heard Bob come online."""
    chat_jid = desk.chat_jid(1)
    async with asyncio.timeout(30):
        while True:
            alice.send(chat_jid, "/transfer Bob")
            reply = await alice.expect_from(chat_jid, "Bob")
            if "moved to Bob" in reply.body:
                return
            await asyncio.sleep(0.2)


def spoken_lines(pages: list[str]) -> list[str]:
    """The visitor's and Alice's lines of the transcript (system notices left out)."""
    lines = "\n".join(pages).splitlines()
    return [f"{m[1]}: {m[2][:11]}" for line in lines if (m := LINE.match(line))]


async def test_an_open_chat_stays_small_and_hands_over_its_whole_transcript_in_pages(
    desk: Desk, stack_dir: Path
) -> None:
    alice_jid, bob_jid = desk.user("alice"), desk.user("bob")
    await desk.add_operator("acme", alice_jid, "Alice", priority=10)
    await desk.add_operator("acme", bob_jid, "Bob")
    chat_jid = desk.chat_jid(1)
    base = stack_dir / f"memory-{desk.tag}"
    base.mkdir()
    async with helperchat_run(desk, base) as process:
        alice = await desk.client(alice_jid)
        visitor = await desk.client(desk.user("visitor"))
        visitor.send(desk.desk_jid(), "hello")
        await alice.expect_from(chat_jid, "hello", timeout=30)
        arrivals = Arrivals(visitor, desk.desk_jid())
        await write_paced(alice, arrivals, chat_jid, "warm", WARM_UP)
        await asyncio.sleep(SETTLE_SECONDS)
        before = rss_kb(process.pid)
        await write_paced(alice, arrivals, chat_jid, "bulk", MESSAGES)
        await asyncio.sleep(SETTLE_SECONDS)
        grown = rss_kb(process.pid) - before
        print(f"\nRSS {before / 1024:.1f} MB, + {grown / 1024:.2f} MB for {MESSAGES} messages")
        assert grown < GROWTH_LIMIT_KB

        bob = await desk.client(bob_jid)
        pages = Pages(chat_jid)
        bob.xmpp.add_event_handler("message", pages.on_message)
        await transfer_to_bob(desk, alice)
        visitor.send(desk.desk_jid(), "are you there?")
        last = await pages.wait_for("are you there?")
        print(f"RSS after the transfer ({last} pages): {rss_kb(process.pid) / 1024:.1f} MB")

    transcript = pages.bodies[:last]
    assert last > 100 and pages.bodies[last + 1 :] == []  # the visitor's words after the last page
    assert transcript[0].startswith(f"[transcript, part 1 of {last}]\nChat acme.1 with")
    for part, page in enumerate(transcript, start=1):
        assert page.startswith(f"[transcript, part {part} of {last}]\n")
        assert escaped_size(page) <= PAGE_BYTES
    assert max(pages.stanza_bytes[:last]) <= MAX_STANZA_BYTES
    expected = ["Visitor: hello"]
    expected += [f"Alice: warm {n:06d}" for n in range(WARM_UP)]
    expected += [f"Alice: bulk {n:06d}" for n in range(MESSAGES)]
    assert spoken_lines(transcript) == expected  # in order, every one exactly once
