"""The chat widget (SPEC §7.2) in Chromium over the real stack: ejabberd, MariaDB, HelperChat's
HTTP side serving widget.js, and a real slixmpp operator. The widget sits on a page served from
another origin (another port), as on a customer's site. A screenshot per state goes to
test-artifacts/widget/; any script error or console error on the page fails the test."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from component.admin import web_changes
from devstack.ports import free_port
from tests.integration.clients import Client
from tests.integration.helpdesk_fixtures import Desk
from tests.integration.thirdparty import ARTIFACTS

pytestmark = pytest.mark.integration

WIDGET = "helperchat-widget"
AVATAR = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">'
    b'<rect width="64" height="64" fill="#fbbf24"/>'
    b'<circle cx="32" cy="25" r="12" fill="#fff"/>'
    b'<path d="M10 60c2-14 12-20 22-20s20 6 22 20z" fill="#fff"/></svg>'
)
HOSTILE_CSS = """
*:not(html):not(body):not(main):not(main *) { display: none !important; }
* { box-sizing: content-box !important; line-height: 0.4 !important;
    letter-spacing: 4px !important; color: red !important; }
div, section, header, form, p, span { font-size: 1px !important; padding: 40px !important; }
button { position: fixed !important; top: 0 !important; left: 0 !important;
         width: 10px !important; height: 10px !important; opacity: 0.1 !important; }
textarea, input { display: none !important; }
helperchat-widget { display: none !important; transform: scale(0) !important; }
"""
BREAK_WEBSOCKETS = """
window.WebSocket = function () {
  var socket = this;
  socket.readyState = 3;
  setTimeout(function () {
    if (socket.onerror) socket.onerror(new Event("error"));
    if (socket.onclose) socket.onclose({ code: 1006, reason: "" });
  }, 10);
};
window.WebSocket.prototype.send = function () { throw new Error("not open"); };
window.WebSocket.prototype.close = function () {};
"""


def shots_dir() -> Path:
    path = ARTIFACTS / "widget"
    path.mkdir(parents=True, exist_ok=True)
    return path


class PageServer:
    """The customer's site: pages holding the widget's tag, on its own origin."""

    def __init__(self) -> None:
        self.port = free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        self.pages: dict[str, str] = {}
        self._runner: web.AppRunner | None = None

    async def start(self) -> PageServer:
        app = web.Application()
        app.router.add_get("/{name}", self._page)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def _page(self, request: web.Request) -> web.Response:
        body = self.pages.get(request.match_info["name"])
        if body is None:
            raise web.HTTPNotFound()
        return web.Response(text=body, content_type="text/html")

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


def shop_page(api: str, *, attrs: str = "", css: str = "", tag: bool = True) -> str:
    script = f'<script src="{api}/widget.js" data-site="acme" {attrs} async></script>'
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>Acme shop</title>
<style>body {{ font: 16px/1.5 Georgia, serif; margin: 0; background: #f8fafc; }}
main {{ max-width: 720px; margin: 0 auto; padding: 32px; }}
h1 {{ margin-top: 0; }}</style>
<style>{html.escape(css, quote=False)}</style>
</head><body><main><a href="#top" id="home">Home</a>
<h1>Acme shop</h1><p>Anvils, rockets and roller skates. Free delivery in the desert.</p>
<p id="para">Everything an ambitious coyote needs.</p></main>
{script if tag else ""}</body></html>"""


@dataclass
class Browser:
    """One browser page on the shop, the widget's locators, and every error it reported."""

    page: Any
    errors: list[str] = field(default_factory=list)

    def w(self, selector: str) -> Any:
        return self.page.locator(f"{WIDGET} {selector}")

    async def shot(self, name: str) -> None:
        await self.page.screenshot(path=shots_dir() / f"{name}.png", animations="disabled")

    async def focused(self) -> str:
        """The class of what has the focus inside the widget ("" when outside it)."""
        return str(
            await self.page.evaluate(
                f"() => document.querySelector('{WIDGET}')?.shadowRoot.activeElement?.className"
                " || ''"
            )
        )

    async def texts(self, selector: str) -> list[str]:
        return list(await self.w(selector).all_text_contents())


