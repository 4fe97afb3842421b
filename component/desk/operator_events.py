"""operator.online and operator.offline, debounced: the desk's OperatorWatch says when an operator
crosses online/offline at a site's desk; an event goes out only once the new state has held for
`debounce` seconds (its `at` is when it began), and not at all when it came back to what was last
sent. So a flapping client, a reconnection's "came online again" and a restart's first presence
emit nothing new.

What was last sent survives a restart (`seed`, from the deliveries stored). The desk does not
say when it lost an operator silently (they left while HelperChat was away from the server, or
were removed from the site): once presence has settled, an operator believed online who is not
counts as gone offline then. Must not import asyncio or any adapter library.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from component import webhook_payloads as payloads
from component.desk.state import DeskState
from component.desk.webhooks import WebhookEmitter
from component.models import Operator, Site
from component.webhook_events import OPERATOR_OFFLINE, OPERATOR_ONLINE

Key = tuple[int, int]
"""(site id, the operator's id at that site)."""


@dataclass(slots=True)
class _Track:
    operator_id: int
    operator: Operator | None  # None: known only from what was sent before a restart
    sent: bool | None  # the state last sent (True online); None: never
    online: bool | None = None  # the state now; None: not heard since the start
    since: float = 0.0


class OperatorEvents:
    """The OperatorWatch behind the operator webhooks; `on_tick(now)` sends what has held."""

    def __init__(self, emitter: WebhookEmitter, debounce: float) -> None:
        self._emitter = emitter
        self._debounce = debounce
        self._tracks: dict[Key, _Track] = {}
        self._state: DeskState | None = None

    def attach(self, state: DeskState) -> None:
        self._state = state

    def seed(self, last_sent: Mapping[Key, bool]) -> None:
        """What was last sent for each operator (True: online), before this process started."""
        for key, online in last_sent.items():
            self._tracks.setdefault(key, _Track(key[1], None, online))

    def came_online(self, site: Site, operator: Operator, now: float) -> None:
        self._note(site.id, operator, True, now)

    def went_offline(self, site: Site, operator: Operator, now: float) -> None:
        self._note(site.id, operator, False, now)

    def on_tick(self, now: float) -> None:
        """Notice operators lost silently (presence settled), then send the states that held."""
        state = self._state
        if state is None:
            return
        if state.connected and state.settle_until is None:
            self._notice_silent_losses(state, now)
        for key, track in list(self._tracks.items()):
            told_online = bool(track.sent)  # never told: as good as offline
            changed = track.online is not None and track.online != told_online
            if changed and now - track.since >= self._debounce:
                self._send(state, key, track)
            if track.online is False and not track.sent:
                del self._tracks[key]  # offline, and told so (or never told otherwise)

    def _note(self, site_id: int, operator: Operator, online: bool, now: float) -> None:
        key = (site_id, operator.id)
        track = self._tracks.get(key)
        if track is None:
            track = self._tracks[key] = _Track(operator.id, operator, None)
        track.operator = operator
        if track.online != online:
            track.online, track.since = online, now

    def _notice_silent_losses(self, state: DeskState, now: float) -> None:
        for (site_id, _), track in self._tracks.items():
            if track.online is False or (track.online is None and not track.sent):
                continue
            operator = self._operator(state, site_id, track)
            site = state.directory.site_by_id_or_none(site_id)
            if operator is None or site is None or not state.is_online(site, operator.jid):
                track.online, track.since = False, now

    def _send(self, state: DeskState, key: Key, track: _Track) -> None:
        site = state.directory.site_by_id_or_none(key[0])
        operator = self._operator(state, key[0], track)
        track.sent = track.online
        if site is None or operator is None:
            return  # the site or the membership is gone: nobody left to tell about it
        event = OPERATOR_ONLINE if track.online else OPERATOR_OFFLINE
        self._emitter.emit(site, event, track.since, payloads.operator_changed(operator))

    def _operator(self, state: DeskState, site_id: int, track: _Track) -> Operator | None:
        """The membership as the directory has it now, else as last heard of."""
        if track.operator is not None:
            current = state.directory.operator(site_id, track.operator.jid)
            return current or track.operator
        found = (op for op in state.directory.operators(site_id) if op.id == track.operator_id)
        track.operator = next(found, None)
        return track.operator
