"""The widget in Chromium against a scripted stand-in of the visitor API (SPEC §7.1): the events
the desk sends a web visitor — `queue`, `operator`, `receipt`, `typing`, `message`, `closed` —
each shown as it should be, whatever order the server sends them in, and nothing twice when a
resumed socket repeats them. The real stack's tests are in test_widget.py; this one pins the
widget's side of the event contract (a unit test of widget.js, in the real browser)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from component.web import widget_assets
from devstack.ports import free_port
from tests.integration.test_widget import BREAK_WEBSOCKETS, no_errors, shop_page, watched
from tests.integration.thirdparty import ARTIFACTS

pytestmark = pytest.mark.integration

AT = "2026-11-30T12:00:00.000Z"


@dataclass
class FakeApi:
    """One site `acme`, one chat `acme.1`; its events come from the test through `send`."""

    port: int = field(default_factory=free_port)
    started: list[dict[str, Any]] = field(default_factory=list)
    frames: list[dict[str, Any]] = field(default_factory=list)
    hellos: list[int] = field(default_factory=list)
    sockets: list[web.WebSocketResponse] = field(default_factory=list)
    log: list[dict[str, Any]] = field(default_factory=list)
    runner: web.AppRunner | None = None
    refuse_as_offline: bool = False
    refuse_messages: bool = False  # every later visitor message: 429, Retry-After 7
    close_live_with: int | None = None  # close each socket right after its hello
    hold_echoes: bool = False  # a visitor message's seq answered before its event is sent
    polls: list[int] = field(default_factory=list)  # the `after` of every long poll
    news: asyncio.Event = field(default_factory=asyncio.Event)
    slow_start: asyncio.Event | None = None  # a start answers once the test sets it
    online: bool = True  # what the site's info says

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> FakeApi:
        app = web.Application()
        widget_assets.add_routes(app)
        app.router.add_get("/shop", self.page)
        app.router.add_get("/api/v1/sites/acme", self.site)
        app.router.add_post("/api/v1/sites/acme/chats", self.start_chat)
        app.router.add_get("/api/v1/chats/acme.1/live", self.live)
        app.router.add_post("/api/v1/chats/acme.1/messages", self.write)
        app.router.add_get("/api/v1/chats/acme.1/events", self.events)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()
        return self

    async def go_down(self) -> None:
        """Off the network, as while HelperChat restarts: sockets closed, nothing answers."""
        for site in list(self.runner.sites if self.runner else []):
            await site.stop()
        for ws in self.sockets:
            await ws.close(code=1001)
        assert self.runner is not None and self.runner.server is not None
        for connection in list(self.runner.server.connections):  # kept-alive ones too
            connection.force_close()

    async def come_back(self) -> None:
        assert self.runner is not None
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        self.news.set()  # waiting long polls and starts answer now
        if self.slow_start is not None:
            self.slow_start.set()
        for ws in self.sockets:
            await ws.close()
        if self.runner is not None:
            await self.runner.cleanup()

    async def page(self, _: web.Request) -> web.Response:
        page = shop_page(self.base, attrs='data-identity="id.v1.signed"')
        return web.Response(text=page, content_type="text/html")

    async def site(self, _: web.Request) -> web.Response:
        return web.json_response(
            {
                "slug": "acme",
                "name": "Acme <Inc>",
                "online": self.online,
                "lang": "en",
                "feedback_form": False,
                "avatar": None,
                "welcome": "",
                "operators": [{"id": 12, "name": "Bob", "avatar": None}],
            }
        )

    async def start_chat(self, request: web.Request) -> web.Response:
        self.started.append(await request.json())
        if self.slow_start is not None:
            await self.slow_start.wait()
        if self.refuse_as_offline:
            error = {"code": "offline", "message": "nobody is online; leave feedback"}
            return web.json_response({"error": error}, status=409)
        self.log.append(self.event("message", **{"from": "visitor", "text": "Hi there"}))
        answer = {"chat": "acme.1", "token": "t" * 43, "state": "queued", "position": 3}
        return web.json_response(answer, status=201)

    async def live(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sockets.append(ws)
        hello = json.loads((await ws.receive()).data)
        self.hellos.append(hello["after"])
        if self.close_live_with is not None:
            await ws.close(code=self.close_live_with)
            return ws
        for event in self.log:
            if event["seq"] > hello["after"]:
                await ws.send_json(event)
        async for message in ws:
            frame = json.loads(message.data)
            self.frames.append(frame)
            if frame["type"] == "message" and self.refuse_messages:
                error = {"code": "rate_limited", "message": "slow down", "retry_after": 7}
                await ws.send_json({"type": "error", "error": error})
            elif frame["type"] == "message":
                await self.send("message", **{"from": "visitor", "text": frame["text"]})
        return ws

    async def write(self, request: web.Request) -> web.Response:
        text = (await request.json())["text"]
        if self.refuse_messages:
            error = {"code": "rate_limited", "message": "slow down"}
            return web.json_response({"error": error}, status=429, headers={"Retry-After": "7"})
        if self.hold_echoes:  # the test sends the event once the widget has the answer
            return web.json_response({"seq": self.log[-1]["seq"] + 1}, status=202)
        event = await self.send("message", **{"from": "visitor", "text": text})
        return web.json_response({"seq": event["seq"]}, status=202)

    async def events(self, request: web.Request) -> web.Response:
        after = int(request.query["after"])
        self.polls.append(after)
        if not any(event["seq"] > after for event in self.log):
            self.news.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.news.wait(), float(request.query["wait"]))
        return web.json_response({"events": [e for e in self.log if e["seq"] > after]})

    def event(self, kind: str, **values: Any) -> dict[str, Any]:
        kept = kind in ("message", "queue", "operator", "closed")
        last = self.log[-1]["seq"] if self.log else 0
        return {"seq": last + 1 if kept else last, "type": kind, "at": AT, **values}

    async def send(self, kind: str, **values: Any) -> dict[str, Any]:
        """A new event: kept ones join the log (a reconnecting socket gets them again)."""
        event = self.event(kind, **values)
        if kind in ("message", "queue", "operator", "closed"):
            self.log.append(event)
            self.news.set()
        for ws in self.sockets:
            if not ws.closed:
                await ws.send_json(event)
        return event


@pytest.fixture
async def api() -> AsyncIterator[FakeApi]:
    fake = await FakeApi().start()
    yield fake
    await fake.stop()


async def test_queue_operator_receipts_typing_and_closed_events_show(
    api: FakeApi, browser: Any
) -> None:
    context = await browser.new_context(viewport={"width": 1000, "height": 720})
    visit = watched(await context.new_page())
    page = visit.page
    try:
        await page.goto(f"{api.base}/shop")
        await visit.w(".hc-launcher").click()
        assert await visit.w(".hc-title").text_content() == "Acme <Inc>"
        await visit.w("select.hc-choice").select_option(label="Bob")
        await visit.w("textarea").fill("Hi there")
        await visit.w("textarea").press("Enter")
        await visit.w(".hc-queue").filter(has_text="You are number 3 in the queue").wait_for()
        started = api.started[0]
        assert (started["text"], started["operator"]) == ("Hi there", 12)
        assert started["identity"] == "id.v1.signed"  # passed through as the page gave it
        assert await visit.w(".hc-choice-row").is_hidden()  # chosen once, before the chat
        await visit.w(".hc-from-visitor").filter(has_text="Sent").wait_for()  # seq 1 echoed

        await api.send("queue", position=2)
        await visit.w(".hc-queue").filter(has_text="You are number 2 in the queue").wait_for()
        await api.send("operator", name="Bob <script>", avatar=None)
        await visit.w(".hc-operator").filter(has_text="Bob <script>").wait_for()
        assert await visit.w(".hc-queue").is_hidden()
        await api.send("typing", state="composing")
        await visit.w(".hc-typing").filter(has_text="Bob <script> is typing…").wait_for()
        await api.send("typing", state="paused")
        await visit.w(".hc-typing").wait_for(state="hidden")

        await api.send("receipt", of=1, state="delivered")
        tick = visit.w(".hc-from-visitor .hc-tick")
        await tick.filter(has_text="Delivered").wait_for()
        assert await tick.get_attribute("title") == "Delivered"
        await api.send("receipt", of=1, state="read")
        await tick.filter(has_text="Read").wait_for()
        await api.send("receipt", of=1, state="delivered")  # late: never back to delivered
        await api.send("message", **{"from": "operator", "text": "Hello!", "operator": "Bob"})
        await visit.w(".hc-from-operator").filter(has_text="Hello!").wait_for()
        assert "Read" in (await tick.text_content() or "")
        await visit.shot("15-events")

        await api.sockets[-1].close()  # the server goes away; meanwhile a message is kept
        await api.send("message", **{"from": "operator", "text": "Still there?", "operator": "Bob"})
        await visit.w(".hc-from-operator").filter(has_text="Still there?").wait_for()
        assert api.hellos == [0, 4]  # reconnected, resuming after the last kept event it had

        await page.reload()  # resumes: the history once (after=0), then live
        await visit.w(".hc-from-operator").filter(has_text="Hello!").wait_for()
        await api.send("message", **{"from": "system", "text": "Bob left the chat."})
        await visit.w(".hc-from-system").filter(has_text="Bob left the chat.").wait_for()
        texts = await visit.texts(".hc-msg:not(.hc-welcome) .hc-text-body")
        assert texts == ["Hi there", "Hello!", "Still there?", "Bob left the chat."]
        assert api.hellos == [0, 4, 0]  # a reloaded page reads the history from the start
        assert {"type": "page", "url": f"{api.base}/shop", "title": "Acme shop"} in api.frames

        await api.send("closed")
        await visit.w(".hc-ended").filter(has_text="The chat has ended.").wait_for()
        assert await visit.w("form.hc-compose").is_hidden()
        no_errors(visit)
    finally:
        await context.close()


async def test_a_409_offline_answer_shows_the_offline_state(api: FakeApi, browser: Any) -> None:
    api.refuse_as_offline = True
    context = await browser.new_context()
    visit = watched(await context.new_page())
    try:
        await visit.page.goto(f"{api.base}/shop")
        await visit.w(".hc-launcher").click()
        await visit.w("textarea.hc-text").fill("Anyone?")
        await visit.w("textarea.hc-text").press("Enter")
        await visit.w(".hc-offline").filter(has_text="Nobody is online right now").wait_for()
        assert await visit.w(".hc-status-text").text_content() == "We're offline"
        assert await visit.texts(".hc-from-visitor") == []  # not shown as sent
        assert await visit.w("form.hc-compose").is_hidden()  # the feedback form's place
        await visit.w(".hc-offline form.hc-feedback").wait_for()
        assert await visit.w("#hc-fb-text").input_value() == "Anyone?"  # the form's message now
        # the browser reports the refused request itself; nothing else may go wrong
        assert [e for e in visit.errors if "status of 409" not in e] == []
    finally:
        await context.close()


async def test_after_a_reload_an_old_answer_does_not_show_an_offline_site_as_online(
    api: FakeApi, browser: Any
) -> None:
    visit = await started_chat(api, browser)
    status = visit.w(".hc-status-text")
    try:
        await api.send("operator", name="Bob", avatar=None)
        await api.send("message", **{"from": "operator", "text": "Hello!", "operator": "Bob"})
        await visit.w(".hc-from-operator").filter(has_text="Hello!").wait_for()
        assert await status.text_content() == "We're online"
        api.online = False  # Bob has gone; the site's info says nobody is online
        await visit.page.reload()
        # the history once: its handler has run when the bubble shows
        await visit.w(".hc-from-operator").filter(has_text="Hello!").wait_for()
        assert await status.text_content() == "We're offline"
        await api.send("message", **{"from": "operator", "text": "Back now", "operator": "Bob"})
        await visit.w(".hc-from-operator").filter(has_text="Back now").wait_for()
        assert await status.text_content() == "We're online"  # a new answer: someone is here
        no_errors(visit)
    finally:
        await visit.page.context.close()


async def review_shot(visit: Any, name: str) -> None:
    path = ARTIFACTS / "widget-review"
    path.mkdir(parents=True, exist_ok=True)
    await visit.page.screenshot(path=path / f"{name}.png", animations="disabled")


async def started_chat(api: FakeApi, browser: Any, init_script: str = "") -> Any:
    """A page on the shop whose widget has started chat acme.1 with "Hi there" (seq 1)."""
    context = await browser.new_context()
    if init_script:
        await context.add_init_script(init_script)
    visit = watched(await context.new_page())
    await visit.page.goto(f"{api.base}/shop")
    await visit.w(".hc-launcher").click()
    await visit.w("textarea").fill("Hi there")
    await visit.w("textarea").press("Enter")
    await visit.w(".hc-from-visitor").filter(has_text="Sent").wait_for()
    return visit


async def test_a_refused_message_is_said_and_its_text_kept(api: FakeApi, browser: Any) -> None:
    visit = await started_chat(api, browser)
    try:
        api.refuse_messages = True
        await visit.w("textarea").fill("Second try")
        await visit.w("textarea").press("Enter")
        await visit.w(".hc-error").wait_for()
        assert "7" in (await visit.w(".hc-error").text_content() or "")  # Retry-After said
        assert await visit.w("textarea").input_value() == "Second try"  # nothing to type again
        assert await visit.texts(".hc-from-visitor .hc-text-body") == ["Hi there"]  # none stuck
        await review_shot(visit, "refused-message")
        api.refuse_messages = False
        await visit.w("textarea").press("Enter")  # sent again as it was
        await (
            visit.w(".hc-from-visitor")
            .filter(has_text="Second try")
            .filter(has_text="Sent")
            .wait_for()
        )
        assert await visit.w(".hc-error").is_hidden()
        assert await visit.texts(".hc-from-visitor .hc-text-body") == ["Hi there", "Second try"]
    finally:
        await visit.page.context.close()


# Every widget timer of 500 ms or more runs at once; its asked-for delay is recorded.
QUICK_TIMERS = """
window.__delays = [];
const realSetTimeout = window.setTimeout;
window.setTimeout = function (callback, delay, ...rest) {
  if (delay >= 500) { window.__delays.push(delay); delay = 0; }
  return realSetTimeout.call(window, callback, delay, ...rest);
};
"""


async def test_sockets_the_server_closes_at_once_are_retried_with_a_growing_back_off(
    api: FakeApi, browser: Any
) -> None:
    visit = await started_chat(api, browser, QUICK_TIMERS)
    try:
        api.close_live_with = 1011  # accepted, then closed: a failure on the server's side
        await api.sockets[-1].close(code=1011)
        while len(api.hellos) < 8:
            await visit.page.wait_for_timeout(50)
        delays = await visit.page.evaluate("() => window.__delays")
        assert delays, "no reconnection was scheduled"
        assert all(1000 <= delay <= 30000 for delay in delays), delays
        assert max(delays[5:]) >= 15000, delays  # grown to the ceiling, not a storm
    finally:
        await visit.page.context.close()


async def test_a_refused_token_ends_the_retries(api: FakeApi, browser: Any) -> None:
    visit = await started_chat(api, browser, QUICK_TIMERS)
    try:
        api.close_live_with = 4401
        await api.sockets[-1].close(code=1011)
        await visit.w(".hc-from-visitor").wait_for(state="detached")  # forgotten: a new chat
        hellos = len(api.hellos)
        await visit.page.wait_for_timeout(1000)
        assert len(api.hellos) == hellos  # no loop on a token the server refused
        stored = await visit.page.evaluate("() => sessionStorage.getItem('helperchat:acme')")
        assert "token" not in json.loads(stored)
    finally:
        await visit.page.context.close()


async def test_a_foreign_value_under_the_widgets_storage_key_is_ignored(
    api: FakeApi, browser: Any
) -> None:
    context = await browser.new_context()
    await context.add_init_script("sessionStorage.setItem('helperchat:acme', '\"stale\"')")
    visit = watched(await context.new_page())
    try:
        await visit.page.goto(f"{api.base}/shop")
        await visit.w(".hc-launcher").click()
        await visit.w("textarea").fill("Hi there")
        await visit.w("textarea").press("Enter")
        await visit.w(".hc-from-visitor").filter(has_text="Sent").wait_for()
        stored = await visit.page.evaluate("() => sessionStorage.getItem('helperchat:acme')")
        assert json.loads(stored)["chat"] == "acme.1"
        no_errors(visit)
    finally:
        await context.close()


async def test_closing_from_the_page_script_returns_the_focus_to_the_launcher(
    api: FakeApi, browser: Any
) -> None:
    context = await browser.new_context()
    visit = watched(await context.new_page())
    try:
        await visit.page.goto(f"{api.base}/shop")
        await visit.w(".hc-launcher").click()
        assert await visit.focused() == "hc-text"
        await visit.page.evaluate("() => window.HelperChat.close()")
        assert await visit.w(".hc-launcher").get_attribute("aria-expanded") == "false"
        assert await visit.focused() == "hc-launcher"  # not lost for a keyboard user
        await visit.page.focus("#home")
        await visit.page.evaluate("() => window.HelperChat.toggle()")  # opens: focus inside
        await visit.page.focus("#home")  # the page takes the focus back itself
        await visit.page.evaluate("() => window.HelperChat.close()")
        assert await visit.page.evaluate("() => document.activeElement.id") == "home"  # kept
        no_errors(visit)
    finally:
        await context.close()


async def test_long_polls_move_on_past_a_message_whose_answer_came_before_its_event(
    api: FakeApi, browser: Any
) -> None:
    visit = await started_chat(api, browser, BREAK_WEBSOCKETS)
    try:
        while not api.polls or api.polls[-1] != 1:  # polling, waiting after the first message
            await visit.page.wait_for_timeout(20)
        api.hold_echoes = True
        await visit.w("textarea").fill("Second")
        await visit.w("textarea").press("Enter")
        second = visit.w(".hc-from-visitor").filter(has_text="Second")
        await second.filter(has_text="Sent").wait_for()  # bound to seq 2 by the answer alone
        polls = len(api.polls)
        await api.send("message", **{"from": "visitor", "text": "Second"})  # its event, seq 2
        while len(api.polls) == polls:
            await visit.page.wait_for_timeout(20)
        assert api.polls[polls] == 2, api.polls[polls - 1 :]  # not `after=1` again and again
        assert await visit.texts(".hc-from-visitor .hc-text-body") == ["Hi there", "Second"]
    finally:
        await visit.page.context.close()


async def test_a_read_mark_ticks_every_earlier_visitor_message_as_read(
    api: FakeApi, browser: Any
) -> None:
    visit = await started_chat(api, browser)
    try:
        await visit.w("textarea").fill("Second")
        await visit.w("textarea").press("Enter")
        await (
            visit.w(".hc-from-visitor").filter(has_text="Second").filter(has_text="Sent").wait_for()
        )
        await api.send("receipt", of=2, state="delivered")  # XEP-0184: this message only
        await visit.w(".hc-from-visitor").filter(has_text="Delivered").wait_for()
        ticks = visit.w(".hc-from-visitor .hc-tick .hc-sr")
        assert await ticks.all_text_contents() == ["Sent", "Delivered"]
        await api.send("receipt", of=2, state="read")  # XEP-0333: read up to this one
        await (
            visit.w(".hc-from-visitor").filter(has_text="Second").filter(has_text="Read").wait_for()
        )
        assert await ticks.all_text_contents() == ["Read", "Read"]
    finally:
        await visit.page.context.close()


async def test_writing_again_while_the_chat_starts_starts_no_second_chat(
    api: FakeApi, browser: Any
) -> None:
    api.slow_start = asyncio.Event()
    context = await browser.new_context()
    visit = watched(await context.new_page())
    try:
        await visit.page.goto(f"{api.base}/shop")
        await visit.w(".hc-launcher").click()
        await visit.w("textarea").fill("Hi there")
        await visit.w("textarea").press("Enter")
        while not api.started:
            await visit.page.wait_for_timeout(20)
        await visit.w("textarea").fill("Are you there?")
        await visit.w("textarea").press("Enter")  # before the first answer came
        assert await visit.w("textarea").input_value() == "Are you there?"  # held back
        assert len(api.started) == 1
        api.slow_start.set()
        await (
            visit.w(".hc-from-visitor")
            .filter(has_text="Hi there")
            .filter(has_text="Sent")
            .wait_for()
        )
        await visit.w("textarea").press("Enter")  # now it goes, into the same chat
        await (
            visit.w(".hc-from-visitor")
            .filter(has_text="Are you there?")
            .filter(has_text="Sent")
            .wait_for()
        )
        assert [start["text"] for start in api.started] == ["Hi there"]  # one chat only
        no_errors(visit)
    finally:
        await context.close()


async def test_the_end_of_the_chat_moves_a_focus_inside_the_composer_to_start_a_new_one(
    api: FakeApi, browser: Any
) -> None:
    visit = await started_chat(api, browser)
    try:
        await visit.w(".hc-send").focus()  # the visitor had just pressed the send button
        await api.send("closed")
        await visit.w(".hc-ended").wait_for()
        assert await visit.focused() == "hc-new"  # not lost on the page's body
        await visit.page.keyboard.press("Enter")  # a new chat, by keyboard alone
        await visit.w(".hc-ended").wait_for(state="hidden")
        assert await visit.focused() == "hc-text"
    finally:
        await visit.page.context.close()


def page_frame_limits() -> dict[str, int]:
    """The `page` frame's field limits as the API's description gives them."""
    spec = json.loads((Path(widget_assets.__file__).parent / "openapi.json").read_text())
    frames = spec["components"]["schemas"]["ClientFrame"]["oneOf"]
    (page,) = [f for f in frames if f["properties"]["type"].get("const") == "page"]
    return {
        name: field["maxLength"] for name, field in page["properties"].items() if name != "type"
    }


async def test_a_long_page_title_is_cut_to_what_a_page_frame_may_carry(
    api: FakeApi, browser: Any
) -> None:
    limits = page_frame_limits()
    visit = await started_chat(api, browser)
    try:
        await visit.page.evaluate("() => { document.title = 'Anvils '.repeat(60); }")
        await visit.page.evaluate("() => { location.hash = 'reviews'; }")
        while not any(f.get("url", "").endswith("#reviews") for f in api.frames):
            await visit.page.wait_for_timeout(20)
        frame = [f for f in api.frames if f.get("url", "").endswith("#reviews")][-1]
        assert frame["title"] == ("Anvils " * 60)[: limits["title"]]
        assert len(frame["url"]) <= limits["url"]
    finally:
        await visit.page.context.close()


async def test_after_a_restart_of_the_server_the_widget_is_back_on_a_websocket(
    api: FakeApi, browser: Any
) -> None:
    visit = await started_chat(api, browser, QUICK_TIMERS)
    tries: list[str] = []  # sockets and requests the widget tried
    visit.page.on("websocket", lambda ws: tries.append(ws.url))
    visit.page.on("requestfailed", lambda request: tries.append(request.url))
    try:
        assert api.hellos == [0]
        await api.go_down()
        for _ in range(500):
            if len(tries) >= 6:  # a few tries, each refused: the network is down
                break
            await visit.page.wait_for_timeout(20)
        await api.come_back()
        for _ in range(500):
            if len(api.hellos) >= 2 or api.polls:
                break
            await visit.page.wait_for_timeout(20)
        assert api.hellos[1:] == [1], (api.polls, tries)  # resumed on a socket, not on long polls
        assert api.polls == []
        await api.send("message", **{"from": "operator", "text": "Back!", "operator": "Bob"})
        await visit.w(".hc-from-operator").filter(has_text="Back!").wait_for()
        visit.errors.clear()  # the browser reports the refused connections itself
    finally:
        await visit.page.context.close()


async def test_a_page_changed_by_script_is_told_once(api: FakeApi, browser: Any) -> None:
    visit = await started_chat(api, browser)
    try:

        def frames_for(ending: str) -> list[dict[str, Any]]:
            return [f for f in api.frames if str(f.get("url", "")).endswith(ending)]

        await visit.page.evaluate(
            "() => { document.title = 'Checkout'; history.pushState({}, '', '/shop/checkout'); }"
        )  # a single-page shop: no popstate, no hashchange
        for _ in range(300):
            if frames_for("/shop/checkout"):
                break
            await visit.page.wait_for_timeout(20)
        assert [f["title"] for f in frames_for("/shop/checkout")] == ["Checkout"]
        await visit.page.evaluate("() => { location.hash = 'reviews'; }")
        while not frames_for("#reviews"):
            await visit.page.wait_for_timeout(20)
        await visit.page.wait_for_timeout(1500)  # anything more would have come by now
        assert len(frames_for("#reviews")) == 1
        assert len(frames_for("/shop/checkout")) == 1
    finally:
        await visit.page.context.close()
