"""One access-log line per request: method, route pattern, status, duration, client; no secrets."""

from __future__ import annotations

import logging

import pytest
from aiohttp import web

from component.config import HttpConfig
from component.metrics import Metrics
from component.web.keys import CLIENT_IP
from tests.web.helpers import make_app, serve

ACCESS = "component.web.access"


def with_items(config: HttpConfig | None = None, metrics: Metrics | None = None) -> web.Application:
    async def item(request: web.Request) -> web.Response:
        return web.json_response({"id": request.match_info["id"], "client": request[CLIENT_IP]})

    app = make_app(config, metrics=metrics)
    app.router.add_get("/items/{id}", item)
    return app


def access_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == ACCESS]


async def test_one_line_per_request_with_the_route_pattern(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=ACCESS)
    async with serve(with_items()) as client:
        assert (await client.get("/items/42")).status == 200
        assert (await client.get("/nowhere/7")).status == 404
    ok, missing = access_records(caplog)
    assert ok.getMessage().startswith("method=GET route=/items/{id} status=200 duration_ms=")
    assert ok.getMessage().endswith(" client=127.0.0.1")
    assert "/items/42" not in ok.getMessage()
    assert (ok.http_route, ok.http_status, ok.http_client) == ("/items/{id}", 200, "127.0.0.1")  # type: ignore[attr-defined]
    assert ok.http_duration_ms >= 0  # type: ignore[attr-defined]
    assert missing.getMessage().startswith("method=GET route=unmatched status=404 ")


async def test_no_token_or_authorization_reaches_the_log(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with serve(with_items()) as client:
        headers = {"Authorization": "Bearer SECRET-TOKEN", "Cookie": "s=SECRET-TOKEN"}
        await client.get("/items/SECRET-TOKEN?token=SECRET-TOKEN", headers=headers)
        await client.get("/healthz?key=SECRET-TOKEN", headers=headers)
        await client.post("/nowhere?token=SECRET-TOKEN", headers=headers, data=b"SECRET-TOKEN")
    assert len(access_records(caplog)) == 3
    for record in caplog.records:
        assert "SECRET-TOKEN" not in record.getMessage()
        assert "SECRET-TOKEN" not in repr(vars(record))


@pytest.mark.parametrize(
    ("trusted", "forwarded", "client"),
    [
        ((), "203.0.113.9", "127.0.0.1"),  # nobody trusted: the header is ignored
        (("10.0.0.0/8",), "203.0.113.9", "127.0.0.1"),  # the peer is not a trusted proxy
        (("127.0.0.1",), "203.0.113.9", "203.0.113.9"),
        (("127.0.0.1",), "198.51.100.1, 203.0.113.9", "203.0.113.9"),  # only the last hop
        (("127.0.0.1", "203.0.113.0/24"), "198.51.100.1, 203.0.113.9", "198.51.100.1"),
        (("127.0.0.1",), "not-an-ip", "127.0.0.1"),
    ],
)
async def test_the_client_is_the_peer_unless_a_trusted_proxy_forwarded_it(
    trusted: tuple[str, ...], forwarded: str, client: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=ACCESS)
    config = HttpConfig(trusted_proxies=trusted)
    async with serve(with_items(config)) as http:
        response = await http.get("/items/1", headers={"X-Forwarded-For": forwarded})
        assert (await response.json())["client"] == client
    assert access_records(caplog)[0].getMessage().endswith(f" client={client}")


async def test_requests_are_counted_by_route_pattern_with_bounded_labels() -> None:
    metrics = Metrics()
    async with serve(with_items(metrics=metrics)) as client:
        await client.get("/items/1")
        await client.get("/items/2")
        await client.get("/random/path/1")
        await client.request("PROPFIND", "/items/3")
    text = metrics.render().decode()
    counted = "helperchat_http_requests_total"
    assert f'{counted}{{method="GET",route="/items/{{id}}",status="200"}} 2.0' in text
    assert f'{counted}{{method="GET",route="unmatched",status="404"}} 1.0' in text
    assert f'{counted}{{method="other",route="unmatched",status="405"}} 1.0' in text
    assert "random" not in text and "PROPFIND" not in text