def watched(page: Any) -> Browser:
    """The page as a Browser that records every script error and console error."""
    page.set_default_timeout(15_000)
    visit = Browser(page)
    page.on("pageerror", lambda error: visit.errors.append(f"pageerror: {error}"))
    page.on(
        "console",
        lambda m: (
            visit.errors.append(f"console: {m.text} {m.location}") if m.type == "error" else None
        ),
    )
    return visit


@dataclass
class Shop:
    desk: Desk
    server: PageServer
    browser: Any
    pages: list[Browser] = field(default_factory=list)

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.desk.config.http.port}"

    async def open(self, name: str = "shop", init_script: str = "", **context: Any) -> Browser:
        ctx = await self.browser.new_context(
            **{"viewport": {"width": 1000, "height": 720}, **context}
        )
        if init_script:
            await ctx.add_init_script(init_script)
        page = await ctx.new_page()
        visit = watched(page)
        self.pages.append(visit)
        await page.goto(f"{self.server.origin}/{name}")
        return visit


@pytest.fixture
async def shop(desk: Desk, browser: Any) -> AsyncIterator[Shop]:
    """Site acme allowing the shop's origin, with an avatar; the pages' server; no operator."""
    server = await PageServer().start()
    await desk.admin.set_site("acme", web_changes(origins=server.origin, avatar=AVATAR))
    world = Shop(desk, server, browser)
    try:
        yield world
    finally:
        for visit in world.pages:
            await visit.page.context.close()
        await server.stop()


async def with_alice(shop: Shop, **site: Any) -> Client:
    """Alice an operator of acme, `site` settings applied, the component running, Alice online."""
    desk = shop.desk
    if site:
        await desk.admin.set_site("acme", web_changes(**site))
    alice = desk.user("alice")
    await desk.add_operator("acme", alice, "Alice")
    await desk.start_component()
    return await desk.operator_online(alice)


def no_errors(*visits: Browser) -> None:
    errors = [error for visit in visits for error in visit.errors]
    assert errors == [], errors


