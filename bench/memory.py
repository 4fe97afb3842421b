"""Memory of open chats: RSS growth per 10,000 messages in one open chat, and per open idle chat.

Runs against a throwaway ejabberd and MariaDB (devstack) and `helperchat run` in its own process
(as in production), reading its RSS from /proc/PID/status (VmRSS):

1. One open chat: an XMPP visitor opens a chat, its operator (never rate-limited) writes W
   messages to warm up, then M more of C characters each; the RSS before and after those M, once
   the visitor received every one and the archive had time to write them. Prints the growth per
   10,000 messages, and against the text relayed (the baseline of this run: what keeping every
   message would cost at least).
2. Idle chats: a fresh HelperChat; V visitor accounts (registered through ejabberd's HTTP API)
   each open one chat at each of S sites (one message per chat, so V x S chats, few messages per
   visitor); the RSS before and after, once the operator received every chat. Prints KB per open
   idle chat.

    python bench/memory.py [--quick] [--messages 20000] [--chars 2048] [--warm-up 2000]
                           [--visitors 200] [--sites 10]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.web import (
    OPERATOR,
    TIMEOUT,
    Stack,
    Tally,
    helperchat,
    raise_file_limit,
    start_helperchat,
    stop,
    write_config,
)
from devstack import Ejabberd, MariaDB
from devstack.ports import free_port
from devstack.process import rss_kb
from tests.integration.clients import Client

CHAT_SITE = "acme"
SETTLE_SECONDS = 2.0
"""After the last message arrived: the archive writes its rows, the allocator settles."""
LOGINS_IN_PARALLEL = 20
IN_FLIGHT = 200
"""Operator messages sent at once, the next ones once the visitor received them."""


@dataclass(frozen=True)
class Sizes:
    messages: int
    chars: int
    warm_up: int
    visitors: int
    sites: int


class Arrivals:
    """Counts the messages a client receives, without keeping them."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.count = 0
        self._goal = 0
        self._reached = asyncio.Event()
        client.xmpp.add_event_handler("message", self._on_message)

    def _on_message(self, _: Any) -> None:
        self.count += 1
        if self.count >= self._goal:
            self._reached.set()
        if len(self.client.pending) > 1000:
            self.client.forget_received()

    async def wait(self, count: int) -> None:
        self._goal = count
        self._reached.clear()
        if self.count < count:
            try:
                await asyncio.wait_for(self._reached.wait(), TIMEOUT)
            except TimeoutError:
                raise RuntimeError(f"{self.count} of {count} messages arrived") from None


def site_slugs(sites: int) -> list[str]:
    return [CHAT_SITE, *(f"idle{n}" for n in range(1, sites))]


# --- 1. one open chat ---------------------------------------------------------------------------


def operator_stanzas(chat_jid: str, tag: str, count: int, chars: int) -> list[str]:
    """`count` messages of `chars` characters each, numbered (the visitor can tell them apart)."""
    to = quoteattr(chat_jid)
    stanzas = []
    for n in range(count):
        head = f"{tag} {n:06d} "
        body = head + "x" * (chars - len(head))
        stanzas.append(f"<message to={to} type='chat'><body>{escape(body)}</body></message>")
    return stanzas


async def write_into_chat(operator: Client, arrivals: Arrivals, stanzas: list[str]) -> None:
    """Send them all, at most IN_FLIGHT ahead of what the visitor received (an operator types: a
    burst of thousands would measure the queues in front of the desk, not what it keeps)."""
    base = arrivals.count
    for sent in range(0, len(stanzas), IN_FLIGHT):
        batch = stanzas[sent : sent + IN_FLIGHT]
        for stanza in batch:
            operator.send_raw(stanza)
        await arrivals.wait(base + sent + len(batch))


async def one_open_chat(stack: Stack, sizes: Sizes) -> dict[str, float]:
    process = await start_helperchat(stack)
    port = stack.ejabberd.c2s_port
    operator = await Client(OPERATOR, "pw", "127.0.0.1", port).start()
    visitor = await Client("visitor0@localhost", "pw", "127.0.0.1", port).start()
    chat_jid = f"{CHAT_SITE}.1@{stack.domain}"
    try:
        tally, arrivals = Tally(operator), Arrivals(visitor)
        visitor.send(f"{CHAT_SITE}@{stack.domain}", "opening the chat")
        await tally.wait("opening", 1)
        warm = operator_stanzas(chat_jid, "warm", sizes.warm_up, sizes.chars)
        await write_into_chat(operator, arrivals, warm)
        await asyncio.sleep(SETTLE_SECONDS)
        before = rss_kb(process.pid)
        stanzas = operator_stanzas(chat_jid, "bulk", sizes.messages, sizes.chars)
        begin = time.perf_counter()
        await write_into_chat(operator, arrivals, stanzas)
        seconds = time.perf_counter() - begin
        del stanzas
        await asyncio.sleep(SETTLE_SECONDS)
        after = rss_kb(process.pid)
        operator.send(chat_jid, "/close")  # the idle part starts from no open chat
        await operator.expect_from(chat_jid, "closed", timeout=TIMEOUT)
    finally:
        await visitor.stop()
        await operator.stop()
        stop(process)
    return {"before": before, "after": after, "seconds": seconds}


# --- 2. idle chats ------------------------------------------------------------------------------


