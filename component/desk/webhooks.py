"""What to deliver: each event of a site, for each webhook of that site taking it, becomes a
delivery record appended through the archive port (stored before it is attempted, spooled at a
stop, never lost). The webhooks themselves are kept in a book the wiring refreshes.

Must not import asyncio or any adapter library.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Mapping

from component.desk.ports import ArchiveSink
from component.models import Site
from component.records import DeliveryQueued
from component.webhook_events import WebhookTarget
from component.webhook_payloads import envelope

log = logging.getLogger(__name__)


class WebhookBook:
    """The webhooks of every site, as last read (`replace`); empty until then."""

    def __init__(self) -> None:
        self._by_site: dict[int, tuple[WebhookTarget, ...]] = {}
        self._events: dict[int, frozenset[str]] = {}

    def replace(self, targets: Iterable[WebhookTarget]) -> None:
        by_site: dict[int, list[WebhookTarget]] = {}
        for target in targets:
            by_site.setdefault(target.site_id, []).append(target)
        self._by_site = {site: tuple(found) for site, found in by_site.items()}
        self._events = {
            site: frozenset().union(*(t.events for t in found)) for site, found in by_site.items()
        }

    def wants(self, site_id: int, event: str) -> bool:
        """Whether a webhook of the site takes `event` (cheap: asked for every message)."""
        events = self._events.get(site_id)
        return events is not None and event in events

    def targets(self, site_id: int, event: str) -> tuple[WebhookTarget, ...]:
        return tuple(t for t in self._by_site.get(site_id, ()) if event in t.events)

    def webhooks(self) -> frozenset[tuple[int, int]]:
        """Every webhook as (site id, number)."""
        return frozenset((t.site_id, t.number) for found in self._by_site.values() for t in found)

    def __len__(self) -> int:
        return sum(len(found) for found in self._by_site.values())


def new_delivery_id() -> str:
    return str(uuid.uuid4())


class WebhookEmitter:
    """Turns a site's event into one delivery per webhook taking it; `new_id` gives each its
    stable id (uuid4), `sink` is the archive port the records go through."""

    def __init__(
        self, book: WebhookBook, sink: ArchiveSink, new_id: Callable[[], str] = new_delivery_id
    ) -> None:
        self.book = book
        self._sink = sink
        self._new_id = new_id

    def wants(self, site: Site, event: str) -> bool:
        return self.book.wants(site.id, event)

    def emit(self, site: Site, event: str, at: float, data: Mapping[str, object]) -> int:
        """Queue `event` (that happened at `at`) for the site's webhooks; how many took it."""
        targets = self.book.targets(site.id, event)
        for target in targets:
            delivery_id = self._new_id()
            body = envelope(delivery_id, event, site.slug, at, data)
            record = DeliveryQueued(delivery_id, site.id, target.number, event, body, at)
            self._sink.add_record(record)
        if targets:
            log.debug("webhooks: %s of %s queued for %d webhook(s)", event, site.slug, len(targets))
        return len(targets)
