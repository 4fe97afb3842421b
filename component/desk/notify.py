"""The notification API's use case (SPEC §6): a site's server tells its operators something (a cart
filled, an order placed, with a link), as a Jabber message from the site's desk JID.

To `online` operators (enabled ones online at the desk now) or `all` enabled ones (the server
stores it for those offline: a `chat` message, which ejabberd's mod_offline keeps, unlike a
`headline`). Archived as a site event of category `notify`. Refused, with nothing sent, while the
archive is at its cap. Synchronous; must not import asyncio or any adapter library.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from component import texts
from component.desk.state import DeskState
from component.errors import ArchiveFull
from component.models import Operator, Site
from component.records import SiteEventRecorded

log = logging.getLogger(__name__)

CATEGORY = "notify"


class Audience(StrEnum):
    ONLINE = "online"
    ALL = "all"


@dataclass(frozen=True, slots=True)
class Notification:
    text: str
    url: str
    audience: Audience


def new_event_key() -> str:
    return f"{CATEGORY}:{secrets.token_hex(16)}"


class Notifier:
    def __init__(self, state: DeskState, event_key: Callable[[], str] = new_event_key) -> None:
        """`event_key` names each site event (unique: the archive stores a key once)."""
        self._s = state
        self._event_key = event_key

    def notify(self, site: Site, note: Notification) -> int:
        """Send `note` to the site's chosen operators; how many it was sent to. ArchiveFull (and
        nothing sent) while the archive cannot take the site event."""
        s = self._s
        if not s.archive.accepting:
            s.on_archive_full()
            raise ArchiveFull("the archive is catching up; nothing was sent, try again shortly")
        desk, body = s.addresses.desk(site.slug), texts.notification(note.text, note.url)
        recipients = self.recipients(site, note.audience)
        for operator in recipients:
            s.out.send_message(desk, operator.jid, body)
        self._archive(site, note, len(recipients))
        log.info("site %s notified %d operator(s) (%s)", site.slug, len(recipients), note.audience)
        return len(recipients)

    def recipients(self, site: Site, audience: Audience) -> list[Operator]:
        """The site's enabled operators, only those online at its desk for `online`."""
        enabled = [op for op in self._s.directory.operators(site.id) if op.enabled]
        if audience is Audience.ALL:
            return enabled
        return [op for op in enabled if self._s.is_online(site, op.jid)]

    def _archive(self, site: Site, note: Notification, delivered_to: int) -> None:
        event = SiteEventRecorded(
            event_key=self._event_key(),
            site_id=site.id,
            at=self._s.clock(),
            category=CATEGORY,
            text=note.text,
            url=note.url,
            audience=note.audience.value,
            delivered_to=delivered_to,
        )
        self._s.archive.add_record(event)
