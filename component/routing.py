"""Pure routing: which operator takes a new chat, and why (SPEC §4).

Plain synchronous code over plain values: no I/O, no await, no clock (``now`` is a parameter), no
global randomness (a seeded ``random.Random`` is passed in). Imports only models and
sortedcontainers. A ``SiteRouter`` keeps per-site sorted indexes updated on ``upsert``, so a
decision examines only the few operators at the head of the strategy's order.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from itertools import islice

from sortedcontainers import SortedList

from component.models import Strategy, Tier

SortKey = tuple[float, float, float, float, str]
"""Four ordering numbers (smaller first), then the jid as the deterministic tie-break."""

NEVER = -math.inf
"""Sort value of 'never' (no assignment, no activity): it comes before every real instant."""

OFFLINE_SECTION = (0.0, NEVER, NEVER, NEVER, "")
"""Every key starts with a negative number for online operators and 0 for offline ones."""

TOP = 10
"""How many operators of the strategy's order a decision lists in ``considered``."""

NOT_AN_OPERATOR = "not an operator of this site"


@dataclass(frozen=True, slots=True)
class Candidate:
    """One enabled operator of a site as routing sees them (the desk builds it).

    Leave disabled operators out (``SiteRouter.remove``): an online candidate counts as online,
    even when not accepting, and so turns "nobody online" into a queue.
    """

    jid: str
    name: str
    priority: int = 0
    tier: Tier = Tier.OFFLINE
    accepting: bool = True
    open_chats: int = 0
    max_chats: int = 0
    last_assigned_at: float | None = None
    idle_since: float | None = None

    @property
    def online(self) -> bool:
        return self.tier > Tier.OFFLINE

    @property
    def has_room(self) -> bool:
        return self.max_chats == 0 or self.open_chats < self.max_chats

    @property
    def eligible(self) -> bool:
        return self.accepting and self.has_room


class Outcome(StrEnum):
    ASSIGN = "assign"
    QUEUE = "queue"
    OFFLINE = "offline"
    NOBODY = "nobody"


@dataclass(frozen=True, slots=True)
class Considered:
    """One operator a decision examined, with the note saying what was made of them."""

    jid: str
    name: str
    tier: Tier
    priority: int
    idle_seconds: float | None
    open_chats: int
    max_chats: int
    accepting: bool
    note: str
    last_assigned_seconds: float | None = None


_HEADLINES = {
    Outcome.ASSIGN: "assigned to {operator}",
    Outcome.QUEUE: "queued: operators are online but none can take a new chat now",
    Outcome.OFFLINE: "nobody online: sent to {operator} as an offline message",
    Outcome.NOBODY: "no operator can take it",
}


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    operator: str | None
    rule: str
    considered: tuple[Considered, ...] = ()

    def explain(self) -> str:
        """Readable multi-line text for the operator command ``/info``."""
        lines = [
            "Routing: " + _HEADLINES[self.outcome].format(operator=self.operator),
            f"Rule: {self.rule}",
            f"Considered ({len(self.considered)}):",
        ]
        lines += [f"  {_describe(row)}" for row in self.considered]
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class RouteOptions:
    is_target: bool = False
    default_operator: str | None = None
    target_operator: str | None = None
    chosen_operator: str | None = None
    exclude: frozenset[str] = frozenset()


def _describe(row: Considered) -> str:
    if row.note.endswith(NOT_AN_OPERATOR):
        return f"{row.jid} — {row.note}"
    limit = str(row.max_chats) if row.max_chats else "∞"
    text = (
        f"{row.jid} ({row.name}): {row.tier.name.lower()}, priority {row.priority}, "
        f"idle {_duration(row.idle_seconds, 'never active')}, chats {row.open_chats}/{limit}"
    )
    if row.last_assigned_seconds is not None:
        text += f", last chat {_duration(row.last_assigned_seconds, '')} ago"
    return f"{text} — {row.note}"


