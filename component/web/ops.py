"""Operations endpoints: GET /healthz and GET /metrics (SPEC 7.4)."""

from __future__ import annotations

from aiohttp import web

from component.web.keys import HEALTH, METRICS


async def healthz(request: web.Request) -> web.Response:
    """200 when the XMPP stream and the database are up, else 503; both named either way."""
    report = await request.app[HEALTH].report()
    return web.json_response(
        report.as_json(), status=200 if report.ok else 503, headers={"Cache-Control": "no-store"}
    )


async def metrics(request: web.Request) -> web.Response:
    """The Prometheus text of this process."""
    page = request.app[METRICS]
    return web.Response(body=page.render(), headers={"Content-Type": page.content_type})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
