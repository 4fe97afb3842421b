"""Pure presence table: every resource of every operator -> tier, dnd, idle instants (SPEC §3).

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
    """Bare JID -> resource -> what that resource last said. Only connected resources are kept."""

    def __init__(self) -> None:
        self._operators: dict[str, dict[str, ResourcePresence]] = {}

    def set_available(
        self,
        jid: str,
        resource: str,
        show: Show,
        status: str,
        priority: int,
        idle_since: float | None,
        now: float,
    ) -> None:
        """Record an available presence (any show but offline) of one resource."""
        resources = self._operators.setdefault(jid, {})
        previous = resources.get(resource)
        since = now
        if previous is not None and previous.show in ACCEPTING_SHOWS and show in ACCEPTING_SHOWS:
            since = previous.available_since  # still the same available spell
        resources[resource] = ResourcePresence(show, status, priority, since, idle_since)

    def set_unavailable(self, jid: str, resource: str) -> None:
        resources = self._operators.get(jid, {})
        resources.pop(resource, None)
        if not resources:
            self._operators.pop(jid, None)

    def forget(self, jid: str) -> None:
        self._operators.pop(jid, None)

    def clear(self) -> None:
        self._operators.clear()

    def resources_of(self, jid: str) -> dict[str, ResourcePresence]:
        """A copy of the operator's connected resources."""
        return dict(self._operators.get(jid, {}))

    def tier_of(self, jid: str) -> Tier:
        """The best tier among the operator's resources (dnd counts as online, AVAILABLE)."""
        resources = self._operators.get(jid, {})
        return max((TIER_OF_SHOW[r.show] for r in resources.values()), default=Tier.OFFLINE)

    def is_dnd(self, jid: str) -> bool:
        """True when any connected resource shows dnd: no new chats, whatever the others say."""
        return any(r.show is Show.DND for r in self._operators.get(jid, {}).values())

    def available_since(self, jid: str) -> float | None:
        """Earliest start of the current chat/available spell among resources showing it now."""
        resources = self._operators.get(jid, {}).values()
        spells = [r.available_since for r in resources if r.show in ACCEPTING_SHOWS]
        return min(spells, default=None)

    def client_idle_since(self, jid: str) -> float | None:
        """XEP-0319 idle-since: the latest among resources; None if any resource is not idle."""
        instants = [r.idle_since for r in self._operators.get(jid, {}).values()]
        if not instants or None in instants:
            return None
        return max(t for t in instants if t is not None)

    def summary(self, jid: str) -> OperatorPresence:
        resources = self._operators.get(jid)
        if not resources:
            return OperatorPresence()
        shows = [r.show for r in resources.values()]
        loudest = max(resources.items(), key=lambda item: _status_rank(*item))
        return OperatorPresence(
            tier=self.tier_of(jid),
            dnd=self.is_dnd(jid),
            resources=len(resources),
            show=max(shows, key=_SHOW_RANK.__getitem__),
            status=loudest[1].status,
            available_since=self.available_since(jid),
            client_idle_since=self.client_idle_since(jid),
        )

    def online_operators(self) -> Iterator[str]:
        """Bare JIDs with at least one connected resource (tier above OFFLINE)."""
        return iter(list(self._operators))