async def test_a_visitor_and_an_operator_talk_and_the_chat_survives_a_reload(shop: Shop) -> None:
    desk = shop.desk
    operator = await with_alice(shop)
    shop.server.pages["shop"] = shop_page(shop.api)
    visit = await shop.open()
    launcher = visit.w(".hc-launcher")
    await launcher.wait_for()
    assert await launcher.get_attribute("aria-expanded") == "false"
    assert await launcher.get_attribute("aria-label") == "Open chat"
    await visit.shot("1-closed")

    await launcher.click()
    dialog = visit.page.get_by_role("dialog", name="Chat with Acme Inc.")
    await dialog.wait_for()
    assert await launcher.get_attribute("aria-expanded") == "true"
    await visit.w(".hc-status-text").filter(has_text="We're online").wait_for()
    assert await visit.w(".hc-log").get_attribute("role") == "log"
    assert await visit.w(".hc-log").get_attribute("aria-live") == "polite"
    assert "hc-text" in await visit.focused()
    await visit.w("img.hc-avatar").wait_for()
    assert await visit.page.evaluate(
        f"() => document.querySelector('{WIDGET}').shadowRoot"
        ".querySelector('img.hc-avatar').naturalWidth > 0"
    )
    await visit.shot("2-open-online")

    await visit.w(".hc-input[type=text]").fill("Ann <b>Smith</b>")
    await visit.w("textarea").fill("Hello, I need <b>help</b> with my order")
    await visit.w("textarea").press("Enter")
    header = await operator.expect_from(desk.chat_jid(1), "New chat acme.1 from Ann <b>Smith</b>")
    assert "Hello, I need <b>help</b> with my order" in header.body
    mine = visit.w(".hc-from-visitor")
    await mine.filter(has_text="Sent").wait_for()  # its seq came back: the tick's text
    assert await mine.locator(".hc-text-body").all_text_contents() == [
        "Hello, I need <b>help</b> with my order"
    ]
    await visit.w(".hc-operator").filter(has_text="Alice").wait_for()
    await visit.shot("3-sent")

    await visit.w("textarea").press_sequentially("and a refund")
    await operator.expect_signal(desk.chat_jid(1), "composing")
    operator.send_typing(desk.chat_jid(1), "composing")
    await visit.w(".hc-typing").filter(has_text="Alice is typing…").wait_for()
    await visit.shot("4-operator-typing")

    operator.send(desk.chat_jid(1), "Hi Ann, I am <i>Alice</i>. Let me look.")
    answer = visit.w(".hc-from-operator .hc-text-body").filter(has_text="Let me look")
    await answer.wait_for()
    assert await answer.text_content() == "Hi Ann, I am <i>Alice</i>. Let me look."
    assert await visit.w(".hc-typing").is_hidden()
    await visit.w("textarea").press("Enter")  # "and a refund"
    await operator.expect_from(desk.chat_jid(1), "and a refund")
    await mine.filter(has_text="and a refund").filter(has_text="Sent").wait_for()
    await visit.shot("5-answered")

    await visit.page.reload()
    await visit.w(".hc-from-operator .hc-text-body").filter(has_text="Let me look").wait_for()
    operator.send(desk.chat_jid(1), "Found it: it ships today.")
    await visit.w(".hc-text-body").filter(has_text="ships today").wait_for()
    assert await visit.texts(".hc-msg:not(.hc-welcome) .hc-text-body") == [
        "Hello, I need <b>help</b> with my order",
        "Hi Ann, I am <i>Alice</i>. Let me look.",
        "and a refund",
        "Found it: it ships today.",
    ]  # the window stayed open, the history came back once, the new message after it
    assert await visit.w(".hc-launcher").get_attribute("aria-expanded") == "true"
    await visit.shot("6-reloaded")

    await visit.w(".hc-end").click()
    await visit.w(".hc-ended").filter(has_text="The chat has ended.").wait_for()
    await operator.expect_from(desk.chat_jid(1), "The visitor closed chat acme.1.")
    await visit.shot("12-ended")
    await visit.w(".hc-new").click()
    assert await visit.texts(".hc-msg:not(.hc-welcome)") == []
    assert "hc-text" in await visit.focused()
    no_errors(visit)


async def test_russian_strings_and_the_operator_choice(shop: Shop) -> None:
    await with_alice(shop, lang="ru", visitor_choice=True, welcome="Здравствуйте! Мы рядом.")
    shop.server.pages["shop"] = shop_page(shop.api)
    shop.server.pages["english"] = shop_page(shop.api, attrs='data-lang="en"')
    visit = await shop.open()
    launcher = visit.w(".hc-launcher")
    await launcher.wait_for()
    welcome = visit.w(".hc-welcome").filter(has_text="Здравствуйте! Мы рядом.")
    await welcome.wait_for(state="attached")
    assert await launcher.get_attribute("aria-label") == "Открыть чат"
    await launcher.click()
    await visit.page.get_by_role("dialog", name="Чат с Acme Inc.").wait_for()
    await visit.w(".hc-status-text").filter(has_text="Мы на связи").wait_for()
    assert await visit.w("textarea").get_attribute("placeholder") == "Напишите сообщение…"
    await visit.shot("7-russian")

    choice = visit.w("select.hc-choice")
    await choice.wait_for()
    assert await visit.texts("select.hc-choice option") == ["Любому свободному", "Alice"]
    assert await visit.w("label[for=hc-choice]").text_content() == "Кому написать"
    await choice.select_option(label="Alice")
    await visit.shot("8-operator-choice")

    english = await shop.open("english")  # data-lang overrides the site's language
    await english.w(".hc-launcher").click()
    await english.w(".hc-status-text").filter(has_text="We're online").wait_for()
    assert await english.texts("select.hc-choice option") == ["Anyone available", "Alice"]
    no_errors(visit, english)