async def log_in(jids: list[str], port: int) -> list[Client]:
    gate = asyncio.Semaphore(LOGINS_IN_PARALLEL)

    async def start(jid: str) -> Client:
        async with gate:
            return await Client(jid, "pw", "127.0.0.1", port).start(timeout=TIMEOUT)

    return list(await asyncio.gather(*(start(jid) for jid in jids)))


async def idle_chats(stack: Stack, sizes: Sizes) -> dict[str, float]:
    process = await start_helperchat(stack)
    port = stack.ejabberd.c2s_port
    operator = await Client(OPERATOR, "pw", "127.0.0.1", port).start()
    visitors: list[Client] = []
    try:
        tally = Tally(operator)
        visitors = await log_in([f"visitor{n}@localhost" for n in range(sizes.visitors)], port)
        warm = visitors[0]
        for slug in site_slugs(sizes.sites)[1:]:  # code paths and the sites' indexes in use
            warm.send(f"{slug}@{stack.domain}", "warm-up")
        await tally.wait("warm-up", sizes.sites - 1)
        await asyncio.sleep(SETTLE_SECONDS)
        before = rss_kb(process.pid)
        count = 0
        for slug in site_slugs(sizes.sites):
            for visitor in visitors[1:] if slug != CHAT_SITE else visitors:
                visitor.send(f"{slug}@{stack.domain}", "idle")
                count += 1
        await tally.wait("idle", count)  # every chat reached the operator: the desk is done
        await asyncio.sleep(SETTLE_SECONDS)
        after = rss_kb(process.pid)
    finally:
        for client in [operator, *visitors]:
            await client.stop()
        stop(process)
    return {"before": before, "after": after, "chats": count}


# --- the run ------------------------------------------------------------------------------------


async def setup(base: Path, ejabberd: Ejabberd, mariadb: MariaDB, sizes: Sizes) -> Stack:
    """The sites, the operator, the visitors' accounts and HelperChat's config and schema."""
    for user in ["operator", *(f"visitor{n}" for n in range(sizes.visitors))]:
        await asyncio.to_thread(ejabberd.register_user, user, "pw", True)
    mariadb.create_database("bench", "bench", "benchpw")
    http_port = free_port()
    config = write_config(base, ejabberd, mariadb, http_port)
    helperchat(config, "db", "init")
    for slug in site_slugs(sizes.sites):
        helperchat(config, "site", "add", slug, "--name", slug.title())
        helperchat(config, "operator", "add", slug, OPERATOR, "--name", "Op")
    return Stack(
        ejabberd, mariadb, config, f"http://127.0.0.1:{http_port}", ejabberd.component_domain
    )


async def bench(sizes: Sizes) -> None:
    raise_file_limit()
    base = Path(tempfile.mkdtemp(prefix="helperchat-bench-memory-"))
    base.chmod(0o755)
    ejabberd, mariadb = Ejabberd(), MariaDB()
    try:  # whatever fails, no server outlives the bench
        ejabberd.start(base / "ejabberd")
        try:
            mariadb.start(base / "mariadb")
            stack = await setup(base, ejabberd, mariadb, sizes)
            chat = await one_open_chat(stack, sizes)
            idle = await idle_chats(stack, sizes)
        finally:
            mariadb.stop()
    finally:
        ejabberd.stop()
        shutil.rmtree(base, ignore_errors=True)
    report(sizes, chat, idle)


def report(sizes: Sizes, chat: dict[str, float], idle: dict[str, float]) -> None:
    grown_mb = (chat["after"] - chat["before"]) / 1024
    per_10k = grown_mb * 10_000 / sizes.messages
    text_mb = sizes.messages * sizes.chars / 1024 / 1024
    per_chat = (idle["after"] - idle["before"]) / idle["chats"]
    lines = [
        f"one open chat: {sizes.messages} operator messages of {sizes.chars} characters"
        f" after {sizes.warm_up} to warm up, RSS of HelperChat's own process",
        f"  RSS before / after (MB):   {chat['before'] / 1024:.1f} / {chat['after'] / 1024:.1f}"
        f"   ({sizes.messages / chat['seconds']:.0f} msg/s)",
        f"  per 10,000 messages:       {per_10k:8.2f} MB",
        f"  kept of the text relayed:  {100 * grown_mb / text_mb:8.1f} %"
        f"   (baseline: {text_mb:.1f} MB of text)",
        f"idle chats: {idle['chats']:.0f} ({sizes.visitors} XMPP visitors x {sizes.sites} sites,"
        " one message each)",
        f"  RSS before / after (MB):   {idle['before'] / 1024:.1f} / {idle['after'] / 1024:.1f}",
        f"  per open idle chat:        {per_chat:8.2f} KB",
    ]
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, for the smoke test")
    parser.add_argument("--messages", type=int)
    parser.add_argument("--chars", type=int)
    parser.add_argument("--warm-up", type=int)
    parser.add_argument("--visitors", type=int)
    parser.add_argument("--sites", type=int)
    args = parser.parse_args()
    defaults = Sizes(2_000, 2048, 200, 20, 5) if args.quick else Sizes(20_000, 2048, 2_000, 200, 10)
    given = {name: getattr(args, name) for name in vars(defaults)}
    sizes = replace(defaults, **{name: value for name, value in given.items() if value is not None})
    asyncio.run(bench(sizes))


if __name__ == "__main__":
    main()
