"""The webhook half of the outbox benchmark: what the stored outbox costs against sending directly,
and what deliveries waiting for a dead receiver cost the chat relay.

1. Webhook deliveries per second to a local aiohttp receiver (its own process), through the
   outbox as HelperChat runs it (records appended to the archive writer, stored in MariaDB, read
   by the drainer, POSTed signed by the webhook client, results stored), against a direct send:
   the same client POSTing each item, with the same limit of deliveries in flight to one
   receiver, nothing stored. Alternating rounds, same run. Twice: against a receiver that
   answers at once (the outbox's own CPU cost shows: a few database round trips and rows per
   delivery), and against one that takes RECEIVER_MS to answer, as a fast real receiver does
   (then what the receiver takes decides, as in production).
2. Chat relay throughput (`helperchat run` over ejabberd, as bench/relay.py measures it) with
   1,000 deliveries due to a dead receiver (a closed port) at the start of each round, against
   none. Alternating rounds, same run.

    python bench/outbox_webhooks.py [--deliveries 3000] [--messages 3000] [--rounds 3] [--quick]

bench/outbox.py runs it beside the mail half (`outbox_webhooks.main(argv)`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiohttp import web

from bench import relay
from component.archive import ArchiveWriter
from component.config import MysqlConfig, WebhooksConfig
from component.deliveries import AttemptResult, DueDelivery, Outcome
from component.metrics import Metrics
from component.records import DeliveryQueued
from component.storage import Database, open_database
from component.storage.archive import ArchiveRepository
from component.storage.deliveries import DeliveryRepository
from component.storage.schema import init_schema
from component.storage.webhooks import WebhookRepository
from component.webhook_events import EVENTS
from component.webhook_payloads import envelope
from component.webhook_runtime import drainer_settings, retry_policy
from component.webhooks.client import WebhookClient
from component.webhooks.drainer import DeliveryDrainer
from devstack import Ejabberd, MariaDB
from devstack.ports import free_port
from tests.integration.clients import Client

CONFIG = WebhooksConfig(allow_private_addresses=True)  # the defaults; the receiver is local
PENDING = 1000
RECEIVER_MS = 5  # the slower receiver's answer time (real ones on the internet: 20-300 ms)
SLOW_DELIVERIES = 1000  # at most, against the slower receiver (2 at once: ~400/s)
SAMPLE_DATA = {
    "chat": {
        "id": "acme.7",
        "number": 7,
        "opened_at": "2026-12-07T12:39:19.123456Z",
        "visitor": {"kind": "xmpp", "name": "Vera", "jid": "vera@example.org"},
    },
    "operator": {"id": 11, "name": "Alice"},
    "operator_online": True,
}


# --- the receiver, in a process of its own --------------------------------------------------------


def serve_receiver(port: int, answer_ms: int) -> None:
    async def take(request: web.Request) -> web.Response:
        await request.read()
        if answer_ms:
            await asyncio.sleep(answer_ms / 1000)
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/in", take)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def start_receiver(answer_ms: int = 0) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [sys.executable, __file__, "--serve-receiver", str(port), str(answer_ms)]
    process = subprocess.Popen(command)
    deadline = time.monotonic() + 15
    while not _accepts(port):
        if time.monotonic() > deadline:
            raise RuntimeError("the receiver did not start")
        time.sleep(0.05)
    return process, f"http://127.0.0.1:{port}/in"


def _accepts(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


# --- 1. outbox against direct ---------------------------------------------------------------------


class CountingStore(DeliveryRepository):
    """The drainer's store, telling when `expected` deliveries were stored delivered."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self.delivered = 0
        self.expected = 0
        self.done = asyncio.Event()

    async def save(self, results: Sequence[AttemptResult]) -> None:
        await super().save(results)
        self.delivered += sum(1 for r in results if r.outcome is Outcome.DELIVERED)
        if self.expected and self.delivered >= self.expected:
            self.done.set()


def bodies(count: int) -> list[tuple[str, str]]:
    out = []
    for _ in range(count):
        delivery_id = str(uuid.uuid4())
        out.append((delivery_id, envelope(delivery_id, "chat.assigned", "acme", 0.0, SAMPLE_DATA)))
    return out


async def direct(client: WebhookClient, url: str, count: int) -> float:
    """Deliveries per second: each POSTed by the client, as many at once as to one receiver."""
    items = [
        DueDelivery(i, d, 1, 1, "chat.assigned", body, 0.0, 0, url, "secret")
        for i, (d, body) in enumerate(bodies(count))
    ]
    queue = iter(items)

    async def worker() -> None:
        for item in queue:
            attempt = await client.post(item, time.time())
            assert attempt.delivered, attempt

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONFIG.max_in_flight_per_receiver)))
    return count / (time.perf_counter() - start)


async def outbox(writer: ArchiveWriter, store: CountingStore, site: int, count: int) -> float:
    """Deliveries per second: appended as the desk appends them, until all stored delivered."""
    store.done.clear()
    store.expected = store.delivered + count
    made = time.time()
    records = [DeliveryQueued(d, site, 1, "chat.assigned", b, made) for d, b in bodies(count)]
    start = time.perf_counter()
    for record in records:
        writer.add_record(record)
    await asyncio.wait_for(store.done.wait(), 600)
    return count / (time.perf_counter() - start)


