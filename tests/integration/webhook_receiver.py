"""A real webhook receiver for the tests: an aiohttp server on a loopback port that checks every
delivery's signature and timestamp, as a site's own server would, and records what came.

Each path `/hook/<name>` has its secret (`expect`); a path can answer 2xx, 500, or hang (never
answer until released); the whole server can be stopped and started again on the same port.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from component.webhook_signing import signature_matches
from devstack.ports import free_port

TOLERANCE_SECONDS = 300  # what a receiver would accept as a fresh timestamp


@dataclass(frozen=True)
class Delivery:
    """One POST as received, with what the receiver checked of it."""

    path: str
    event_header: str
    delivery_header: str
    timestamp: int
    signed: bool
    body: dict[str, Any]
    raw: bytes
    content_type: str

    @property
    def event(self) -> str:
        return str(self.body["event"])

    @property
    def id(self) -> str:
        return str(self.body["id"])

    @property
    def fresh(self) -> bool:
        return abs(time.time() - self.timestamp) <= TOLERANCE_SECONDS


class Receiver:
    def __init__(self) -> None:
        self.port = free_port()
        self.secrets: dict[str, str] = {}
        self.answers: dict[str, str] = {}  # name -> "ok" (default), "fail", "hang"
        self.got: list[Delivery] = []
        self.hanging = 0  # requests held by a "hang" answer right now
        self.release = asyncio.Event()
        self._runner: web.AppRunner | None = None

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/hook/{name}"

    def expect(self, name: str, secret: str, answer: str = "ok") -> None:
        self.secrets[name] = secret
        self.answers[name] = answer

    def of(self, name: str) -> list[Delivery]:
        return [d for d in self.got if d.path == f"/hook/{name}"]

    async def start(self) -> Receiver:
        app = web.Application()
        app.router.add_post("/hook/{name}", self._take)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True).start()
        return self

    async def stop(self) -> None:
        self.release.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self.release = asyncio.Event()

    async def _take(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        raw = await request.read()
        delivery = self._checked(request, name, raw)
        self.got.append(delivery)
        answer = self.answers.get(name, "ok")
        if answer == "hang":
            self.hanging += 1
            try:
                await self.release.wait()
            finally:
                self.hanging -= 1
        if answer == "fail":
            return web.Response(status=500, text="not today")
        return web.Response(status=204)

    def _checked(self, request: web.Request, name: str, raw: bytes) -> Delivery:
        headers = request.headers
        stamp = headers.get("X-HelperChat-Timestamp", "")
        timestamp = int(stamp) if stamp.isdigit() else 0
        given = headers.get("X-HelperChat-Signature", "")
        secret = self.secrets.get(name, "")
        return Delivery(
            path=request.path,
            event_header=headers.get("X-HelperChat-Event", ""),
            delivery_header=headers.get("X-HelperChat-Delivery", ""),
            timestamp=timestamp,
            signed=bool(secret) and signature_matches(secret, timestamp, raw, given),
            body=json.loads(raw),
            raw=raw,
            content_type=headers.get("Content-Type", ""),
        )
