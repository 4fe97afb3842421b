"""Schemathesis against the running app (a real aiohttp server on a loopback port, a desk of
fakes): for every documented operation, generated requests must get no 5xx and only documented
answers (status, media type, body schema). Bounded: 30 examples an operation, a few seconds."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from component.web.openapi import description
from tests.web.test_openapi import online_stack

SCHEMA = schemathesis.openapi.from_dict(description())
SCHEMA.config.generation.update(modes=list(GenerationMode))  # valid and invalid requests
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@dataclass(frozen=True)
class Server:
    base_url: str
    chat: str
    token: str


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    """The app of online_stack served from its own event loop in a thread."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, Any] = {}

    async def start() -> None:
        runner = web.AppRunner(online_stack().app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        holder["runner"] = runner
        holder["port"] = runner.addresses[0][1]
        ready.set()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(10)
    base = f"http://127.0.0.1:{holder['port']}"
    started = requests.post(f"{base}/api/v1/sites/acme/chats", json={"text": "hi"}, timeout=5)
    assert started.status_code == 201, started.text
    answer = started.json()
    yield Server(base, answer["chat"], answer["token"])
    asyncio.run_coroutine_threadsafe(holder["runner"].cleanup(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


@SCHEMA.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_the_app_answers_generated_requests_as_documented(case: Any, server: Server) -> None:
    # as generated: mostly unknown chats (404) and no token or a random one (401)
    case.call_and_validate(base_url=server.base_url, checks=CHECKS, timeout=10)
    if "chat" in (case.path_parameters or {}):
        # again on the real chat with its token, so the bodies and queries reach the checks
        case.path_parameters = {**case.path_parameters, "chat": server.chat}
        if case.query and "wait" in case.query:
            case.query = {**case.query, "wait": 0}  # no long poll of up to 30 s per example
        headers = {"Authorization": f"Bearer {server.token}"}
        case.call_and_validate(base_url=server.base_url, headers=headers, checks=CHECKS, timeout=10)
