"""Converse.js in Chromium as an operator: logs in over WebSocket, accepts the desk's request,
receives a chat and answers it, and sees the visitor typing. A screenshot per step goes to
test-artifacts/converse/."""

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from component.models import Tier
from devstack.webclient import StaticServer, fetch_converse, write_pages
from tests.integration.clients import Client
from tests.integration.helpdesk_fixtures import Desk
from tests.integration.stack_fixtures import require_or_skip
from tests.integration.thirdparty import ROOT, artifacts_dir

pytestmark = pytest.mark.integration

CACHE = ROOT / ".cache"


@pytest.fixture
def converse_dist() -> Path:
    """Converse.js's dist/ folder, fetched with npm once into .cache/."""
    dist = fetch_converse(CACHE)
    if dist is None:
        require_or_skip("npm is not installed: no Converse.js (run scripts/install-deps)")
    assert dist is not None
    return dist


@dataclass
class Console:
    """One operator's Converse.js page, where its screenshots go, and its script errors."""

    page: Any
    shots: Path | None = None
    """Where `shot` saves screenshots; the test names it (artifacts_dir)."""
    errors: list[str] = field(default_factory=list)

    async def shot(self, name: str) -> None:
        if self.shots is not None:
            await self.page.screenshot(path=self.shots / f"{name}.png")


@pytest.fixture
async def cleo(
    tls_desk: Desk,
    browser: Any,
    converse_dist: Path,
    tmp_path: Path,
) -> AsyncIterator[Console]:
    """Operator Cleo of acme, the component running, her Converse.js page logging her in."""
    jid = tls_desk.user("cleo")
    await tls_desk.add_operator("acme", jid, "Cleo")
    await tls_desk.start_component()
    server = tls_desk.ejabberd
    websocket = f"ws://{server.host}:{server.http_port}/ws"
    write_pages(tmp_path, converse_dist, websocket, {jid: "secret"})
    web = StaticServer(tmp_path).start()
    page = await browser.new_page(viewport={"width": 1100, "height": 700})
    page.set_default_timeout(15_000)
    console = Console(page)
    page.on("pageerror", lambda error: console.errors.append(str(error)))
    try:
        await page.goto(f"{web.url}/{jid.split('@')[0]}.html")
        yield console
    finally:
        await console.shot("last")
        await page.close()
        web.stop()


async def accept_the_desk(desk: Desk, console: Console) -> None:
    """The desk's request shows; Cleo accepts it under a name; the desk sees her online."""
    page = console.page
    request = page.locator(".requesting-xmpp-contact", has_text=desk.desk_jid())
    await request.wait_for(timeout=20_000)
    await console.shot("1-request")
    await request.locator("button.dropdown-toggle").click()
    await request.locator("a.accept-xmpp-request").click()
    modal = page.locator("converse-accept-contact-request-modal")
    await modal.locator("input[name=name]").fill("Acme desk")
    await console.shot("2-accepting")
    await modal.locator("button[type=submit]").click()
    await page.get_by_text("Successfully accepted the contact request").wait_for()
    await modal.wait_for(state="detached")
    cleo = desk.user("cleo")
    await desk.wait_for(lambda: desk.service.presence.tier_of(cleo) is not Tier.OFFLINE)
    # Converse 14.0.0 does not subscribe back on Accept (its contact.subscribe() is the
    # model's event method): the desk is a contact, but shown without a presence dot.
    await page.locator("a.open-chat", has_text="Acme desk").wait_for()
    await console.shot("3-accepted")


async def open_a_chat(desk: Desk, console: Console) -> Client:
    """A visitor writes; chat acme.1 shows among the new messages; Cleo opens it."""
    visitor = await desk.client(desk.user("visitor"))
    visitor.send(desk.desk_jid(), "Hello from the shop")
    new_chat = console.page.locator(f"a.open-chat[data-jid='{desk.chat_jid(1)}']").first
    await new_chat.wait_for()
    await console.shot("4-new-chat")
    await new_chat.click()
    await console.page.get_by_text("Hello from the shop").first.wait_for()
    await console.shot("5-chat")
    return visitor


async def test_a_converse_operator_accepts_the_desk_and_answers_a_chat(
    tls_desk: Desk, cleo: Console
) -> None:
    cleo.shots = artifacts_dir("converse")
    await accept_the_desk(tls_desk, cleo)
    visitor = await open_a_chat(tls_desk, cleo)
    box = cleo.page.locator(f"converse-chat[jid='{tls_desk.chat_jid(1)}'] textarea.chat-textarea")
    await box.fill("Hello, Cleo here. How can I help?")
    await box.press("Enter")
    await visitor.expect_from(tls_desk.desk_jid(), "Cleo here")  # the visitor talks to the desk
    await cleo.shot("6-answered")
    assert cleo.errors == []


async def test_a_converse_operator_sees_the_visitor_typing(tls_desk: Desk, cleo: Console) -> None:
    cleo.shots = artifacts_dir("converse-typing")
    await accept_the_desk(tls_desk, cleo)
    visitor = await open_a_chat(tls_desk, cleo)
    visitor.send_typing(tls_desk.desk_jid(), "composing")
    await cleo.page.get_by_text("is typing").first.wait_for()
    await cleo.shot("6-typing")
    assert cleo.errors == []
