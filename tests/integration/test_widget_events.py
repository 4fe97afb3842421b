"""The widget in Chromium against a scripted stand-in of the visitor API (SPEC §7.1): the events
the desk sends a web visitor — `queue`, `operator`, `receipt`, `typing`, `message`, `closed` —
each shown as it should be, whatever order the server sends them in, and nothing twice when a
resumed socket repeats them. The real stack's tests are in test_widget.py; this one pins the
widget's side of the event contract (a unit test of widget.js, in the real browser)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from component.web import widget_assets
from devstack.ports import free_port
from tests.integration.test_widget import no_errors, shop_page, watched

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
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()
        return self

    async def stop(self) -> None:
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
                "online": True,
                "lang": "en",
                "feedback_form": False,
                "avatar": None,
                "welcome": "",
                "operators": [{"id": 12, "name": "Bob", "avatar": None}],
            }
        )

    async def start_chat(self, request: web.Request) -> web.Response:
        self.started.append(await request.json())
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
        for event in self.log:
            if event["seq"] > hello["after"]:
                await ws.send_json(event)
        async for message in ws:
            self.frames.append(json.loads(message.data))
        return ws

    def event(self, kind: str, **values: Any) -> dict[str, Any]:
        kept = kind in ("message", "queue", "operator", "closed")
        last = self.log[-1]["seq"] if self.log else 0
        return {"seq": last + 1 if kept else last, "type": kind, "at": AT, **values}

    async def send(self, kind: str, **values: Any) -> dict[str, Any]:
        """A new event: kept ones join the log (a reconnecting socket gets them again)."""
        event = self.event(kind, **values)
        if kind in ("message", "queue", "operator", "closed"):
            self.log.append(event)
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
        await visit.w("textarea").fill("Anyone?")
        await visit.w("textarea").press("Enter")
        await visit.w(".hc-offline").filter(has_text="Nobody is online right now").wait_for()
        assert await visit.w(".hc-status-text").text_content() == "We're offline"
        assert await visit.texts(".hc-from-visitor") == []  # not shown as sent
        assert await visit.w("textarea").input_value() == "Anyone?"  # kept for later
        # the browser reports the refused request itself; nothing else may go wrong
        assert [e for e in visit.errors if "status of 409" not in e] == []
    finally:
        await context.close()
