"""Routing benchmark: microseconds per decision at 10, 1,000 and 10,000 operators, per strategy;
and what one operator presence stanza costs the help desk with 5,000 open chats.

Run as ``python bench/routing.py``. Each timed ``route()`` is followed by the ``upsert`` the service
does after an assignment (timed separately); an untimed chat close keeps the site in steady state.
Ratios are printed against ``route_chat`` over 10 operators, measured in the same run. The presence
case runs the real HelpDesk over null ports: an operator of 50 sites changes show at one desk,
against the same stanza with no open chats as its baseline.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from component.addresses import Addresses
from component.archive import OperatorUpdate
from component.desk.helpdesk import HelpDesk
from component.desk.ports import PresenceType, TranscriptOrder
from component.desk.state import DeskState
from component.directory import Directory
from component.locales import shipped_catalogue
from component.models import (
    NO_RECEIPTS,
    Chat,
    Message,
    Operator,
    Receipt,
    Show,
    Site,
    Strategy,
    Tier,
    Typing,
    VisitorKind,
)
from component.records import Record
from component.routing import Candidate, RouteOptions, SiteRouter, route_chat
from component.xmpp.jids import normalize_bare_jid

NOW = 1_700_000_000.0
SIZES = (10, 1_000, 10_000)
GOAL_MICROSECONDS = 50.0
PRESENCE_GOAL_MICROSECONDS = 100.0
TIERS = [Tier.AVAILABLE] * 10 + [Tier.AWAY] * 3 + [Tier.XA] * 2 + [Tier.OFFLINE] * 5


def make_candidates(count: int, rng: random.Random) -> list[Candidate]:
    """A seeded site: mixed tiers, capacities, priorities, idle times and last assignments."""
    candidates = []
    for n in range(count):
        max_chats = rng.choice([0, 2, 3, 5])
        candidates.append(
            Candidate(
                jid=f"operator{n:05}@example.com",
                name=f"Operator {n}",
                priority=rng.randrange(11),
                tier=rng.choice(TIERS),
                accepting=rng.random() < 0.9,
                open_chats=rng.randrange(max_chats or 4),
                max_chats=max_chats,
                last_assigned_at=rng.choice([None, NOW - rng.uniform(0, 86_400)]),
                idle_since=rng.choice([None, NOW - rng.uniform(0, 3_600)]),
            )
        )
    return candidates


@dataclass(frozen=True, slots=True)
class Timing:
    route: float
    route_and_update: float


def _after_assignment(candidate: Candidate, now: float) -> Candidate:
    chats = candidate.open_chats + 1
    return replace(candidate, open_chats=chats, last_assigned_at=now, idle_since=now)


def _close_one_chat(router: SiteRouter, jids: list[str], rng: random.Random) -> None:
    candidate = router.get(rng.choice(jids))
    if candidate is not None and candidate.open_chats:
        router.upsert(replace(candidate, open_chats=candidate.open_chats - 1))


def time_site(strategy: Strategy, size: int, calls: int, seed: int) -> Timing:
    rng = random.Random(seed)
    candidates = make_candidates(size, rng)
    jids = [c.jid for c in candidates]
    router = SiteRouter(strategy)
    for candidate in candidates:
        router.upsert(candidate)
    routes, totals = [], []
    for call in range(calls):
        now = NOW + call
        options = RouteOptions(
            exclude=frozenset({rng.choice(jids)}) if call % 5 == 0 else frozenset()
        )
        start = time.perf_counter_ns()
        decision = router.route(options, now, rng)
        routed = time.perf_counter_ns()
        chosen = router.get(decision.operator) if decision.operator else None
        if chosen is not None:
            router.upsert(_after_assignment(chosen, now))
        updated = time.perf_counter_ns()
        routes.append(routed - start)
        totals.append(updated - start)
        _close_one_chat(router, jids, rng)
    return Timing(statistics.median(routes) / 1e3, statistics.median(totals) / 1e3)


def time_route_chat(strategy: Strategy, calls: int, seed: int) -> float:
    rng = random.Random(seed)
    candidates = make_candidates(10, rng)
    samples = []
    for _ in range(calls):
        start = time.perf_counter_ns()
        route_chat(strategy, candidates, RouteOptions(), NOW, rng)
        samples.append(time.perf_counter_ns() - start)
    return statistics.median(samples) / 1e3


class _NullPorts:
    """XmppOut, ArchiveSink, Transcripts and VisitorTransport that drop everything (the core is
    timed)."""

    accepting = True
    acknowledges = NO_RECEIPTS

    def send_message(
        self,
        sender: str,
        recipient: str,
        body: str,
        *,
        nick: str | None = None,
        typing: Typing | None = None,
        ask: frozenset[Receipt] = NO_RECEIPTS,
        delay: float | None = None,
    ) -> str:
        return ""

    def send_typing(self, sender: str, recipient: str, typing: Typing) -> None:
        pass

    def send_receipt(self, sender: str, recipient: str, message_id: str, kind: Receipt) -> None:
        pass

    def send_presence(
        self, sender: str, recipient: str, kind: PresenceType, *, status: str = ""
    ) -> None:
        pass

    def deliver(
        self,
        site: Site,
        chat: Chat,
        message: Message,
        *,
        typing: Typing | None = None,
        ask: frozenset[Receipt] = NO_RECEIPTS,
    ) -> str:
        return ""

    def typing(self, site: Site, chat: Chat, state: Typing) -> None:
        pass

    def receipt(self, site: Site, chat: Chat, visitor_message_id: str, kind: Receipt) -> None:
        pass

    def closed(self, site: Site, chat: Chat, last_seq: int) -> None:
        pass

    def add_chat(self, chat: Chat) -> None:
        pass

    def send(self, order: TranscriptOrder) -> None:
        pass

    def add_message(self, message: Message) -> None:
        pass

    def add_operator_update(self, update: OperatorUpdate) -> None:
        pass

    def add_record(self, record: Record) -> None:
        pass


def _null_desk(clock: list[float]) -> HelpDesk:
    """A HelpDesk over null ports whose clock reads `clock[0]`."""
    null = _NullPorts()
    return HelpDesk(
        DeskState(
            catalogue=shipped_catalogue(),
            addresses=Addresses("help.example"),
            archive=null,
            out=null,
            transcripts=null,
            visitors={VisitorKind.XMPP: null},
            clock=lambda: clock[0],
            rng=random.Random(1),
            max_body_chars=1000,
            jid_form=normalize_bare_jid,
        )
    )


def busy_desk(open_chats: int, sites: int, operators_per_site: int) -> tuple[HelpDesk, str]:
    """A connected desk with `open_chats` assigned chats over `sites` sites, and one operator
    (returned) who belongs to every site."""
    clock = [NOW]
    desk = _null_desk(clock)
    star = "star@example.com"
    site_list = [Site(n, f"site{n}", f"Site {n}") for n in range(1, sites + 1)]
    operators = [Operator(site.id, star, "Star") for site in site_list]
    operators += [
        Operator(site.id, f"op{n}@example.com", f"Op {n}", priority=n)
        for site in site_list
        for n in range(operators_per_site - 1)
    ]
    desk.apply_directory(Directory(site_list, operators))
    desk.on_connected()
    for op in operators:
        desk.presence_available(op.jid, f"site{op.site_id}", "pc", Show.AVAILABLE, "", 0, None)
    clock[0] += 10
    desk.on_tick()
    for n in range(open_chats):
        slug = f"site{n % sites + 1}"
        desk.visitor_wrote(slug, f"v{n}@visitors.example", VisitorKind.XMPP, f"V{n}", "hello")
    return desk, star


def time_presence_stanza(open_chats: int, calls: int) -> float:
    """Median µs for one presence stanza (a show change at one desk) of an operator of 50 sites."""
    desk, star = busy_desk(open_chats, sites=50, operators_per_site=20)
    shows = (Show.AWAY, Show.AVAILABLE)
    samples = []
    for call in range(calls):
        slug = f"site{call % 50 + 1}"
        start = time.perf_counter_ns()
        desk.presence_available(star, slug, "pc", shows[call % 2], "", 0, None)
        samples.append(time.perf_counter_ns() - start)
    assert len(desk.chats) == open_chats
    return statistics.median(samples) / 1e3


def time_presence_with_stranded_chats(open_chats: int, calls: int) -> float:
    """Median µs for a show change of the one online operator (full) of a site where an offline
    operator holds `open_chats` chats nobody can take (a night of offline routing)."""
    clock = [NOW]
    desk = _null_desk(clock)
    site = Site(1, "night", "Night")
    day, night = "day@example.com", "night@example.com"
    desk.apply_directory(
        Directory([site], [Operator(1, day, "Day", max_chats=1), Operator(1, night, "Night")])
    )
    desk.on_connected()
    clock[0] += 10
    desk.on_tick()
    for n in range(open_chats):
        desk.visitor_wrote("night", f"v{n}@visitors.example", VisitorKind.XMPP, f"V{n}", "hi")
    shows = (Show.AWAY, Show.AVAILABLE)
    samples = []
    for call in range(calls):
        start = time.perf_counter_ns()
        desk.presence_available(day, "night", "pc", shows[call % 2], "", 0, None)
        samples.append(time.perf_counter_ns() - start)
    assert desk.chats.open_count(1, night) == open_chats - 1
    return statistics.median(samples) / 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5_000, help="decisions timed per cell")
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    header = f"{'strategy':<12}{'baseline':>10}" + "".join(
        f"{f'route@{size}':>13}{f'+update@{size}':>15}" for size in SIZES
    )
    print("median microseconds per decision; baseline = route_chat over 10 operators")
    print(header + f"{'growth 10→1k':>14}{'1k→10k':>8}{'x baseline@10k':>16}")
    worst = 0.0
    for strategy in Strategy:
        baseline = time_route_chat(strategy, args.calls, args.seed)
        timings = [time_site(strategy, size, args.calls, args.seed) for size in SIZES]
        worst = max(worst, timings[-1].route)
        cells = "".join(f"{t.route:>13.1f}{t.route_and_update:>15.1f}" for t in timings)
        small, medium, large = (t.route for t in timings)
        growth = f"{medium / small:>14.2f}{large / medium:>8.2f}{large / baseline:>16.2f}"
        print(f"{strategy.value:<12}{baseline:>10.1f}{cells}{growth}")
    verdict = "met" if worst < GOAL_MICROSECONDS else "MISSED"
    print(f"goal: route() < {GOAL_MICROSECONDS:g} µs at 10,000 operators: {verdict} ({worst:.1f})")
    idle = time_presence_stanza(0, args.calls)
    busy = time_presence_stanza(5_000, args.calls)
    verdict = "met" if busy <= PRESENCE_GOAL_MICROSECONDS else "MISSED"
    print(
        f"presence stanza, operator of 50 sites: {idle:.1f} µs with no open chats,"
        f" {busy:.1f} µs with 5,000 (x{busy / idle:.2f});"
        f" goal <= {PRESENCE_GOAL_MICROSECONDS:g} µs: {verdict}"
    )
    stranded = time_presence_with_stranded_chats(5_000, args.calls)
    verdict = "met" if stranded <= PRESENCE_GOAL_MICROSECONDS else "MISSED"
    print(
        f"presence stanza, 5,000 chats held by an offline operator nobody can relieve:"
        f" {stranded:.1f} µs (x{stranded / idle:.2f}); goal <= {PRESENCE_GOAL_MICROSECONDS:g} µs:"
        f" {verdict}"
    )


if __name__ == "__main__":
    main()
