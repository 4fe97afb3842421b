"""Typed keys: what the handlers find on the aiohttp Application and on each Request."""

from __future__ import annotations

from typing import Protocol

from aiohttp import web

from component.web.health import Health


class MetricsPage(Protocol):
    """What the web side needs of component.metrics.Metrics."""

    @property
    def content_type(self) -> str: ...

    def render(self) -> bytes: ...

    def count_http_request(self, route: str, method: str, status: int) -> None: ...

    def count_rate_limited(self, limit: str) -> None: ...


HEALTH = web.AppKey("health", Health)
METRICS = web.AppKey[MetricsPage]("metrics")
CLIENT_IP = web.RequestKey("client_ip", str)
"""The visitor's address: the peer, or what a trusted proxy forwarded (see proxies.py)."""
