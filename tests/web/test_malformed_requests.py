"""Requests aiohttp cannot parse: the JSON error body, and no secrets or tracebacks in logs."""

from __future__ import annotations

import asyncio
import logging

import pytest

from tests.web.helpers import make_app, serve

SECRET = "Zk9tOPSECRETtokenVALUE"


async def raw_exchange(host: str, port: int, request: bytes) -> bytes:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(request)
        await writer.drain()
        return await asyncio.wait_for(reader.read(4096), 5)
    finally:
        writer.close()


def everything_logged(caplog: pytest.LogCaptureFixture) -> str:
    handler = logging.Handler()
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    return "\n".join(handler.format(record) for record in caplog.records)


HEAD = b"GET /healthz HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + SECRET.encode()
MALFORMED = [HEAD + b"\x01\r\n\r\n", HEAD + b"a" * 9000 + b"\r\n\r\n"]


@pytest.mark.parametrize("request_bytes", MALFORMED, ids=["bad-char", "too-long"])
async def test_a_malformed_request_puts_no_header_value_in_the_logs(
    caplog: pytest.LogCaptureFixture, request_bytes: bytes
) -> None:
    caplog.set_level(logging.DEBUG)
    async with serve(make_app()) as client:
        answer = await raw_exchange(client.server.host, client.server.port, request_bytes)
    assert answer.startswith(b"HTTP/1.") and b" 400 " in answer.split(b"\r\n", 1)[0]
    logged = everything_logged(caplog)
    assert SECRET not in logged
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_malformed_request_gets_the_json_error_body() -> None:
    async with serve(make_app()) as client:
        answer = await raw_exchange(client.server.host, client.server.port, MALFORMED[0])
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"application/json" in head.lower()
    assert SECRET.encode() not in body
