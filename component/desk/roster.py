"""The desks' side of the roster contract (SPEC §2): presence subscriptions with the site's
operators, answers to their probes, and the desks' own presence, whose status tells how many
visitors wait. Requests nobody approved are asked again now and then. Strangers get no access.
Where the server gives its API (the RosterPushes port), an operator not subscribed yet gets the
desk put into their roster instead, once per run; only when that fails are they asked.

Must not import any adapter library.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from component import texts
from component.archive import OperatorUpdate
from component.desk.ports import PresenceType
from component.desk.state import DeskState
from component.models import Operator, Site

log = logging.getLogger(__name__)

REASK_SECONDS = 600.0
"""An operator who has not approved the desk's subscription is asked again after this long
(a request sent before their account existed, or while they were offline, can be lost)."""
MAX_ASKS_PER_HOUR = 4
"""No operator is asked more often than this in any hour."""
REASK_SCAN_SECONDS = 10.0
"""How often the timer looks for operators to ask again."""
REFUSED_BACKOFF_SECONDS = 86_400.0
"""An operator who said no (`unsubscribed`) is not asked again by the timer for this long; a
reconnect still greets, and so asks, everyone (the way back if the no came from their server)."""
STATUS_MIN_SECONDS = 5.0
"""A desk's status goes to its operators at most this often, however fast the queue changes."""
_HOUR = 3600.0


