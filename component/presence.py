"""Pure presence table: every resource of every operator, per desk -> tier, dnd, idle (SPEC §3).

Presence is kept per (operator, desk): each desk receives its own copy of an operator's presence,
and a desk's `unavailable` (an operator leaving that site, or dropping that desk from their roster)
matters only to that desk's site.

Plain synchronous code over plain values: no I/O, no await, no clock (``now`` is a parameter), no
slixmpp. Imports only models.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from component.models import ResourcePresence, Show, Tier

TIER_OF_SHOW = {
    Show.CHAT: Tier.AVAILABLE,
    Show.AVAILABLE: Tier.AVAILABLE,
    Show.AWAY: Tier.AWAY,
    Show.XA: Tier.XA,
    Show.DND: Tier.AVAILABLE,  # online, but explicitly taking no new chats: see is_dnd
}

ACCEPTING_SHOWS = frozenset({Show.CHAT, Show.AVAILABLE})

_SHOW_RANK = {Show.XA: 0, Show.AWAY: 1, Show.AVAILABLE: 2, Show.CHAT: 3, Show.DND: 4}
"""Which show summarises an operator: dnd (explicit intent) wins, then the most available."""


@dataclass(frozen=True, slots=True)
class OperatorPresence:
    """One operator's presence, summarised over all their connected resources (for /status)."""

    tier: Tier = Tier.OFFLINE
    dnd: bool = False
    resources: int = 0
    show: Show | None = None
    status: str = ""
    available_since: float | None = None
    client_idle_since: float | None = None

    @property
    def online(self) -> bool:
        return self.tier > Tier.OFFLINE


def idle_since(
    last_assigned: float | None, last_replied: float | None, became_available: float | None
) -> float | None:
    """The instant idle time counts from: the latest of the three; None = never active."""
    instants = [t for t in (last_assigned, last_replied, became_available) if t is not None]
    return max(instants, default=None)


def _status_rank(resource: str, presence: ResourcePresence) -> tuple[int, int, str]:
    return (presence.priority, _SHOW_RANK[presence.show], resource)


class PresenceTable:
    """Bare JID -> (site, resource) -> what that resource last told that site's desk.

    Only connected resources are kept. Queries take the site; `site=None` looks across every
    desk (for views and tests, never for routing).
    """

    def __init__(self) -> None:
        self._operators: dict[str, dict[tuple[int, str], ResourcePresence]] = {}

    def set_available(
        self,
        jid: str,
        resource: str,
        show: Show,
        status: str,
        priority: int,
        idle_since: float | None,
        now: float,
        *,
        site: int = 0,
    ) -> None:
        """Record an available presence (any show but offline) of one resource to one desk."""
        resources = self._operators.setdefault(jid, {})
        previous = resources.get((site, resource))
        since = now
        if previous is not None and previous.show in ACCEPTING_SHOWS and show in ACCEPTING_SHOWS:
            since = previous.available_since  # still the same available spell
        resources[(site, resource)] = ResourcePresence(show, status, priority, since, idle_since)

    def set_unavailable(self, jid: str, resource: str, *, site: int = 0) -> None:
        resources = self._operators.get(jid, {})
        resources.pop((site, resource), None)
        if not resources:
            self._operators.pop(jid, None)

    def forget(self, jid: str, site: int | None = None) -> None:
        """Drop what the operator told one desk (or every desk)."""
        resources = self._operators.get(jid)
        if resources is None:
            return
        for key in [k for k in resources if site is None or k[0] == site]:
            del resources[key]
        if not resources:
            del self._operators[jid]

    def clear(self) -> None:
        self._operators.clear()

    def resources_of(self, jid: str, site: int | None = None) -> dict[str, ResourcePresence]:
        """A copy of the operator's connected resources (as seen by one desk, or by any)."""
        return {resource: p for resource, p in self._of(jid, site)}

    def tier_of(self, jid: str, site: int | None = None) -> Tier:
        """The best tier among the operator's resources (dnd counts as online, AVAILABLE)."""
        return max((TIER_OF_SHOW[p.show] for _, p in self._of(jid, site)), default=Tier.OFFLINE)

    def is_dnd(self, jid: str, site: int | None = None) -> bool:
        """True when any connected resource shows dnd: no new chats, whatever the others say."""
        return any(p.show is Show.DND for _, p in self._of(jid, site))

    def available_since(self, jid: str, site: int | None = None) -> float | None:
        """Earliest start of the current chat/available spell among resources showing it now."""
        spells = [p.available_since for _, p in self._of(jid, site) if p.show in ACCEPTING_SHOWS]
        return min(spells, default=None)

    def client_idle_since(self, jid: str, site: int | None = None) -> float | None:
        """XEP-0319 idle-since: the latest among resources; None if any resource is not idle."""
        instants = [p.idle_since for _, p in self._of(jid, site)]
        if not instants or None in instants:
            return None
        return max(t for t in instants if t is not None)

    def summary(self, jid: str, site: int | None = None) -> OperatorPresence:
        resources = self.resources_of(jid, site)
        if not resources:
            return OperatorPresence()
        shows = [r.show for r in resources.values()]
        loudest = max(resources.items(), key=lambda item: _status_rank(*item))
        return OperatorPresence(
            tier=self.tier_of(jid, site),
            dnd=self.is_dnd(jid, site),
            resources=len(resources),
            show=max(shows, key=_SHOW_RANK.__getitem__),
            status=loudest[1].status,
            available_since=self.available_since(jid, site),
            client_idle_since=self.client_idle_since(jid, site),
        )

    def online_operators(self) -> Iterator[str]:
        """Bare JIDs with at least one connected resource (tier above OFFLINE) at any desk."""
        return iter(list(self._operators))

    def _of(self, jid: str, site: int | None) -> Iterator[tuple[str, ResourcePresence]]:
        for (desk, resource), presence in self._operators.get(jid, {}).items():
            if site is None or desk == site:
                yield resource, presence
