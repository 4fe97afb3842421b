"""The demo for real: servers with STARTTLS, accounts, the browser console, what it prints, and a
clean stop. An operator logs in as the printed instructions say and sees the desk."""

import asyncio
import json
import re
import signal
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from devstack.__main__ import _load
from devstack.demo import helperchat
from tests.integration.clients import Client
from tests.integration.stack_fixtures import require_servers
from tests.integration.thirdparty import ROOT, artifacts_dir, require_programs

pytestmark = pytest.mark.integration

READY = "Ctrl-C stops HelperChat"


async def read_until(stream: asyncio.StreamReader, marker: str, timeout: float) -> str:
    """Everything `stream` printed up to and including the line holding `marker`."""
    text = ""
    async with asyncio.timeout(timeout):
        while marker not in text:
            line = await stream.readline()
            if not line:
                raise AssertionError(f"the demo ended before {marker!r}:\n{text}")
            text += line.decode()
    return text


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as answer:
        return str(answer.read().decode())


def seed_cache(base: Path) -> None:
    """Reuse the Converse.js the browser tests fetched, if they did."""
    cached = ROOT / ".cache" / "converse.js-14.0.0"
    if cached.is_dir():
        (base / "cache").mkdir(parents=True)
        (base / "cache" / cached.name).symlink_to(cached)


async def test_the_demo_prints_how_to_connect_serves_the_console_and_stops(
    stack_dir: Path, browser: Any
) -> None:
    require_servers("ejabberdctl", "mariadbd", "mariadb-install-db", "openssl")
    require_programs("npm")
    base = stack_dir / "demo"
    seed_cache(base)
    demo = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "devstack.demo", str(base), "--free-ports"),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert demo.stdout is not None
    try:
        printed = await read_until(demo.stdout, READY, 90)
        stack = json.loads((base / "stack.json").read_text())
        port = stack["c2s_port"]
        assert f"/connect alice@localhost server 127.0.0.1 port {port} tls trust" in printed
        page_url = re.search(r"Alice +(http://\S+/alice\.html)", printed)
        assert page_url is not None, printed
        page = await asyncio.to_thread(fetch, page_url.group(1))
        assert f'"websocket_url": "ws://127.0.0.1:{stack["http_port"]}/ws"' in page
        shop_url = await check_the_shop(printed, base)

        password = json.loads((base / "demo.json").read_text())["alice"]
        cert = base / "ejabberd" / "tls" / "cert.pem"
        alice = await Client("alice@localhost", password, "127.0.0.1", port, cert).start()
        try:
            await wait_for_desk(alice, "demo@helpdesk.localhost")
            await chat_in_the_shop(browser, shop_url, alice)
        finally:
            await alice.stop()
    finally:
        if demo.returncode is None:
            demo.send_signal(signal.SIGTERM)
        rest = await asyncio.wait_for(demo.stdout.read(), 30)
        await asyncio.wait_for(demo.wait(), 30)
    assert "demo: stopping the servers" in rest.decode()
    db, ejabberd, _ = _load(base)
    assert not ejabberd.running() and not db.running()


async def check_the_shop(printed: str, base: Path) -> str:
    """The shop page carries the widget snippet `site show` prints, whose origin may call; its
    URL."""
    shop_url = re.search(r"Demo shop with the chat widget \(be the visitor here\): (\S+)", printed)
    assert shop_url is not None, printed
    shop = await asyncio.to_thread(fetch, shop_url.group(1))
    config = (base / "config.yaml").read_text()
    public_url = re.search(r"public_url: (\S+)", config)
    assert public_url is not None, config
    snippet = f'<script src="{public_url.group(1)}/widget.js" data-site="demo" async></script>'
    assert snippet in shop
    shop_origin = shop_url.group(1).removesuffix("/shop.html")
    site = await asyncio.to_thread(helperchat, base / "config.yaml", "site", "show", "demo")
    assert f"origins: {shop_origin} " in site, site
    return shop_url.group(1)


async def chat_in_the_shop(browser: Any, shop_url: str, alice: Client) -> None:
    """A newcomer's first minute: the widget on the shop page, a question, Alice's answer."""
    page = await browser.new_page(viewport={"width": 1000, "height": 720})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        await page.goto(shop_url)
        widget = page.locator("helperchat-widget")
        await widget.locator(".hc-launcher").click()
        await widget.locator(".hc-status-text").filter(has_text="We're online").wait_for()
        await widget.locator("textarea").fill("Is the Gyokuro in stock?")
        await widget.locator("textarea").press("Enter")
        await alice.expect_from("demo.1@helpdesk.localhost", "Is the Gyokuro in stock?")
        alice.send("demo.1@helpdesk.localhost", "It is, 40 tins.")
        await widget.locator(".hc-from-operator").filter(has_text="It is, 40 tins.").wait_for()
        await page.screenshot(path=str(artifacts_dir("demo") / "shop.png"))
    finally:
        await page.close()
    assert errors == []


async def wait_for_desk(client: Client, desk: str, timeout: float = 20) -> None:
    """The desk shows itself available to Alice, with its queue, without asking for her
    presence: the demo put it into her roster through ejabberd's API."""
    async with asyncio.timeout(timeout):
        while True:
            kinds = {(p["type"], p["status"]) for p in client.presences if p["from"].bare == desk}
            if ("available", "No one waiting") in kinds:
                break
            await asyncio.sleep(0.1)
    assert ("subscribe", "") not in kinds