class DeskRoster:
    def __init__(self, state: DeskState) -> None:
        self._desk = state
        self._shown: dict[int, str] = {}  # site id -> the status its operators were last sent
        self._shown_at: dict[int, float] = {}  # site id -> when the status was last sent
        self._asked: dict[tuple[int, str], list[float]] = {}  # (site, jid) -> asks this hour
        self._refused: dict[tuple[int, str], float] = {}  # (site, jid) -> when they said no
        self._push_tried: set[tuple[int, str]] = set()  # (site, jid) pushed once this run
        self._pushing: set[tuple[int, str]] = set()  # (site, jid) whose push has no answer yet
        self._next_scan = 0.0

    def greet(self, site: Site, op: Operator) -> None:
        """Show the desk as available to an operator; probe their presence, or ask for it.

        No probe before they approved: Prosody answers such a probe with `unsubscribed` on their
        behalf, which cancels the pending request.
        """
        status = self._show(site, op.jid)
        self._shown.setdefault(site.id, status)  # a change meanwhile is sent by the next tick
        if op.subscribed:
            self._probe(site, op.jid)
        elif not self._push(site, op):
            self._ask(site, op.jid)

    def pushed(self, slug: str, jid: str, pushed: bool) -> None:
        """The server's API answered a push: the operator's presence is the desk's now (stored
        by whoever pushed), so probe it; or the push failed, so ask for it as without the API."""
        operator = self._member(jid, slug)
        if operator is None:
            return
        site = self._desk.site(slug)
        self._pushing.discard((site.id, jid))
        if not pushed:
            self._ask(site, jid)
            return
        if not operator.subscribed:
            self._desk.directory.update_operator(replace(operator, subscribed=True))
        self._probe(site, jid)

    def release(self, site: Site, op: Operator) -> None:
        """An operator removed from a site: end both subscriptions."""
        desk_jid, out = self._desk.addresses.desk(site.slug), self._desk.out
        out.send_presence(desk_jid, op.jid, PresenceType.UNSUBSCRIBED)
        out.send_presence(desk_jid, op.jid, PresenceType.UNSUBSCRIBE)
        self._asked.pop((site.id, op.jid), None)
        self._refused.pop((site.id, op.jid), None)
        self._push_tried.discard((site.id, op.jid))  # added again: pushed again
        self._pushing.discard((site.id, op.jid))

    def requested(self, jid: str, slug: str) -> None:
        """Someone asks to see the desk's presence: granted to the site's operators only."""
        operator = self._member(jid, slug)
        desk_jid, out = self._desk.addresses.desk(slug), self._desk.out
        if operator is None:
            out.send_presence(desk_jid, jid, PresenceType.UNSUBSCRIBED)
            return
        site = self._desk.site(slug)
        out.send_presence(desk_jid, jid, PresenceType.SUBSCRIBED)
        self._show(site, jid)
        if not operator.subscribed and (site.id, jid) not in self._pushing:
            self._ask(site, jid)

    def granted(self, jid: str, slug: str, granted: bool) -> None:
        """The operator approved (or revoked) the desk's subscription to their presence."""
        operator = self._member(jid, slug)
        if operator is None:
            return
        key = (operator.site_id, jid)
        if granted:
            self._refused.pop(key, None)
        else:
            self._refused[key] = self._desk.clock()
        if operator.subscribed == granted:
            return
        self._desk.directory.update_operator(replace(operator, subscribed=granted))
        if granted:  # their client may have dropped the desk's presence sent before it knew it
            self._show(self._desk.site(slug), jid)
        now = self._desk.clock() if granted else None
        self._desk.archive.add_operator_update(
            OperatorUpdate(operator.site_id, jid, subscribed_at=now, unsubscribed=not granted)
        )

    def resource_available(self, site: Site, jid: str, resource: str) -> None:
        """An operator's resource the desk did not know yet: show it the desk.

        A client that approved the desk without subscribing back (Converse.js does) is never
        sent the desk's presence by its server: the desk answers each new resource itself.
        """
        if resource not in self._desk.presence.resources_of(jid, site.id):
            self._show(site, f"{jid}/{resource}" if resource else jid)

    def probed(self, jid: str, slug: str) -> None:
        if self._member(jid, slug) is not None:
            self._show(self._desk.site(slug), jid)

    def on_tick(self, now: float) -> None:
        """Timer (while connected): send each desk's status where its text changed; ask again
        whoever has not approved the desk's subscription, when it is time."""
        for site in self._desk.directory.sites():
            status = texts.desk_status(len(self._desk.chats.queued(site.id)))
            recently = now - self._shown_at.get(site.id, -STATUS_MIN_SECONDS) < STATUS_MIN_SECONDS
            if self._shown.get(site.id) != status and not recently:
                self._shown[site.id], self._shown_at[site.id] = status, now
                for op in self._desk.directory.operators(site.id):
                    self._show(site, op.jid, status)
        if now >= self._next_scan:
            self._next_scan = now + REASK_SCAN_SECONDS
            self._ask_again(now)

    def _show(self, site: Site, jid: str, status: str | None = None) -> str:
        """Send the desk's available presence, with its status, to one operator."""
        if status is None:
            status = texts.desk_status(len(self._desk.chats.queued(site.id)))
        desk_jid = self._desk.addresses.desk(site.slug)
        self._desk.out.send_presence(desk_jid, jid, PresenceType.AVAILABLE, status=status)
        return status

    def _probe(self, site: Site, jid: str) -> None:
        desk_jid = self._desk.addresses.desk(site.slug)
        self._desk.out.send_presence(desk_jid, jid, PresenceType.PROBE)

    def _push(self, site: Site, op: Operator) -> bool:
        """Have the desk put into the operator's roster, the first time this run; False when
        there is no API or it was tried already (then they are asked)."""
        pushes, key = self._desk.roster_pushes, (site.id, op.jid)
        if pushes is None or key in self._push_tried:
            return False
        self._push_tried.add(key)
        self._pushing.add(key)
        pushes.push(site, op)
        return True

    def _ask(self, site: Site, jid: str) -> None:
        """Ask an operator for their presence; the time is kept for `_ask_again`."""
        desk_jid = self._desk.addresses.desk(site.slug)
        self._desk.out.send_presence(desk_jid, jid, PresenceType.SUBSCRIBE)
        self._asked.setdefault((site.id, jid), []).append(self._desk.clock())

    def _ask_again(self, now: float) -> None:
        """Operators who have not approved: asked once more if their last ask is old enough and
        they were not asked too often this hour. Forgets whoever approved or left."""
        asked, self._asked = self._asked, {}
        refused, self._refused = self._refused, {}
        for site in self._desk.directory.sites():
            for op in self._desk.directory.operators(site.id):
                said_no = refused.get((site.id, op.jid))
                if said_no is not None and now - said_no < REFUSED_BACKOFF_SECONDS:
                    self._refused[(site.id, op.jid)] = said_no
                    continue
                if op.subscribed or (site.id, op.jid) in self._pushing:
                    continue
                recent = [t for t in asked.get((site.id, op.jid), []) if now - t < _HOUR]
                self._asked[(site.id, op.jid)] = recent
                due = not recent or now - recent[-1] >= REASK_SECONDS
                if due and len(recent) < MAX_ASKS_PER_HOUR:
                    log.info("asking %s again to approve the desk %s", op.jid, site.slug)
                    self._ask(site, op.jid)

    def _member(self, jid: str, slug: str) -> Operator | None:
        site = self._desk.directory.site(slug)
        return None if site is None else self._desk.directory.operator(site.id, jid)
