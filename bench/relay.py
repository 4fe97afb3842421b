"""Relay throughput: visitor -> component -> operator over a real ejabberd, messages per second.

Measures HelperChat (`helperchat run`, archive on, in its own process) against a bare slixmpp
component that forwards each message the same way (also in its own process), alternating rounds on
the same throwaway ejabberd and MariaDB, and prints both figures and their ratio. The archive is
checked afterwards: every relayed message must be stored.

    python bench/relay.py [--messages 3000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from slixmpp import ComponentXMPP

from component.config import RateLimitsConfig
from devstack import Ejabberd, MariaDB
from devstack.ports import free_port
from tests.integration.clients import Client

ROOT = Path(__file__).resolve().parents[1]
PROFILE = os.environ.get("HELPERCHAT_BENCH_PROFILE", "")  # a file: cProfile the component
UNLIMITED = "{count: 1000000, per_seconds: 1}"


class EchoRelay(ComponentXMPP):  # type: ignore[misc]
    """The baseline: forwards every message to `relay@D` on to the operator, nothing else."""

    def __init__(self, domain: str, secret: str, port: int, operator: str) -> None:
        super().__init__(domain, secret, "127.0.0.1", port, fix_error_ns=True)
        self.operator = operator
        self.forward_from = f"relay.1@{domain}"
        self.add_event_handler("message", self.on_message)

    def on_message(self, msg: object) -> None:
        self.make_message(
            mto=self.operator,
            mbody=msg["body"],
            mtype="chat",
            mfrom=self.forward_from,  # type: ignore[index]
        ).send()


async def serve_echo(domain: str, secret: str, port: int, operator: str) -> None:
    relay = EchoRelay(domain, secret, port, operator)
    relay.connect()
    await relay.disconnected


async def measure(visitor: Client, operator: Client, to: str, sender: str, count: int) -> float:
    """Messages per second from the first send to the last arrival."""
    operator.forget_received()
    start = time.perf_counter()
    for i in range(count):
        visitor.send(to, f"bench {i}")
    for _ in range(count):
        await operator.expect_from(sender, timeout=120)
    return count / (time.perf_counter() - start)


def write_config(path: Path, ejabberd: Ejabberd, mariadb: MariaDB, db: str, password: str) -> None:
    """The visitor limits are checked for every message but set out of reach: one visitor sending
    thousands of messages at once is the benchmark, not a flood."""
    limits = ", ".join(f"{name}: {UNLIMITED}" for name in RateLimitsConfig().rates())
    path.write_text(
        f"xmpp: {{component_jid: {ejabberd.component_domain}, secret: {ejabberd.component_secret},"
        f" host: 127.0.0.1, port: {ejabberd.component_port}}}\n"
        f"mysql: {{host: 127.0.0.1, port: {mariadb.port}, user: {db}, password: {password},"
        f" database: {db}}}\nlog: {{level: WARNING}}\n"
        f"http: {{port: {free_port()}, rate_limits: {{{limits}}}}}\n"
        f"archive: {{spool_dir: {path.parent / 'spool'}}}\n",
        encoding="utf-8",
    )


def helperchat(config: Path, *args: str) -> None:
    cmd = [sys.executable, "-m", "component", "-c", str(config), *args]
    subprocess.run(cmd, check=True, cwd=ROOT, capture_output=True)


async def wait_ready(visitor: Client, operator: Client, to: str, sender: str, probe: str) -> None:
    """Send until the relay answers (it may still be connecting or subscribing)."""
    for _ in range(100):
        operator.forget_received()
        operator.xmpp.send_presence()
        await asyncio.sleep(0.2)
        visitor.send(to, probe)
        try:
            await operator.expect_from(sender, timeout=1)
            return
        except AssertionError:  # nothing from the relay within a second
            continue
    raise RuntimeError(f"{to} never answered")


async def bench(messages: int, rounds: int) -> None:
    base = Path(tempfile.mkdtemp(prefix="helperchat-bench-"))
    base.chmod(0o755)
    ejabberd, mariadb = Ejabberd(), MariaDB()
    ejabberd.start(base / "ejabberd")
    mariadb.start(base / "mariadb")
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for user in ("visitor", "operator"):
            ejabberd.register_user(user, "pw", exist_ok=True)
        mariadb.create_database("bench", "bench", "benchpw")
        config = base / "config.yaml"
        write_config(config, ejabberd, mariadb, "bench", "benchpw")
        helperchat(config, "db", "init")
        helperchat(config, "site", "add", "acme", "--name", "Acme")
        helperchat(config, "operator", "add", "acme", "operator@localhost", "--name", "Op")
        domain = ejabberd.component_domain
        visitor = await Client("visitor@localhost", "pw", "127.0.0.1", ejabberd.c2s_port).start()
        operator = await Client("operator@localhost", "pw", "127.0.0.1", ejabberd.c2s_port).start()
        echo_args = [domain, ejabberd.component_secret, str(ejabberd.component_port)]
        echo_cmd = [sys.executable, __file__, "--serve-echo", *echo_args, "operator@localhost"]
        echo_rates: list[float] = []
        helper_rates: list[float] = []
        for _ in range(rounds):
            echo = subprocess.Popen(echo_cmd, cwd=ROOT)
            processes.append(echo)
            await wait_ready(visitor, operator, f"relay@{domain}", f"relay.1@{domain}", "warm-up")
            echo_rates.append(
                await measure(visitor, operator, f"relay@{domain}", f"relay.1@{domain}", messages)
            )
            echo.terminate()
            echo.wait()
            profile = ["-m", "cProfile", "-o", PROFILE] if PROFILE else []
            run = subprocess.Popen(
                [sys.executable, *profile, "-m", "component", "-c", str(config), "run"], cwd=ROOT
            )
            processes.append(run)
            await wait_ready(visitor, operator, f"acme@{domain}", f"acme.1@{domain}", "hello")
            helper_rates.append(
                await measure(visitor, operator, f"acme@{domain}", f"acme.1@{domain}", messages)
            )
            run.terminate()
            run.wait()
        stored = mariadb.sql(
            "SELECT COUNT(*) FROM bench.messages WHERE sender = 'visitor' AND body LIKE 'bench %'"
        ).split()[-1]
        echo_rate, helper_rate = statistics.median(echo_rates), statistics.median(helper_rates)
        print(f"messages per round: {messages}, rounds: {rounds} (median shown)")
        print(f"bare slixmpp relay component: {echo_rate:8.0f} msg/s  {fmt(echo_rates)}")
        print(f"HelperChat, archive on:       {helper_rate:8.0f} msg/s  {fmt(helper_rates)}")
        print(f"ratio HelperChat / bare:      {helper_rate / echo_rate:8.2f}")
        print(f"archived bench messages:      {stored} of {messages * rounds} relayed")
        await visitor.stop()
        await operator.stop()
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
                process.wait()
        ejabberd.stop()
        mariadb.stop()


def fmt(rates: list[float]) -> str:
    return "[" + ", ".join(f"{r:.0f}" for r in rates) + "]"


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--serve-echo":
        asyncio.run(serve_echo(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]))
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(bench(args.messages, args.rounds))


if __name__ == "__main__":
    main()
