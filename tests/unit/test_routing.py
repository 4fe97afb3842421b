"""Tests for component/routing.py: strategies, shared rules, outcomes, the why, indexes."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import pytest

from component.models import Strategy, Tier
from component.routing import (
    TOP,
    Candidate,
    Decision,
    Outcome,
    RouteOptions,
    SiteRouter,
    route_chat,
)

NOW = 1_700_000_000.0
MINUTE = 60.0
ON, AWAY, XA, OFF = Tier.AVAILABLE, Tier.AWAY, Tier.XA, Tier.OFFLINE
FULL: dict[str, Any] = {"max_chats": 1, "open_chats": 1}


def op(
    jid: str,
    priority: int = 0,
    tier: Tier = ON,
    idle: float | None = None,
    assigned: float | None = None,
    open_chats: int = 0,
    max_chats: int = 0,
    accepting: bool = True,
) -> Candidate:
    """An operator idle for `idle` minutes, last assigned `assigned` minutes ago (None = never)."""
    return Candidate(
        jid=jid,
        name=jid.upper(),
        priority=priority,
        tier=tier,
        accepting=accepting,
        open_chats=open_chats,
        max_chats=max_chats,
        last_assigned_at=None if assigned is None else NOW - assigned * MINUTE,
        idle_since=None if idle is None else NOW - idle * MINUTE,
    )


def route(
    strategy: Strategy, candidates: Iterable[Candidate], seed: int = 0, **options: Any
) -> Decision:
    return route_chat(strategy, candidates, RouteOptions(**options), NOW, random.Random(seed))


def notes(decision: Decision) -> dict[str, str]:
    return {row.jid: row.note for row in decision.considered}


# -- worked examples from SPEC §4 ------------------------------------------------------------

SEED_A = op("a", priority=5, idle=10)
SEED_B = op("b", priority=10, idle=1)
SEED_C = op("c", priority=10, idle=7)
SEED_D = op("d", priority=99, tier=OFF)


@pytest.mark.parametrize(
    ("operators", "outcome", "chosen"),
    [
        ([SEED_A, SEED_B, SEED_C, SEED_D], Outcome.ASSIGN, "c"),
        ([SEED_A, SEED_B, replace(SEED_C, accepting=False), SEED_D], Outcome.ASSIGN, "b"),
        ([replace(o, tier=OFF) for o in (SEED_A, SEED_B, SEED_C)] + [SEED_D], Outcome.OFFLINE, "d"),
    ],
    ids=["c-idle-longest-of-top-priority", "c-dnd-gives-b", "all-offline-gives-d"],
)
def test_priority_worked_example(operators: list[Candidate], outcome: Outcome, chosen: str) -> None:
    decision = route(Strategy.PRIORITY, operators)
    assert (decision.outcome, decision.operator) == (outcome, chosen)


def _assign(router: SiteRouter, jid: str, at: float) -> None:
    """What the service does after an assignment: one more open chat, a fresh last assignment."""
    current = router.get(jid)
    assert current is not None
    router.upsert(
        replace(current, open_chats=current.open_chats + 1, last_assigned_at=at, idle_since=at)
    )


@pytest.mark.parametrize("seed", range(12))
def test_round_robin_worked_example(seed: int) -> None:
    router = SiteRouter(Strategy.ROUND_ROBIN)
    for jid in ("1", "2", "3"):
        router.upsert(op(jid))
    rng, noon = random.Random(seed), NOW
    routed = []
    for minutes in (0, 2, 8, 9):
        decision = router.route(RouteOptions(), noon + minutes * MINUTE, rng)
        assert decision.outcome is Outcome.ASSIGN and decision.operator is not None
        routed.append(decision.operator)
        _assign(router, decision.operator, noon + minutes * MINUTE)
    first, second, third, fourth = routed
    assert {first, second, third} == {"1", "2", "3"}  # nobody twice before everyone once
    assert fourth == first  # the earliest assignment goes first
    router.upsert(op("4"))
    assert router.route(RouteOptions(), noon + 10 * MINUTE, rng).operator == "4"


def test_round_robin_literal_example() -> None:
    """Chat 1 went to 2 at 12:00, chat 2 to 3 at 12:02: chat 3 -> 1, chat 4 -> 2, then 4."""
    router = SiteRouter(Strategy.ROUND_ROBIN)
    for jid in ("1", "2", "3"):
        router.upsert(op(jid))
    _assign(router, "2", NOW)
    assert router.route(RouteOptions(), NOW + MINUTE, random.Random(0)).operator in {"1", "3"}
    _assign(router, "3", NOW + 2 * MINUTE)
    assert router.route(RouteOptions(), NOW + 8 * MINUTE, random.Random(0)).operator == "1"
    _assign(router, "1", NOW + 8 * MINUTE)
    assert router.route(RouteOptions(), NOW + 9 * MINUTE, random.Random(0)).operator == "2"
    _assign(router, "2", NOW + 9 * MINUTE)
    router.upsert(op("4"))
    assert router.route(RouteOptions(), NOW + 10 * MINUTE, random.Random(0)).operator == "4"


def test_round_robin_breaks_ties_at_random() -> None:
    operators = [op("1"), op("2"), op("3")]
    picks = {route(Strategy.ROUND_ROBIN, operators, seed=seed).operator for seed in range(60)}
    assert picks == {"1", "2", "3"}


# -- each strategy -----------------------------------------------------------------------------

STRATEGY_CASES = [
    # priority: tier, then priority, then idle longest (never active first)
    (Strategy.PRIORITY, [op("a", 1), op("b", 9, AWAY)], "a"),
    (Strategy.PRIORITY, [op("a", 1, idle=50), op("b", 2, idle=1)], "b"),
    (Strategy.PRIORITY, [op("a", 1, idle=5), op("b", 1, idle=9)], "b"),
    (Strategy.PRIORITY, [op("a", 1, idle=500), op("b", 1, idle=None)], "b"),
    (Strategy.PRIORITY, [op("a", 9, XA), op("b", 1, AWAY)], "b"),
    (Strategy.PRIORITY, [op("a", 9, open_chats=2, max_chats=2), op("b", 1, AWAY)], "b"),
    # duty: priority first (away counts as online), then tier, then idle longest
    (Strategy.DUTY, [op("a", 1), op("b", 9, AWAY)], "b"),
    (Strategy.DUTY, [op("a", 9, XA), op("b", 9, AWAY)], "b"),
    (Strategy.DUTY, [op("a", 9, idle=3), op("b", 9, idle=8)], "b"),
    (Strategy.DUTY, [op("a", 9, open_chats=1, max_chats=1), op("b", 9, XA)], "b"),
    (Strategy.DUTY, [op("a", 1), op("b", 9, OFF)], "a"),
    # round robin: best tier, then oldest last assignment, never assigned first
    (Strategy.ROUND_ROBIN, [op("a", assigned=5), op("b", assigned=9)], "b"),
    (Strategy.ROUND_ROBIN, [op("a", assigned=5), op("b", assigned=None)], "b"),
    (Strategy.ROUND_ROBIN, [op("a", assigned=1), op("b", tier=AWAY, assigned=None)], "a"),
    (Strategy.ROUND_ROBIN, [op("a", accepting=False), op("b", tier=AWAY, assigned=3)], "b"),
    # least busy: best tier, fewest open chats, then oldest last assignment
    (Strategy.LEAST_BUSY, [op("a", open_chats=2), op("b", open_chats=1)], "b"),
    (Strategy.LEAST_BUSY, [op("a", open_chats=1, assigned=3), op("b", open_chats=1)], "b"),
    (
        Strategy.LEAST_BUSY,
        [op("a", open_chats=1, assigned=3), op("b", open_chats=1, assigned=7)],
        "b",
    ),
    (Strategy.LEAST_BUSY, [op("a", open_chats=5), op("b", tier=AWAY)], "a"),
    # random: only ever the single eligible operator of the best tier
    (Strategy.RANDOM, [op("a", accepting=False), op("b"), op("c", tier=AWAY)], "b"),
]


@pytest.mark.parametrize(("strategy", "operators", "chosen"), STRATEGY_CASES)
def test_strategy_picks(strategy: Strategy, operators: list[Candidate], chosen: str) -> None:
    for seed in range(5):
        decision = route(strategy, operators, seed=seed)
        assert (decision.outcome, decision.operator) == (Outcome.ASSIGN, chosen)
        assert notes(decision)[chosen] == "chosen"


def test_random_covers_every_eligible_operator_of_the_best_tier_only() -> None:
    operators = [op("a"), op("b"), op("c", open_chats=1, max_chats=1), op("d", tier=AWAY)]
    picks = [route(Strategy.RANDOM, operators, seed=seed).operator for seed in range(200)]
    assert set(picks) == {"a", "b"}
    assert 60 < picks.count("a") < 140


@pytest.mark.parametrize("strategy", list(Strategy))
def test_same_seed_same_decision(strategy: Strategy) -> None:
    operators = [op(str(n), priority=n % 3, idle=n % 4) for n in range(30)]
    assert route(strategy, operators, seed=7) == route(strategy, operators, seed=7)


# -- duty queues rather than falling to a lower priority -----------------------------------------


@pytest.mark.parametrize(
    ("operators", "outcome", "chosen"),
    [
        ([op("duty", 9, open_chats=2, max_chats=2), op("backup", 1)], Outcome.QUEUE, None),
        ([op("duty", 9, accepting=False), op("backup", 1)], Outcome.QUEUE, None),
        ([op("duty", 9, tier=XA, accepting=False), op("backup", 1)], Outcome.QUEUE, None),
        ([op("duty", 9, tier=OFF), op("backup", 1)], Outcome.ASSIGN, "backup"),
        ([op("d1", 9, max_chats=1, open_chats=1), op("d2", 9), op("b", 1)], Outcome.ASSIGN, "d2"),
        (
            [op("d1", 9, accepting=False), op("d2", 9, max_chats=1, open_chats=1)],
            Outcome.QUEUE,
            None,
        ),
    ],
    ids=["duty-full", "duty-dnd", "duty-xa-paused", "duty-offline", "group-mate", "group-full"],
)
def test_duty(operators: list[Candidate], outcome: Outcome, chosen: str | None) -> None:
    decision = route(Strategy.DUTY, operators)
    assert (decision.outcome, decision.operator) == (outcome, chosen)
    if outcome is Outcome.QUEUE:
        assert "duty" in decision.rule
        assert notes(decision).get("backup", "below duty priority 9") == "below duty priority 9"


def test_duty_operator_excluded_after_timeout_passes_to_backup() -> None:
    decision = route(Strategy.DUTY, [op("duty", 9), op("backup", 1)], exclude=frozenset({"duty"}))
    assert decision.operator == "backup"
    assert notes(decision)["duty"] == "excluded"


# -- capacity ----------------------------------------------------------------------------------


@pytest.mark.parametrize("strategy", list(Strategy))
@pytest.mark.parametrize(
    ("open_chats", "max_chats", "has_room"),
    [(50, 0, True), (0, 1, True), (2, 3, True), (3, 3, False), (4, 3, False)],
)
def test_capacity(strategy: Strategy, open_chats: int, max_chats: int, has_room: bool) -> None:
    busy = op("a", 9, open_chats=open_chats, max_chats=max_chats)
    alone = route(strategy, [busy])
    assert alone.outcome is (Outcome.ASSIGN if has_room else Outcome.QUEUE)
    with_peer = route(strategy, [busy, op("b", 9, open_chats=60)])
    if not has_room:
        assert with_peer.operator == "b"
        assert notes(with_peer)["a"] == f"at capacity {open_chats}/{max_chats}"


# -- named operators: visitor's choice, default and target ---------------------------------------

TEAMS = {
    "base": [op("top", 9), op("mid", 5), op("low", 1, tier=AWAY)],
    "low-full": [op("top", 9), op("mid", 5), op("low", 1, **FULL)],
    "low-offline": [op("top", 9), op("low", 1, tier=OFF)],
    "low-dnd": [op("top", 9), op("low", 1, accepting=False)],
    "mid-full": [op("top", 9), op("mid", 5, **FULL), op("low", 1)],
    "mid-offline": [op("top", 9), op("mid", 5, tier=OFF)],
}
TARGET = "default operator for target visitors"
BY_STRATEGY = "(strategy)"


@pytest.mark.parametrize(
    ("team", "options", "chosen", "rule"),
    [
        ("base", {"default_operator": "low"}, "low", "default operator"),
        ("base", {"default_operator": "ghost"}, "top", BY_STRATEGY),
        ("low-full", {"default_operator": "low"}, "top", BY_STRATEGY),
        ("low-offline", {"default_operator": "low"}, "top", BY_STRATEGY),
        ("low-dnd", {"default_operator": "low"}, "top", BY_STRATEGY),
        ("base", {"default_operator": "low", "exclude": frozenset({"low"})}, "top", BY_STRATEGY),
        ("base", {"is_target": True, "target_operator": "mid"}, "mid", TARGET),
        ("base", {"is_target": True, "default_operator": "low"}, "low", "default operator"),
        ("base", {"target_operator": "mid", "default_operator": "low"}, "low", "default operator"),
        ("base", {"target_operator": "mid"}, "top", BY_STRATEGY),
        ("base", {"chosen_operator": "mid", "default_operator": "low"}, "mid", "visitor's choice"),
        (
            "mid-full",
            {"chosen_operator": "mid", "default_operator": "low"},
            "low",
            "default operator",
        ),
        ("mid-offline", {"chosen_operator": "mid"}, "top", BY_STRATEGY),
        ("base", {"chosen_operator": "mid", "exclude": frozenset({"mid"})}, "top", BY_STRATEGY),
        ("base", {"chosen_operator": "nobody-here"}, "top", BY_STRATEGY),
    ],
    ids=[
        "default-online",
        "default-unknown",
        "default-full",
        "default-offline",
        "default-dnd",
        "default-excluded",
        "target",
        "target-visitor-without-target-op-uses-default",
        "normal-visitor-ignores-target-op",
        "target-op-alone-ignored-for-normal-visitor",
        "choice-beats-default",
        "choice-full-then-default",
        "choice-offline",
        "choice-excluded",
        "choice-unknown",
    ],
)
def test_named_operators(team: str, options: dict[str, Any], chosen: str, rule: str) -> None:
    for strategy in (Strategy.PRIORITY, Strategy.DUTY):
        decision = route(strategy, TEAMS[team], **options)
        assert (decision.outcome, decision.operator) == (Outcome.ASSIGN, chosen)
        assert decision.rule.startswith(strategy.value if rule == BY_STRATEGY else rule)


def test_named_refusals_are_recorded_before_the_strategy_rows() -> None:
    team = [op("top", 9), op("mid", 5, **FULL), op("low", 1, tier=OFF)]
    decision = route(Strategy.PRIORITY, team, chosen_operator="mid", default_operator="low")
    assert [r.note for r in decision.considered[:2]] == [
        "visitor's choice: at capacity 1/1",
        "default operator: offline",
    ]
    assert decision.operator == "top"


def test_named_operator_offline_is_not_used_even_when_nobody_is_online() -> None:
    team = [op("top", 9, tier=OFF), op("low", 1, tier=OFF)]
    decision = route(Strategy.PRIORITY, team, default_operator="low")
    assert (decision.outcome, decision.operator) == (Outcome.OFFLINE, "top")


# -- exclude -----------------------------------------------------------------------------------


@pytest.mark.parametrize("strategy", list(Strategy))
@pytest.mark.parametrize(
    ("exclude", "outcome", "chosen"),
    [
        ({"a"}, Outcome.ASSIGN, "b"),
        ({"a", "b"}, Outcome.OFFLINE, "off"),  # excluded operators aside, nobody is online
        ({"a", "b", "off"}, Outcome.NOBODY, None),
    ],
)
def test_exclude(
    strategy: Strategy, exclude: set[str], outcome: Outcome, chosen: str | None
) -> None:
    team = [op("a", 9, assigned=60), op("b", 5, assigned=1), op("off", 1, tier=OFF)]
    decision = route(strategy, team, exclude=frozenset(exclude))
    assert (decision.outcome, decision.operator) == (outcome, chosen)


# -- QUEUE, OFFLINE and NOBODY -------------------------------------------------------------------


@pytest.mark.parametrize("strategy", list(Strategy))
@pytest.mark.parametrize(
    ("team", "outcome", "chosen"),
    [
        ([], Outcome.NOBODY, None),
        ([op("a", tier=OFF, accepting=False)], Outcome.NOBODY, None),
        ([op("a", tier=OFF, **FULL)], Outcome.NOBODY, None),
        ([op("a", tier=OFF), op("b", tier=OFF, accepting=False)], Outcome.OFFLINE, "a"),
        ([op("a", **FULL), op("b", tier=OFF)], Outcome.QUEUE, None),
        ([op("a", accepting=False), op("b", tier=OFF)], Outcome.QUEUE, None),
        ([op("a", tier=XA, accepting=False), op("b", tier=AWAY, **FULL)], Outcome.QUEUE, None),
    ],
    ids=[
        "empty",
        "paused-offline",
        "full-offline",
        "offline",
        "full",
        "dnd",
        "xa-paused-away-full",
    ],
)
def test_outcomes(
    strategy: Strategy, team: list[Candidate], outcome: Outcome, chosen: str | None
) -> None:
    decision = route(strategy, team)
    assert (decision.outcome, decision.operator) == (outcome, chosen)
    if outcome is Outcome.QUEUE:
        assert notes(decision)["b"] in {"offline", "at capacity 1/1"}


@pytest.mark.parametrize(
    ("strategy", "chosen"),
    [
        (Strategy.PRIORITY, "high"),
        (Strategy.DUTY, "high"),
        (Strategy.ROUND_ROBIN, "never"),
        (Strategy.LEAST_BUSY, "idle"),
    ],
)
def test_offline_routing_uses_the_strategy(strategy: Strategy, chosen: str) -> None:
    team = [
        op("high", 9, OFF, assigned=1, open_chats=4),
        op("never", 1, OFF, open_chats=2),
        op("idle", 1, OFF, assigned=30, open_chats=0),
    ]
    decision = route(strategy, team)
    assert (decision.outcome, decision.operator) == (Outcome.OFFLINE, chosen)
    assert "offline" in decision.rule


# -- the why: considered and explain ---------------------------------------------------------------


def test_considered_is_bounded_and_says_why() -> None:
    team = [op(f"busy{n:04}", 9, open_chats=3, max_chats=3) for n in range(2000)]
    team += [op(f"dnd{n:04}", 10, accepting=False) for n in range(3)]
    team += [op("free", 1), op("gone", 50, tier=OFF)]
    decision = route(Strategy.PRIORITY, team, default_operator="gone")
    assert decision.operator == "free"
    assert len(decision.considered) == 1 + TOP + 1
    found = notes(decision)
    assert found["gone"] == "default operator: offline"
    assert found["dnd0000"] == "dnd or paused"
    assert found["busy0000"] == "at capacity 3/3"
    assert decision.considered[-1].note == "chosen"


def test_queue_explains_every_examined_operator() -> None:
    team = [op("full", 9, **FULL), op("dnd", 5, accepting=False), op("off", 99, tier=OFF)]
    decision = route(Strategy.LEAST_BUSY, team, exclude=frozenset({"x"}))
    assert decision.outcome is Outcome.QUEUE
    assert notes(decision) == {"full": "at capacity 1/1", "dnd": "dnd or paused", "off": "offline"}


def test_considered_rows_carry_the_inputs() -> None:
    decision = route(Strategy.PRIORITY, [op("a", 7, AWAY, idle=3, assigned=4, open_chats=1)])
    (row,) = decision.considered
    assert (row.jid, row.name, row.tier, row.priority) == ("a", "A", AWAY, 7)
    assert (row.idle_seconds, row.last_assigned_seconds) == (180.0, 240.0)
    assert (row.open_chats, row.max_chats, row.accepting) == (1, 0, True)


def test_explain_is_readable() -> None:
    team = [op("a", 5, idle=10), op("b", 10, idle=1), op("c", 10, idle=7, max_chats=3)]
    text = route(Strategy.PRIORITY, [*team, op("d", 99, OFF)]).explain()
    assert text.splitlines() == [
        "Routing: assigned to c",
        "Rule: priority: highest tier, then priority, then idle longest",
        "Considered (4):",
        "  c (C): available, priority 10, idle 7m00s, chats 0/3 — chosen",
        "  b (B): available, priority 10, idle 1m00s, chats 0/∞ — ranked lower",
        "  a (A): available, priority 5, idle 10m00s, chats 0/∞ — ranked lower",
        "  d (D): offline, priority 99, idle never active, chats 0/∞ — offline",
    ]


@pytest.mark.parametrize(
    ("team", "headline"),
    [
        ([op("a", **FULL)], "queued: operators are online but none can take a new chat now"),
        ([op("a", tier=OFF)], "nobody online: sent to a as an offline message"),
        ([], "no operator can take it"),
    ],
)
def test_explain_headlines(team: list[Candidate], headline: str) -> None:
    assert route(Strategy.ROUND_ROBIN, team).explain().splitlines()[0] == f"Routing: {headline}"


# -- incremental indexes against a naive reference ------------------------------------------------


def _never(instant: float | None) -> float:
    return float("-inf") if instant is None else instant


def _draw(group: list[Candidate], rng: random.Random) -> Candidate:
    group = sorted(group, key=lambda c: c.jid)
    return group[rng.randrange(len(group))] if len(group) > 1 else group[0]


def reference(
    strategy: Strategy, candidates: list[Candidate], options: RouteOptions, rng: random.Random
) -> tuple[Outcome, str | None]:
    """SPEC §4 written as plainly as possible: a scan over every operator."""
    by_jid = {c.jid: c for c in candidates}
    exclude = options.exclude

    def can_take(c: Candidate) -> bool:
        under = c.max_chats == 0 or c.open_chats < c.max_chats
        return c.accepting and under and c.jid not in exclude

    named = options.target_operator if options.is_target and options.target_operator else None
    for jid in (options.chosen_operator, named or options.default_operator):
        c = by_jid.get(jid or "")
        if c is not None and c.tier > OFF and can_take(c):
            return Outcome.ASSIGN, c.jid
    present = [c for c in by_jid.values() if c.jid not in exclude]
    online = [c for c in present if c.tier > OFF]
    eligible = [c for c in (online or present) if can_take(c)]
    if strategy is Strategy.DUTY and online:
        top = max(c.priority for c in online)
        eligible = [c for c in eligible if c.priority == top]
    if not eligible:
        return (Outcome.QUEUE if online else Outcome.NOBODY), None
    found = _reference_pick(strategy, eligible, rng)
    return (Outcome.ASSIGN if online else Outcome.OFFLINE), found.jid


def _reference_pick(strategy: Strategy, eligible: list[Candidate], rng: random.Random) -> Candidate:
    best = [c for c in eligible if c.tier == max(e.tier for e in eligible)]
    if strategy is Strategy.PRIORITY:
        return min(eligible, key=lambda c: (-c.tier, -c.priority, _never(c.idle_since), c.jid))
    if strategy is Strategy.DUTY:
        return min(eligible, key=lambda c: (-c.priority, -c.tier, _never(c.idle_since), c.jid))
    if strategy is Strategy.ROUND_ROBIN:
        oldest = min(_never(c.last_assigned_at) for c in best)
        return _draw([c for c in best if _never(c.last_assigned_at) == oldest], rng)
    if strategy is Strategy.RANDOM:
        return _draw(best, rng)
    return min(
        best,
        key=lambda c: (c.open_chats, _never(c.last_assigned_at), _never(c.idle_since), c.jid),
    )


def _random_candidate(jid: str, rng: random.Random, offline_share: float) -> Candidate:
    def maybe(values: list[float]) -> float | None:
        return rng.choice([None, *values])

    return Candidate(
        jid=jid,
        name=jid,
        priority=rng.choice([0, 5, 10]),
        tier=OFF if rng.random() < offline_share else rng.choice([ON, ON, AWAY, XA]),
        accepting=rng.random() < 0.8,
        open_chats=rng.randrange(4),
        max_chats=rng.choice([0, 1, 2, 3]),
        last_assigned_at=maybe([NOW - 60, NOW - 120, NOW - 600]),
        idle_since=maybe([NOW - 30, NOW - 60, NOW - 900]),
    )


def _random_options(jids: list[str], rng: random.Random) -> RouteOptions:
    def sometimes(share: float) -> str | None:
        return rng.choice(jids) if rng.random() < share else None

    return RouteOptions(
        is_target=rng.random() < 0.3,
        default_operator=sometimes(0.15),
        target_operator=sometimes(0.3),
        chosen_operator=sometimes(0.1),
        exclude=frozenset(rng.sample(jids, rng.choice([0, 0, 1, 3, 12]))),
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_incremental_router_matches_fresh_route_and_reference(seed: int) -> None:
    rng = random.Random(seed)
    jids = [f"op{n:02}" for n in range(24)]
    strategy = Strategy.PRIORITY
    router = SiteRouter(strategy)
    current: dict[str, Candidate] = {}
    for step in range(900):
        offline_share = (0.2, 0.7, 0.95)[step // 100 % 3]
        if rng.random() < 0.03:
            strategy = rng.choice(list(Strategy))
            router.strategy = strategy
        jid = rng.choice(jids)
        if rng.random() < 0.15:
            router.remove(jid)
            current.pop(jid, None)
        else:
            current[jid] = _random_candidate(jid, rng, offline_share)
            router.upsert(current[jid])
        options = _random_options(jids, rng)
        incremental = router.route(options, NOW, random.Random(step))
        fresh = route_chat(strategy, current.values(), options, NOW, random.Random(step))
        expected = reference(strategy, list(current.values()), options, random.Random(step))
        assert incremental == fresh
        assert (incremental.outcome, incremental.operator) == expected, (step, options)
        assert len(incremental.considered) <= TOP + 3
    assert len(router) == len(current)


def test_upsert_and_remove_keep_the_router_consistent() -> None:
    router = SiteRouter(Strategy.LEAST_BUSY)
    router.upsert(op("a", open_chats=1))
    router.upsert(op("b", open_chats=2))
    assert router.route(RouteOptions(), NOW, random.Random(0)).operator == "a"
    router.upsert(op("a", open_chats=3))
    assert router.route(RouteOptions(), NOW, random.Random(0)).operator == "b"
    router.upsert(op("b", open_chats=2, accepting=False))  # same sort key, eligibility changed
    assert router.route(RouteOptions(), NOW, random.Random(0)).operator == "a"
    router.remove("a")
    router.remove("missing")
    assert len(router) == 1 and router.get("a") is None
    assert router.route(RouteOptions(), NOW, random.Random(0)).outcome is Outcome.QUEUE
    router.strategy = Strategy.DUTY
    assert router.strategy is Strategy.DUTY
    assert router.get("b") == op("b", open_chats=2, accepting=False)
    assert router.route(RouteOptions(), NOW, random.Random(0)).outcome is Outcome.QUEUE
