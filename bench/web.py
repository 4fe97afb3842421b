"""Web visitors: relay throughput over the live WebSocket, and the memory of idle widgets.

Both run against a throwaway ejabberd and MariaDB (devstack) and `helperchat run` in its own
process (the XMPP component and its HTTP server in one process, as in production):

1. Throughput: N web chats, each sending M `message` frames over its `live` WebSocket (aiohttp),
   counted on arrival by a slixmpp operator over ejabberd; against N XMPP visitors (slixmpp)
   writing the same N x M messages to the desk JID, through the same HelperChat, rounds
   alternating. Prints both rates (median over the rounds) and the ratio web / XMPP.
2. Idle widgets: a fresh HelperChat; W web chats started by POST (its RSS before and after), then
   a `live` WebSocket per chat that sent its hello (RSS again), then one operator message to each
   chat: KB per chat, KB per open WebSocket, and the time from the first operator message sent to
   the last one a widget received.

The rate limits of the visitor API cannot be turned off; the bench configures them a million per
second, so they never refuse. RLIMIT_NOFILE is raised to its hard limit (both processes need one
descriptor per socket). HELPERCHAT_BENCH_PROFILE=FILE runs the HelperChat of the throughput part
under cProfile.

    python bench/web.py [--quick] [--chats 20] [--messages 250] [--rounds 5] [--widgets 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from xml.sax.saxutils import escape, quoteattr

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp

from component.config import RateLimitsConfig
from devstack import Ejabberd, MariaDB
from devstack.ports import free_port
from devstack.process import rss_kb
from tests.integration.clients import Client

_T = TypeVar("_T")
_R = TypeVar("_R")
ROOT = Path(__file__).resolve().parents[1]
PROFILE = os.environ.get("HELPERCHAT_BENCH_PROFILE", "")
SITE, WIDGET_SITE = "acme", "widgets"
OPERATOR = "operator@localhost"
UNLIMITED = "{count: 1000000, per_seconds: 1}"
RATE_LIMITS = list(RateLimitsConfig().rates())
TIMEOUT = float(os.environ.get("HELPERCHAT_BENCH_TIMEOUT", "300"))
PARALLEL = 100
"""HTTP requests and WebSocket handshakes in flight at once (the server's listen backlog is 128)."""
RATIO_GOAL, RATE_GOAL, KB_PER_WIDGET_GOAL = 0.8, 2000.0, 20.0


@dataclass
class Stack:
    ejabberd: Ejabberd
    mariadb: MariaDB
    config: Path
    http: str
    domain: str
    deflate: bool = True
    """The widgets offer permessage-deflate, as browsers do (aiohttp's client does not unless
    asked); the server accepts it, and its zlib state is most of an open socket's memory."""


class Tally:
    """Counts the messages an operator receives by the first word of their last line (the visitor's
    words; each round has its own)."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.counts: Counter[str] = Counter()
        self._goal: tuple[str, int] | None = None
        self._reached = asyncio.Event()
        client.xmpp.add_event_handler("message", self._on_message)

    def _on_message(self, msg: Any) -> None:
        body = str(msg["body"])
        words = body[body.rfind("\n") + 1 :].split(" ", 1)  # a new chat's header comes first
        if os.environ.get("HELPERCHAT_BENCH_DEBUG"):
            print("operator got", repr(str(msg["body"])[:200]), file=sys.stderr)
        self.counts[words[0]] += 1
        goal = self._goal
        if goal is not None and self.counts[goal[0]] >= goal[1]:
            self._reached.set()
        if len(self.client.pending) > 1000:  # the test client keeps every message; not here
            self.client.forget_received()

    async def wait(self, tag: str, count: int, timeout: float = TIMEOUT) -> None:
        self._goal = (tag, count)
        self._reached.clear()
        if self.counts[tag] < count:
            try:
                await asyncio.wait_for(self._reached.wait(), timeout)
            except TimeoutError:
                got = self.counts[tag]
                raise RuntimeError(f"{self.client.jid}: {got} of {count} {tag!r} arrived") from None
        self._goal = None


# --- the stack and HelperChat ------------------------------------------------------------------


def write_config(stack_dir: Path, ejabberd: Ejabberd, mariadb: MariaDB, http_port: int) -> Path:
    limits = ", ".join(f"{name}: {UNLIMITED}" for name in RATE_LIMITS)  # every one of them
    config = stack_dir / "config.yaml"
    config.write_text(
        "limits: {max_open_chats_per_site: 1000000}\n"  # 10,000 widgets' chats on one site
        f"xmpp: {{component_jid: {ejabberd.component_domain}, secret: {ejabberd.component_secret},"
        f" host: 127.0.0.1, port: {ejabberd.component_port}}}\n"
        f"mysql: {{host: 127.0.0.1, port: {mariadb.port}, user: bench, password: benchpw,"
        " database: bench}\nlog: {level: WARNING}\n"
        f"http: {{host: 127.0.0.1, port: {http_port}, rate_limits: {{{limits}}},"
        " max_connections_per_ip: 1000000}\n"  # every widget comes from this one address
        f"archive: {{spool_dir: {stack_dir / 'spool'}}}\n",
        encoding="utf-8",
    )
    return config


def helperchat(config: Path, *args: str) -> None:
    cmd = [sys.executable, "-m", "component", "-c", str(config), *args]
    subprocess.run(cmd, check=True, cwd=ROOT, capture_output=True)


async def start_helperchat(stack: Stack, profile: str = "") -> subprocess.Popen[bytes]:
    """`helperchat run` in its own process, returned once /healthz says XMPP and database are up."""
    profiling = ["-m", "cProfile", "-o", profile] if profile else []
    cmd = [sys.executable, *profiling, "-m", "component", "-c", str(stack.config), "run"]
    process = subprocess.Popen(cmd, cwd=ROOT)
    async with aiohttp.ClientSession() as session:
        for _ in range(300):
            if process.poll() is not None:
                raise RuntimeError(f"helperchat run exited with {process.returncode}")
            try:
                async with session.get(f"{stack.http}/healthz") as answer:
                    if answer.status == 200:
                        return process
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    process.terminate()
    raise RuntimeError("helperchat never became healthy")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=60)


def raise_file_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


# --- web visitors --------------------------------------------------------------------------------


@dataclass
class WebChat:
    chat: str
    token: str


async def each(job: Callable[[_T], Awaitable[_R]], items: list[_T], parallel: int) -> list[_R]:
    """`job` on every item, at most `parallel` at once; the results in order."""
    gate = asyncio.Semaphore(parallel)

    async def run(item: _T) -> _R:
        async with gate:
            return await job(item)

    return await asyncio.gather(*(run(item) for item in items))


async def start_chats(
    session: aiohttp.ClientSession, http: str, slug: str, texts: list[str]
) -> list[WebChat]:
    async def start(text: str) -> WebChat:
        url = f"{http}/api/v1/sites/{slug}/chats"
        async with session.post(url, json={"text": text, "name": "Bench"}) as answer:
            if answer.status != 201:
                raise RuntimeError(f"starting a chat: {answer.status} {await answer.text()}")
            body = await answer.json()
            return WebChat(body["chat"], body["token"])

    return await each(start, texts, PARALLEL)


async def close_chats(session: aiohttp.ClientSession, http: str, chats: list[WebChat]) -> None:
    async def close(chat: WebChat) -> None:
        headers = {"Authorization": f"Bearer {chat.token}"}
        async with session.post(f"{http}/api/v1/chats/{chat.chat}/close", headers=headers):
            pass

    await each(close, chats, PARALLEL)


class Widget:
    """One chat's open `live` WebSocket; counts the operator's messages that reach it."""

    def __init__(self, chat: WebChat) -> None:
        self.chat = chat
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.frames = 0
        self.from_operator = 0
        self.greeted = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None

    async def open(self, session: aiohttp.ClientSession, stack: Stack) -> None:
        url = f"{stack.http}/api/v1/chats/{self.chat.chat}/live"
        self.ws = await session.ws_connect(url, compress=15 if stack.deflate else 0)
        await self.ws.send_str(json.dumps({"type": "hello", "token": self.chat.token, "after": 0}))
        self._reader = asyncio.create_task(self._read(self.ws))
        await asyncio.wait_for(self.greeted.wait(), TIMEOUT)  # the kept first message came back

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for frame in ws:
            if frame.type is not aiohttp.WSMsgType.TEXT:
                break
            self.frames += 1
            self.greeted.set()
            if '"from": "operator"' in frame.data or '"from":"operator"' in frame.data:
                self.from_operator += 1
                on_operator_message()

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)


_operator_messages = [0, 0.0]  # how many reached a widget, when the last one did


def on_operator_message() -> None:
    _operator_messages[0] += 1
    _operator_messages[1] = time.perf_counter()


def http_session(parallel: int = PARALLEL) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=parallel))


# --- 1. throughput ------------------------------------------------------------------------------


async def web_round(stack: Stack, tally: Tally, tag: str, chats: int, messages: int) -> float:
    async with http_session() as session, http_session(0) as sockets:
        started = await start_chats(session, stack.http, SITE, [f"{tag}-start"] * chats)
        await tally.wait(f"{tag}-start", chats)
        widgets = [Widget(chat) for chat in started]
        await asyncio.gather(*(w.open(sockets, stack) for w in widgets))
        frames = [
            [json.dumps({"type": "message", "text": f"{tag} {n} {i}"}) for i in range(messages)]
            for n in range(chats)
        ]

        async def send(widget: Widget, texts: list[str]) -> None:
            assert widget.ws is not None
            for text in texts:
                await widget.ws.send_str(text)

        begin = time.perf_counter()
        await asyncio.gather(*(send(w, f) for w, f in zip(widgets, frames, strict=True)))
        await tally.wait(tag, chats * messages)
        rate = chats * messages / (time.perf_counter() - begin)
        await asyncio.gather(*(w.close() for w in widgets))
        await close_chats(session, stack.http, started)
    return rate


async def xmpp_round(
    stack: Stack, tally: Tally, visitors: list[Client], tag: str, messages: int
) -> float:
    desk = quoteattr(f"{SITE}@{stack.domain}")
    for visitor in visitors:
        visitor.send(f"{SITE}@{stack.domain}", f"{tag}-start")
    await tally.wait(f"{tag}-start", len(visitors))
    stanzas = [
        [
            f"<message to={desk} type='chat'><body>{escape(f'{tag} {n} {i}')}</body></message>"
            for i in range(messages)
        ]
        for n in range(len(visitors))
    ]
    begin = time.perf_counter()
    for i in range(messages):  # interleaved, as the web clients' sends are
        for visitor, mine in zip(visitors, stanzas, strict=True):
            visitor.send_raw(mine[i])
    await tally.wait(tag, len(visitors) * messages)
    return len(visitors) * messages / (time.perf_counter() - begin)


async def throughput(stack: Stack, chats: int, messages: int, rounds: int) -> dict[str, Any]:
    visitors_jids = [f"visitor{n}" for n in range(chats)]
    for user in visitors_jids:
        stack.ejabberd.register_user(user, "pw", exist_ok=True)
    process = await start_helperchat(stack, PROFILE)
    port = stack.ejabberd.c2s_port
    operator = await Client(OPERATOR, "pw", "127.0.0.1", port).start()
    tally = Tally(operator)
    visitors = [
        await Client(f"{user}@localhost", "pw", "127.0.0.1", port).start() for user in visitors_jids
    ]
    try:
        await web_round(stack, tally, "warmweb", chats, 2)  # connections, code paths, chats
        await xmpp_round(stack, tally, visitors, "warmxmpp", 2)
        web, xmpp = [], []
        for r in range(rounds):
            web.append(await web_round(stack, tally, f"web{r}", chats, messages))
            xmpp.append(await xmpp_round(stack, tally, visitors, f"xmpp{r}", messages))
    finally:
        for client in [operator, *visitors]:
            await client.stop()
        stop(process)
    return {"web": web, "xmpp": xmpp}


# --- 2. idle widgets ----------------------------------------------------------------------------


async def idle_widgets(stack: Stack, count: int) -> dict[str, float]:
    process = await start_helperchat(stack)
    operator = await Client(OPERATOR, "pw", "127.0.0.1", stack.ejabberd.c2s_port).start()
    tally = Tally(operator)
    widgets: list[Widget] = []
    try:
        async with http_session() as session, http_session(0) as sockets:
            warm = await start_chats(session, stack.http, WIDGET_SITE, ["warm-up"] * 5)
            warm_widgets = [Widget(chat) for chat in warm]
            await asyncio.gather(*(w.open(sockets, stack) for w in warm_widgets))
            await asyncio.gather(*(w.close() for w in warm_widgets))
            await close_chats(session, stack.http, warm)
            await tally.wait("warm-up", 5)
            await asyncio.sleep(1)
            before = rss_kb(process.pid)
            begin = time.perf_counter()
            started = await start_chats(session, stack.http, WIDGET_SITE, ["idle"] * count)
            chats_seconds = time.perf_counter() - begin
            await tally.wait("idle", count)  # every chat reached the operator: the desk is done
            await asyncio.sleep(1)
            with_chats = rss_kb(process.pid)
            widgets = [Widget(chat) for chat in started]
            begin = time.perf_counter()
            await each(lambda w: w.open(sockets, stack), widgets, PARALLEL)
            sockets_seconds = time.perf_counter() - begin
            await asyncio.sleep(1)
            with_sockets = rss_kb(process.pid)
            deflating = sum(1 for w in widgets if w.ws is not None and w.ws.compress)
            _operator_messages[:] = [0, 0.0]
            first_sent = time.perf_counter()
            for widget in widgets:
                operator.send(f"{widget.chat.chat}@{stack.domain}", "hello from the operator")
            deadline = time.perf_counter() + TIMEOUT
            while _operator_messages[0] < count and time.perf_counter() < deadline:
                await asyncio.sleep(0.01)
            if _operator_messages[0] < count:
                raise RuntimeError(f"{_operator_messages[0]} of {count} operator messages arrived")
            delivery = _operator_messages[1] - first_sent
            after_delivery = rss_kb(process.pid)
            await each(Widget.close, widgets, 1000)
    finally:
        await operator.stop()
        stop(process)
    return {
        "before": before,
        "with_chats": with_chats,
        "with_sockets": with_sockets,
        "after_delivery": after_delivery,
        "deflating": deflating,
        "chats_seconds": chats_seconds,
        "sockets_seconds": sockets_seconds,
        "delivery": delivery,
    }


# --- the run ------------------------------------------------------------------------------------


async def setup(base: Path, ejabberd: Ejabberd, mariadb: MariaDB) -> Stack:
    """The sites, the operator and HelperChat's config and schema on the started servers."""
    ejabberd.register_user("operator", "pw", exist_ok=True)
    mariadb.create_database("bench", "bench", "benchpw")
    http_port = free_port()
    config = write_config(base, ejabberd, mariadb, http_port)
    helperchat(config, "db", "init")
    for slug in (SITE, WIDGET_SITE):
        helperchat(config, "site", "add", slug, "--name", slug.title())
        helperchat(config, "operator", "add", slug, OPERATOR, "--name", "Op")
    return Stack(
        ejabberd, mariadb, config, f"http://127.0.0.1:{http_port}", ejabberd.component_domain
    )


async def bench(chats: int, messages: int, rounds: int, widgets: int, deflate: bool) -> None:
    files = raise_file_limit()
    base = Path(tempfile.mkdtemp(prefix="helperchat-bench-web-"))
    base.chmod(0o755)
    ejabberd, mariadb = Ejabberd(), MariaDB()
    try:  # whatever fails, no server outlives the bench
        ejabberd.start(base / "ejabberd")
        try:
            mariadb.start(base / "mariadb")
            stack = await setup(base, ejabberd, mariadb)
            stack.deflate = deflate
            rates = await throughput(stack, chats, messages, rounds)
            memory = await idle_widgets(stack, widgets)
        finally:
            mariadb.stop()
    finally:
        ejabberd.stop()
    report(chats, messages, rounds, widgets, files, rates, memory)


def report(
    chats: int,
    messages: int,
    rounds: int,
    widgets: int,
    files: int,
    rates: dict[str, list[float]],
    memory: dict[str, float],
) -> None:
    web, xmpp = statistics.median(rates["web"]), statistics.median(rates["xmpp"])
    mb = {name: memory[name] / 1024 for name in ("before", "with_chats", "with_sockets")}
    per_chat = (memory["with_chats"] - memory["before"]) / widgets
    per_socket = (memory["with_sockets"] - memory["with_chats"]) / widgets
    goals = f"goals: >= {RATIO_GOAL}, web >= {RATE_GOAL:.0f} msg/s"
    lines = [
        f"throughput: {chats} chats x {messages} messages, {rounds} rounds (median shown)",
        f"  web visitors (WebSocket):  {web:8.0f} msg/s  {fmt(rates['web'])}",
        f"  XMPP visitors:             {xmpp:8.0f} msg/s  {fmt(rates['xmpp'])}",
        f"  ratio web / XMPP:          {web / xmpp:8.2f}   ({goals})",
        f"idle widgets: {widgets} ({memory['deflating']:.0f} with permessage-deflate),"
        f" RLIMIT_NOFILE {files}, RSS of HelperChat's own process",
        f"  RSS before / with chats / with sockets (MB): {mb['before']:.1f} / "
        f"{mb['with_chats']:.1f} / {mb['with_sockets']:.1f}",
        f"  per chat (no socket):      {per_chat:8.1f} KB   "
        f"({memory['chats_seconds']:.1f} s to start them)",
        f"  per open WebSocket:        {per_socket:8.1f} KB   "
        f"({memory['sockets_seconds']:.1f} s to open them; goal <= {KB_PER_WIDGET_GOAL:.0f} KB)",
        f"  one operator message to each: {memory['delivery']:6.2f} s "
        "from the first sent to the last received",
    ]
    print("\n".join(lines))


def fmt(rates: list[float]) -> str:
    return "[" + ", ".join(f"{r:.0f}" for r in rates) + "]"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, for the smoke test")
    parser.add_argument("--chats", type=int)
    parser.add_argument("--messages", type=int)
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--widgets", type=int)
    parser.add_argument(
        "--no-deflate",
        action="store_true",
        help="widgets do not offer permessage-deflate (browsers do)",
    )
    args = parser.parse_args()
    sizes = (4, 25, 2, 200) if args.quick else (20, 250, 5, 10_000)
    chats, messages, rounds, widgets = (
        given if given is not None else default
        for given, default in zip(
            (args.chats, args.messages, args.rounds, args.widgets), sizes, strict=True
        )
    )
    asyncio.run(bench(chats, messages, rounds, widgets, not args.no_deflate))


if __name__ == "__main__":
    main()
