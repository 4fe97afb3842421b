"""The desks' side of the roster contract (SPEC §2): presence subscriptions with the site's
operators, answers to their probes, and the desks' own presence. Strangers get no access.

Must not import any adapter library.
"""

from __future__ import annotations

from dataclasses import replace

from component.archive import OperatorUpdate
from component.desk.ports import PresenceType
from component.desk.state import DeskState
from component.models import Operator, Site


class DeskRoster:
    def __init__(self, state: DeskState) -> None:
        self._desk = state

    def greet(self, site: Site, op: Operator) -> None:
        """Show the desk as available to an operator; probe their presence, or ask for it.

        No probe before they approved: Prosody answers such a probe with `unsubscribed` on their
        behalf, which cancels the pending request.
        """
        desk_jid, out = self._desk.addresses.desk(site.slug), self._desk.out
        out.send_presence(desk_jid, op.jid, PresenceType.AVAILABLE)
        kind = PresenceType.PROBE if op.subscribed else PresenceType.SUBSCRIBE
        out.send_presence(desk_jid, op.jid, kind)

    def release(self, site: Site, op: Operator) -> None:
        """An operator removed from a site: end both subscriptions."""
        desk_jid, out = self._desk.addresses.desk(site.slug), self._desk.out
        out.send_presence(desk_jid, op.jid, PresenceType.UNSUBSCRIBED)
        out.send_presence(desk_jid, op.jid, PresenceType.UNSUBSCRIBE)

    def requested(self, jid: str, slug: str) -> None:
        """Someone asks to see the desk's presence: granted to the site's operators only."""
        operator = self._member(jid, slug)
        desk_jid, out = self._desk.addresses.desk(slug), self._desk.out
        if operator is None:
            out.send_presence(desk_jid, jid, PresenceType.UNSUBSCRIBED)
            return
        out.send_presence(desk_jid, jid, PresenceType.SUBSCRIBED)
        out.send_presence(desk_jid, jid, PresenceType.AVAILABLE)
        if not operator.subscribed:
            out.send_presence(desk_jid, jid, PresenceType.SUBSCRIBE)

    def granted(self, jid: str, slug: str, granted: bool) -> None:
        """The operator approved (or revoked) the desk's subscription to their presence."""
        operator = self._member(jid, slug)
        if operator is None or operator.subscribed == granted:
            return
        self._desk.directory.update_operator(replace(operator, subscribed=granted))
        now = self._desk.clock() if granted else None
        self._desk.archive.add_operator_update(
            OperatorUpdate(operator.site_id, jid, subscribed_at=now, unsubscribed=not granted)
        )

    def probed(self, jid: str, slug: str) -> None:
        if self._member(jid, slug) is not None:
            self._desk.out.send_presence(
                self._desk.addresses.desk(slug), jid, PresenceType.AVAILABLE
            )

    def _member(self, jid: str, slug: str) -> Operator | None:
        site = self._desk.directory.site(slug)
        return None if site is None else self._desk.directory.operator(site.id, jid)