async def test_nobody_online_is_said_clearly_and_a_message_is_passed_on_for_later(
    shop: Shop,
) -> None:
    desk = shop.desk
    await desk.add_operator("acme", desk.user("alice"), "Alice")  # never comes online
    await desk.start_component()
    shop.server.pages["shop"] = shop_page(shop.api)
    visit = await shop.open()
    await visit.w(".hc-launcher").click()
    notice = visit.w(".hc-offline").filter(has_text="Nobody is online right now")
    await notice.wait_for()
    assert "Leave us a message here" in (await notice.text_content() or "")
    await visit.w(".hc-status-text").filter(has_text="We're offline").wait_for()
    assert await visit.w("form.hc-feedback").is_hidden()  # the site's form is off: no form
    assert "hc-text" in await visit.focused()  # the focus is in the text box, ready to write
    await visit.shot("9-offline")
    # no feedback form on this site: the message goes to an operator who answers later (§4.2)
    await visit.w("textarea").fill("Do you ship to Mars?")
    await visit.w("textarea").press("Enter")
    await visit.w(".hc-log").filter(has_text="an answer may take a while").wait_for()
    assert await visit.texts(".hc-from-visitor .hc-text-body") == ["Do you ship to Mars?"]
    assert await visit.w(".hc-status-text").text_content() == "We're offline"  # Alice is away
    await visit.shot("9b-offline-message")
    await desk.flush_archive()
    assert await desk.rows("SELECT state, operator_jid FROM chats WHERE number = 1") == [
        ("assigned", desk.user("alice"))  # routed among offline operators: ejabberd keeps it
    ]
    alice = await desk.operator_online(desk.user("alice"))  # back: ejabberd hands it over
    await alice.expect_from(desk.chat_jid(1), "Do you ship to Mars?")
    alice.send(desk.chat_jid(1), "We do, by rocket.")
    await visit.w(".hc-from-operator").filter(has_text="We do, by rocket.").wait_for()
    await visit.w(".hc-status-text").filter(has_text="We're online").wait_for()
    await visit.shot("9c-answered-later")
    no_errors(visit)


async def test_hostile_page_css_and_a_phone_sized_screen(shop: Shop) -> None:
    await with_alice(shop)
    shop.server.pages["shop"] = shop_page(shop.api)
    shop.server.pages["hostile"] = shop_page(shop.api, css=HOSTILE_CSS, tag=False)
    hostile = await shop.open("hostile")
    layout = (
        "() => [...document.querySelectorAll('main, main *')].map(e => {"
        " const r = e.getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; })"
        ".concat([[document.documentElement.scrollWidth,"
        " document.documentElement.scrollHeight]])"
    )
    before = await hostile.page.evaluate(layout)
    globals_before = set(await hostile.page.evaluate("() => Object.keys(window)"))
    await hostile.page.evaluate(
        "api => { const s = document.createElement('script'); s.src = api + '/widget.js';"
        " s.dataset.site = 'acme'; document.body.appendChild(s); }",
        shop.api,
    )
    launcher = hostile.w(".hc-launcher")
    await launcher.wait_for()
    added = set(await hostile.page.evaluate("() => Object.keys(window)")) - globals_before
    assert added == {"HelperChat"}  # its one global, nothing else
    box = await launcher.bounding_box()
    assert box is not None and (box["width"], box["height"]) == (60, 60)
    assert box["x"] + 60 + 20 == 1000 and box["y"] + 60 + 20 == 720  # bottom right, as designed
    await launcher.click()
    status = hostile.w(".hc-status-text")
    await status.filter(has_text="We're online").wait_for()
    size = await status.evaluate("e => getComputedStyle(e).fontSize")
    assert size == "12.5px"
    textarea = hostile.w("textarea")
    assert await textarea.is_visible()
    await textarea.fill("still typeable")
    assert await hostile.page.evaluate(layout) == before  # the page's layout did not move
    await hostile.shot("10-hostile-css")

    phone = await shop.open(
        viewport={"width": 375, "height": 667},
        is_mobile=True,
        has_touch=True,
        reduced_motion="reduce",  # no opening animation: the window's box is final at once
    )
    await phone.w(".hc-launcher").tap()
    window = phone.w(".hc-window")
    await phone.w(".hc-status-text").filter(has_text="We're online").wait_for()
    box = await window.bounding_box()
    assert box is not None and (box["x"], box["y"], box["width"], box["height"]) == (
        0,
        0,
        375,
        667,
    )
    assert await phone.page.evaluate("() => document.documentElement.scrollWidth") <= 375
    for field_ in ("textarea", ".hc-input[type=text]", ".hc-input[type=email]"):
        font = await phone.w(field_).evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        assert font >= 16
    await phone.w(".hc-close").tap()
    assert await phone.w(".hc-window").is_hidden()
    await phone.w(".hc-launcher").tap()
    await phone.w("textarea").fill("Is the rocket skate in stock in size 9?")
    await phone.shot("11-mobile")
    no_errors(hostile, phone)