def _duration(seconds: float | None, never: str) -> str:
    if seconds is None:
        return never
    whole = int(max(seconds, 0.0))
    for unit, size, sub, sub_size in (("d", 86400, "h", 3600), ("h", 3600, "m", 60)):
        if whole >= size:
            return f"{whole // size}{unit}{whole % size // sub_size:02d}{sub}"
    return f"{whole // 60}m{whole % 60:02d}s" if whole >= 60 else f"{whole}s"


def _when(instant: float | None) -> float:
    return NEVER if instant is None else instant


def _priority_key(c: Candidate) -> SortKey:
    return (-c.tier, -c.priority, _when(c.idle_since), 0.0, c.jid)


def _duty_key(c: Candidate) -> SortKey:
    return (-float(c.online), -c.priority, -c.tier, _when(c.idle_since), c.jid)


def _round_robin_key(c: Candidate) -> SortKey:
    return (-c.tier, _when(c.last_assigned_at), 0.0, 0.0, c.jid)


def _random_key(c: Candidate) -> SortKey:
    return (-c.tier, 0.0, 0.0, 0.0, c.jid)


def _least_busy_key(c: Candidate) -> SortKey:
    return (-c.tier, c.open_chats, _when(c.last_assigned_at), _when(c.idle_since), c.jid)


@dataclass(frozen=True, slots=True)
class _Order:
    """A strategy as an order over candidates; with random ties, equal first four numbers tie."""

    key: Callable[[Candidate], SortKey]
    random_ties: bool
    rule: str


_ORDERS = {
    Strategy.PRIORITY: _Order(
        _priority_key, False, "priority: highest tier, then priority, then idle longest"
    ),
    Strategy.DUTY: _Order(
        _duty_key, False, "duty: highest-priority online operator, then tier, then idle longest"
    ),
    Strategy.ROUND_ROBIN: _Order(
        _round_robin_key,
        True,
        "round robin: oldest last assignment (never assigned first), tie broken at random",
    ),
    Strategy.RANDOM: _Order(_random_key, True, "random: any eligible operator of the best tier"),
    Strategy.LEAST_BUSY: _Order(
        _least_busy_key,
        False,
        "least busy: fewest open chats, then oldest last assignment (never assigned first)",
    ),
}


def _refusal(c: Candidate | None, exclude: frozenset[str], need_online: bool) -> str | None:
    """Why this operator cannot take the chat, or None when they can."""
    if c is None:
        return NOT_AN_OPERATOR
    if c.jid in exclude:
        return "excluded"
    if need_online and not c.online:
        return "offline"
    if not c.accepting:
        return "dnd or paused" if c.online else "paused or disabled"
    if not c.has_room:
        return f"at capacity {c.open_chats}/{c.max_chats}"
    return None


def _row(c: Candidate, note: str, now: float) -> Considered:
    idle = None if c.idle_since is None else now - c.idle_since
    assigned = None if c.last_assigned_at is None else now - c.last_assigned_at
    busy = (c.open_chats, c.max_chats)
    return Considered(c.jid, c.name, c.tier, c.priority, idle, *busy, c.accepting, note, assigned)


def _named_row(jid: str, candidate: Candidate | None, note: str, now: float) -> Considered:
    if candidate is None:
        return Considered(jid, "", Tier.OFFLINE, 0, None, 0, 0, False, note)
    return _row(candidate, note, now)


def _named_checks(options: RouteOptions) -> list[tuple[str, str]]:
    """The operators named for this chat, each with the rule that names them, in check order."""
    checks = []
    if options.chosen_operator:
        checks.append((options.chosen_operator, "visitor's choice"))
    if options.is_target and options.target_operator:
        checks.append((options.target_operator, "default operator for target visitors"))
    elif options.default_operator:
        checks.append((options.default_operator, "default operator"))
    return checks


@dataclass(slots=True)
class _Pick:
    """What the strategy found in one section (online or offline) of the order."""

    start: SortKey | None
    winner: SortKey | None
    duty_top: SortKey | None = None


