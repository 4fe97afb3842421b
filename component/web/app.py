"""Builds the aiohttp Application: typed keys, the middlewares, the routes.

Middlewares, outermost first: the access log (it sees the final status), CORS (its headers go on
error answers too, so a widget can read them), the error mapping, then the per-address request
limit (its 429 is an error like any other).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from aiohttp import web

from component.config import HttpConfig
from component.visitor_limits import VisitorLimits
from component.web import live, openapi, ops, widget_assets
from component.web.access_log import access_middleware
from component.web.cors import OriginsOf, add_preflight_routes, cors_middleware
from component.web.errors import error_middleware
from component.web.feedback_api import add_routes as feedback_routes
from component.web.health import Health
from component.web.held import HELD, HeldConnections, connection_cap, open_file_limit
from component.web.keys import HEALTH, METRICS, MetricsPage
from component.web.notify_api import NotifyApi
from component.web.notify_api import add_routes as notify_routes
from component.web.proxies import networks
from component.web.ratelimits import RATE_LIMITS, RateLimits, requests_middleware
from component.web.site_api import AvatarStore, SiteApi
from component.web.site_api import add_routes as site_routes
from component.web.visitor_api import VisitorApi
from component.web.visitor_api import add_routes as visitor_routes


def build_app(
    config: HttpConfig,
    *,
    health: Health,
    metrics: MetricsPage,
    visitor_api: VisitorApi | None = None,
    avatars: AvatarStore | None = None,
    notify: NotifyApi | None = None,
    limits: VisitorLimits | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> web.Application:
    """`limits`: the visitor limits shared with the XMPP side (by default the app's own, from
    `config.rate_limits`, timed by `clock`, monotonic seconds); `avatars` (the sites' avatar
    images) comes with `visitor_api`, whose desk answers the site info; `notify` is the sites'
    servers' notification API."""
    origins = _origins_of(visitor_api)
    app = web.Application(
        middlewares=[
            access_middleware(networks(config.trusted_proxies), metrics.count_http_request),
            cors_middleware(origins, config.cors_max_age),
            error_middleware,
            requests_middleware,
        ],
        client_max_size=config.max_body_bytes,
    )
    app[HEALTH] = health
    app[METRICS] = metrics
    if limits is None:
        limits = VisitorLimits(config.rate_limits, clock, metrics.count_rate_limited)
    app[RATE_LIMITS] = RateLimits(limits)
    app[HELD] = HeldConnections(
        per_chat=config.max_sockets_per_chat,
        per_ip=config.max_connections_per_ip,
        total=connection_cap(config.max_held_connections, open_file_limit()),
    )
    ops.add_routes(app)
    openapi.add_routes(app)
    widget_assets.add_routes(app)
    if visitor_api is not None:
        if avatars is None:
            raise ValueError("the visitor API needs the avatar store (site info, avatars)")
        site_routes(app, SiteApi(visitor_api.desk, avatars, config.public_url))
        visitor_routes(app, visitor_api)
        feedback_routes(app)
        live.add_routes(app)
    if notify is not None:
        notify_routes(app, notify)
    add_preflight_routes(app)
    return app


def _origins_of(api: VisitorApi | None) -> OriginsOf:
    def origins_of(slug: str) -> tuple[str, ...]:
        site = None if api is None else api.desk.directory.site(slug)
        return () if site is None else site.settings.origins

    return origins_of