async def test_without_websockets_the_widget_falls_back_to_long_polling(shop: Shop) -> None:
    desk = shop.desk
    operator = await with_alice(shop)
    shop.server.pages["shop"] = shop_page(shop.api)
    visit = await shop.open(init_script=BREAK_WEBSOCKETS)
    await visit.w(".hc-launcher").click()
    await visit.w("textarea").fill("Hello over long polling")
    await visit.w("textarea").press("Enter")
    await operator.expect_from(desk.chat_jid(1), "Hello over long polling")
    await visit.w(".hc-from-visitor").filter(has_text="Sent").wait_for()
    await visit.w("textarea").press_sequentially("more")
    await operator.expect_signal(desk.chat_jid(1), "composing")  # POST typing
    operator.send(desk.chat_jid(1), "Polling works too")
    await visit.w(".hc-text-body").filter(has_text="Polling works too").wait_for()
    await visit.w("textarea").press("Enter")
    await operator.expect_from(desk.chat_jid(1), "more")
    await visit.w(".hc-from-visitor").filter(has_text="more").filter(has_text="Sent").wait_for()
    assert await visit.texts(".hc-msg:not(.hc-welcome) .hc-text-body") == [
        "Hello over long polling",
        "Polling works too",
        "more",
    ]
    await visit.shot("13-long-poll")
    no_errors(visit)


async def test_the_widget_works_with_the_keyboard_alone(shop: Shop) -> None:
    desk = shop.desk
    operator = await with_alice(shop)
    shop.server.pages["shop"] = shop_page(shop.api)
    visit = await shop.open()
    launcher = visit.w(".hc-launcher")
    await launcher.wait_for()
    for _ in range(10):
        await visit.page.keyboard.press("Tab")
        if "hc-launcher" in await visit.focused():
            break
    assert "hc-launcher" in await visit.focused()
    await visit.page.keyboard.press("Enter")
    await visit.page.get_by_role("dialog").wait_for()
    assert "hc-text" in await visit.focused()
    await visit.page.keyboard.type("Typed with keys only")
    await visit.page.keyboard.press("Shift+Enter")
    await visit.page.keyboard.type("second line")
    await visit.page.keyboard.press("Enter")
    got = await operator.expect_from(desk.chat_jid(1), "Typed with keys only")
    assert "Typed with keys only\nsecond line" in got.body
    await visit.w(".hc-from-visitor").filter(has_text="Sent").wait_for()
    await visit.shot("14-keyboard")
    await visit.page.keyboard.press("Escape")
    await visit.w(".hc-window").wait_for(state="hidden")
    assert await launcher.get_attribute("aria-expanded") == "false"
    assert "hc-launcher" in await visit.focused()
    outline = await launcher.evaluate("e => getComputedStyle(e).outlineStyle")
    assert outline != "none"  # the focus shows
    no_errors(visit)