class SiteRouter:
    """One site's candidates with sorted indexes for the current strategy. Mutable, pure."""

    def __init__(self, strategy: Strategy = Strategy.PRIORITY) -> None:
        self._candidates: dict[str, Candidate] = {}
        self._keys: dict[str, SortKey] = {}
        self._all: SortedList[SortKey] = SortedList()
        self._eligible: SortedList[SortKey] = SortedList()
        self._online = 0
        self._strategy = strategy
        self._order = _ORDERS[strategy]

    def _rebuild(self, strategy: Strategy) -> None:
        candidates = list(self._candidates.values())
        self._candidates.clear()
        self._keys.clear()
        self._all.clear()
        self._eligible.clear()
        self._online = 0
        self._strategy = strategy
        self._order = _ORDERS[strategy]
        for candidate in candidates:
            self.upsert(candidate)

    @property
    def strategy(self) -> Strategy:
        return self._strategy

    @strategy.setter
    def strategy(self, strategy: Strategy) -> None:
        if strategy != self._strategy:
            self._rebuild(strategy)

    def __len__(self) -> int:
        return len(self._candidates)

    def get(self, jid: str) -> Candidate | None:
        return self._candidates.get(jid)

    def upsert(self, candidate: Candidate) -> None:
        """Add or replace an operator; call it whenever any of their routing inputs change."""
        old = self._candidates.get(candidate.jid)
        key = self._order.key(candidate)
        if old is not None and key == self._keys[old.jid] and old.eligible == candidate.eligible:
            self._candidates[candidate.jid] = candidate
            return
        self.remove(candidate.jid)
        self._candidates[candidate.jid] = candidate
        self._keys[candidate.jid] = key
        self._all.add(key)
        if candidate.eligible:
            self._eligible.add(key)
        self._online += candidate.online

    def remove(self, jid: str) -> None:
        old = self._candidates.pop(jid, None)
        if old is None:
            return
        key = self._keys.pop(jid)
        self._all.remove(key)
        if old.eligible:
            self._eligible.remove(key)
        self._online -= old.online

    def route(self, options: RouteOptions, now: float, rng: random.Random) -> Decision:
        """Decide who takes a new chat: named operators first, then the strategy (SPEC §4)."""
        rows: list[Considered] = []
        for jid, rule in _named_checks(options):
            candidate = self._candidates.get(jid)
            reason = _refusal(candidate, options.exclude, need_online=True)
            if candidate is not None and reason is None:
                rows.append(_row(candidate, f"chosen ({rule})", now))
                return Decision(Outcome.ASSIGN, jid, rule, tuple(rows))
            rows.append(_named_row(jid, candidate, f"{rule}: {reason}", now))
        return self._route_by_strategy(options, now, rng, rows)

    def _route_by_strategy(
        self, options: RouteOptions, now: float, rng: random.Random, rows: list[Considered]
    ) -> Decision:
        exclude = options.exclude
        online = self._online_count(exclude)
        pick = self._pick_online(exclude, rng) if online else self._pick_offline(exclude, rng)
        rows += self._examined(pick, exclude, online, now)
        winner = None if pick.winner is None else pick.winner[4]
        if winner is not None:
            outcome = Outcome.ASSIGN if online else Outcome.OFFLINE
        else:
            outcome = Outcome.QUEUE if online else Outcome.NOBODY
        return Decision(outcome, winner, self._rule(outcome, pick), tuple(rows))

    def _online_count(self, exclude: frozenset[str]) -> int:
        excluded = sum(1 for jid in exclude if (c := self._candidates.get(jid)) and c.online)
        return self._online - excluded

    def _pick_online(self, exclude: frozenset[str], rng: random.Random) -> _Pick:
        winner = self._first(self._eligible, None, exclude)
        if winner is not None and winner[0] >= 0:
            winner = None  # the best eligible operator is offline while others are online
        if self._strategy is Strategy.DUTY:
            top = self._first(self._all, None, exclude)
            if winner is not None and top is not None and winner[:2] != top[:2]:
                winner = None  # the operators on duty are online but cannot take it: queue
            return _Pick(None, winner, top)
        return _Pick(None, self._draw_tie(winner, exclude, rng))

    def _pick_offline(self, exclude: frozenset[str], rng: random.Random) -> _Pick:
        winner = self._first(self._eligible, OFFLINE_SECTION, exclude)
        return _Pick(OFFLINE_SECTION, self._draw_tie(winner, exclude, rng))

    @staticmethod
    def _first(
        index: SortedList[SortKey], start: SortKey | None, exclude: frozenset[str]
    ) -> SortKey | None:
        return next((key for key in index.irange(start) if key[4] not in exclude), None)

    def _draw_tie(
        self, first: SortKey | None, exclude: frozenset[str], rng: random.Random
    ) -> SortKey | None:
        """For random-tie strategies, draw uniformly among the non-excluded keys tied with first."""
        if first is None or not self._order.random_ties:
            return first
        lo, hi = self._tie_span(first)
        skipped = sorted(self._eligible.index(key) for key in self._tied(first, exclude))
        count = hi - lo - len(skipped)
        position = lo + (rng.randrange(count) if count > 1 else 0)
        for excluded_position in skipped:
            position += excluded_position <= position
        return self._eligible[position]

    def _tie_span(self, first: SortKey) -> tuple[int, int]:
        a, b, c, d, _ = first
        lo = self._eligible.bisect_left((a, b, c, d, ""))
        return lo, self._eligible.bisect_left((a, b, c, math.nextafter(d, math.inf), ""))

    def _tied(self, first: SortKey, exclude: frozenset[str]) -> Iterator[SortKey]:
        for jid in exclude:
            candidate = self._candidates.get(jid)
            if candidate is not None and candidate.eligible and self._keys[jid][:4] == first[:4]:
                yield self._keys[jid]

    def _examined(
        self, pick: _Pick, exclude: frozenset[str], online: int, now: float
    ) -> list[Considered]:
        """The head of the order in the searched section, plus the winner if further down."""
        keys = list(islice(self._all.irange(pick.start), TOP))
        if pick.winner is not None and pick.winner not in keys:
            keys.append(pick.winner)

        def row(key: SortKey) -> Considered:
            return _row(self._candidates[key[4]], self._note(key, pick, exclude, online), now)

        return [row(key) for key in keys]

    def _note(self, key: SortKey, pick: _Pick, exclude: frozenset[str], online: int) -> str:
        candidate = self._candidates[key[4]]
        winner = pick.winner
        if key == winner:
            return "chosen"
        reason = _refusal(candidate, exclude, need_online=bool(online))
        if reason is not None:
            return reason
        if pick.duty_top is not None and key[:2] != pick.duty_top[:2]:
            return f"below duty priority {-pick.duty_top[1]:g}"
        if winner is not None and key[0] > winner[0]:
            return "lower tier"
        if winner is not None and self._order.random_ties and key[:4] == winner[:4]:
            return "tied, not drawn"
        return "ranked lower"

    def _rule(self, outcome: Outcome, pick: _Pick) -> str:
        if outcome is Outcome.ASSIGN:
            return self._order.rule
        if outcome is Outcome.OFFLINE:
            return f"nobody online, so among offline operators by {self._order.rule}"
        if outcome is Outcome.NOBODY:
            return "nobody online and no offline operator can take it (capacity, paused)"
        if pick.duty_top is not None:
            top = f"{-pick.duty_top[1]:g}"
            return f"duty: the operators on duty (priority {top}) are online but cannot take it"
        return "queue: every online operator is at capacity, dnd, paused or excluded"


def route_chat(
    strategy: Strategy,
    candidates: Iterable[Candidate],
    options: RouteOptions,
    now: float,
    rng: random.Random,
) -> Decision:
    """Route one chat over a one-off set of candidates (tests, sites with few operators)."""
    router = SiteRouter(strategy)
    for candidate in candidates:
        router.upsert(candidate)
    return router.route(options, now, rng)