class Cpu:
    """CPU seconds of this process and of the database server, per delivery, over a round."""

    def __init__(self, db_pid: int) -> None:
        self._db_pid = db_pid
        self.own: list[float] = []
        self.db: list[float] = []

    def _now(self) -> tuple[float, float]:
        fields = Path(f"/proc/{self._db_pid}/stat").read_text().rsplit(")", 1)[1].split()
        db = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return time.process_time(), db

    async def measure(self, count: int, round_: Awaitable[float]) -> float:
        own, db = self._now()
        rate = await round_
        own_after, db_after = self._now()
        self.own.append((own_after - own) / count * 1e6)
        self.db.append((db_after - db) / count * 1e6)
        return rate


async def outbox_against_direct(
    mysql: MysqlConfig, url: str, count: int, rounds: int, db_pid: int, answer_ms: int = 0
) -> list[str]:
    db = await open_database(mysql)
    await init_schema(db)
    site = (await db.fetch_all("SELECT id FROM sites WHERE slug = 'acme'"))[0][0]
    if await db.fetch_all("SELECT 1 FROM webhooks WHERE site_id = %s", (site,)):
        await db.execute("UPDATE webhooks SET url = %s WHERE site_id = %s", (url, site))
    else:
        await WebhookRepository(db).add_webhook(site, url, "secret", EVENTS)
    writer = ArchiveWriter(
        ArchiveRepository(db), flush_interval=0.05, batch_size=500, retry_max_delay=5.0
    )
    store = CountingStore(db)
    client = WebhookClient(
        timeout=CONFIG.timeout,
        allow_private=True,
        max_connections=CONFIG.max_in_flight,
    )
    await client.start()
    drainer = DeliveryDrainer(
        store, client, retry_policy(CONFIG), drainer_settings(CONFIG), Metrics(),
        clock=time.time, rng=random.Random(),
    )  # fmt: skip
    writer.on_stored(drainer.on_stored)
    writer.start()
    drainer.start()
    direct_rates, outbox_rates = [], []
    direct_cpu, outbox_cpu = Cpu(db_pid), Cpu(db_pid)
    try:
        await direct(client, url, min(count, 200))  # warm up both paths
        await outbox(writer, store, site, min(count, 200))
        for _ in range(rounds):
            direct_rates.append(await direct_cpu.measure(count, direct(client, url, count)))
            sent = outbox(writer, store, site, count)
            outbox_rates.append(await outbox_cpu.measure(count, sent))
    finally:
        await drainer.stop()
        await client.close()
        await writer.close()
        await db.close()
    direct_rate, outbox_rate = statistics.median(direct_rates), statistics.median(outbox_rates)
    per = CONFIG.max_in_flight_per_receiver
    answers = f"answering in {answer_ms} ms" if answer_ms else "answering at once"
    return [
        f"webhook deliveries per round: {count}, rounds: {rounds} (median shown), receiver"
        f" {answers}",
        f"direct send (one POST each, {per} at once):  {direct_rate:8.0f} /s  {fmt(direct_rates)}",
        f"through the stored outbox:             {outbox_rate:8.0f} /s  {fmt(outbox_rates)}",
        f"ratio outbox / direct:                 {outbox_rate / direct_rate:8.2f}",
        f"CPU per delivery, direct: {median(direct_cpu.own)} µs here, {median(direct_cpu.db)} µs"
        f" in MariaDB; outbox: {median(outbox_cpu.own)} µs here, {median(outbox_cpu.db)} µs in"
        " MariaDB",
    ]


def median(values: list[float]) -> str:
    return f"{statistics.median(values):.0f}"


# --- 2. the relay with deliveries pending to a dead receiver --------------------------------------


def seed_pending(mariadb: MariaDB, database: str) -> None:
    """PENDING deliveries to webhook 1 of acme (a dead receiver), all delivered for now."""
    mariadb.sql(
        f"INSERT INTO {database}.webhook_deliveries (delivery_id, site_id, webhook_number, event,"
        " body, created_at, next_attempt_at, delivered_at) SELECT UUID(), s.id, 1,"
        " 'chat.assigned', '{}', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)"
        f" FROM {database}.seq_1_to_{PENDING} JOIN {database}.sites s WHERE s.slug = 'acme'"
    )  # MariaDB's sequence engine: one row per number


def set_pending(mariadb: MariaDB, database: str, pending: bool) -> None:
    """All seeded deliveries due now and never tried (pending), or all delivered."""
    done = "NULL" if pending else "UTC_TIMESTAMP(6)"
    mariadb.sql(
        f"UPDATE {database}.webhook_deliveries SET delivered_at = {done}, failed_at = NULL,"
        " attempts = 0, next_attempt_at = UTC_TIMESTAMP(6), created_at = UTC_TIMESTAMP(6)"
        " WHERE event = 'chat.assigned'"
    )


async def relay_round(
    config: Path, visitor: Client, operator: Client, domain: str, count: int
) -> float:
    run = subprocess.Popen(
        [sys.executable, "-m", "component", "-c", str(config), "run"], cwd=relay.ROOT
    )
    try:
        await relay.wait_ready(visitor, operator, f"acme@{domain}", f"acme.1@{domain}", "hello")
        return await relay.measure(visitor, operator, f"acme@{domain}", f"acme.1@{domain}", count)
    finally:
        run.terminate()
        run.wait()


async def relay_with_pending(messages: int, rounds: int) -> list[str]:
    base = Path(tempfile.mkdtemp(prefix="helperchat-bench-"))
    base.chmod(0o755)
    ejabberd, mariadb = Ejabberd(), MariaDB()
    ejabberd.start(base / "ejabberd")
    mariadb.start(base / "mariadb")
    try:
        for user in ("visitor", "operator"):
            ejabberd.register_user(user, "pw", exist_ok=True)
        mariadb.create_database("bench", "bench", "benchpw")
        config = base / "config.yaml"
        relay.write_config(config, ejabberd, mariadb, "bench", "benchpw")
        with config.open("a", encoding="utf-8") as extra:
            extra.write("webhooks: {allow_private_addresses: true}\n")  # dead, not refused
        relay.helperchat(config, "db", "init")
        relay.helperchat(config, "site", "add", "acme", "--name", "Acme")
        relay.helperchat(config, "operator", "add", "acme", "operator@localhost", "--name", "Op")
        dead = f"http://127.0.0.1:{free_port()}/in"  # nothing listens there
        relay.helperchat(config, "webhook", "add", "acme", dead, "--events", "operator.offline")
        seed_pending(mariadb, "bench")
        visitor = await Client("visitor@localhost", "pw", "127.0.0.1", ejabberd.c2s_port).start()
        operator = await Client("operator@localhost", "pw", "127.0.0.1", ejabberd.c2s_port).start()
        none_rates: list[float] = []
        pending_rates: list[float] = []
        domain = ejabberd.component_domain
        for _ in range(rounds):
            for pending, rates in ((False, none_rates), (True, pending_rates)):
                set_pending(mariadb, "bench", pending)
                rates.append(await relay_round(config, visitor, operator, domain, messages))
        await visitor.stop()
        await operator.stop()
    finally:
        ejabberd.stop()
        mariadb.stop()
    none_rate, pending_rate = statistics.median(none_rates), statistics.median(pending_rates)
    return [
        f"chat relay, messages per round: {messages}, rounds: {rounds} (median shown)",
        f"no deliveries pending:                 {none_rate:8.0f} msg/s  {fmt(none_rates)}",
        f"{PENDING} due to a dead receiver:        {pending_rate:8.0f} msg/s  {fmt(pending_rates)}",
        f"ratio pending / none:                  {pending_rate / none_rate:8.2f}",
    ]


# --- running it -----------------------------------------------------------------------------------


async def bench(deliveries: int, messages: int, rounds: int) -> None:
    base = Path(tempfile.mkdtemp(prefix="helperchat-bench-"))
    base.chmod(0o755)
    mariadb = MariaDB()
    mariadb.start(base / "mariadb")
    receiver, url = start_receiver()
    try:
        mariadb.create_database("outbox", "outbox", "outboxpw")
        mysql = MysqlConfig(
            host="127.0.0.1",
            port=mariadb.port,
            user="outbox",
            password="outboxpw",
            database="outbox",
        )
        db = await open_database(mysql)
        await init_schema(db)
        await db.execute(
            "INSERT INTO sites (slug, name, created_at) VALUES ('acme', 'Acme', UTC_TIMESTAMP(6))"
        )
        await db.close()
        db_pid = int((base / "mariadb" / "mariadbd.pid").read_text())
        for line in await outbox_against_direct(mysql, url, deliveries, rounds, db_pid):
            print(line, flush=True)
        receiver.terminate()
        receiver.wait()
        receiver, url = start_receiver(RECEIVER_MS)
        slow = min(deliveries, SLOW_DELIVERIES)
        for line in await outbox_against_direct(mysql, url, slow, rounds, db_pid, RECEIVER_MS):
            print(line, flush=True)
    finally:
        receiver.terminate()
        receiver.wait()
        mariadb.stop()
    for line in await relay_with_pending(messages, rounds):
        print(line, flush=True)


def fmt(rates: list[float]) -> str:
    return "[" + ", ".join(f"{r:.0f}" for r in rates) + "]"


def main(argv: Sequence[str] | None = None) -> None:
    arguments = sys.argv[1:] if argv is None else list(argv)
    if arguments[:1] == ["--serve-receiver"]:
        serve_receiver(int(arguments[1]), int(arguments[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deliveries", type=int, default=3000)
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="small and one round: the shape only")
    args = parser.parse_args(arguments)
    if args.quick:
        args.deliveries, args.messages, args.rounds = 300, 300, 1
    asyncio.run(bench(args.deliveries, args.messages, args.rounds))


if __name__ == "__main__":
    main()
