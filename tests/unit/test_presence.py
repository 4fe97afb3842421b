"""Tests for component/presence.py: tiers over resources, dnd, available-since, idle instants."""

from __future__ import annotations

import pytest

from component.models import Show, Tier
from component.presence import OperatorPresence, PresenceTable, idle_since

T0 = 1_700_000_000.0
JID = "alice@example.com"


def table_with(*shows: Show, jid: str = JID) -> PresenceTable:
    """A table where `jid` has one resource per show: r0, r1, ..."""
    table = PresenceTable()
    for n, show in enumerate(shows):
        table.set_available(jid, f"r{n}", show, "", 0, None, T0 + n)
    return table


@pytest.mark.parametrize(
    ("shows", "tier", "dnd"),
    [
        ((), Tier.OFFLINE, False),
        ((Show.CHAT,), Tier.AVAILABLE, False),
        ((Show.AVAILABLE,), Tier.AVAILABLE, False),
        ((Show.AWAY,), Tier.AWAY, False),
        ((Show.XA,), Tier.XA, False),
        ((Show.DND,), Tier.AVAILABLE, True),
        ((Show.XA, Show.AWAY), Tier.AWAY, False),
        ((Show.AWAY, Show.AVAILABLE, Show.XA), Tier.AVAILABLE, False),
        ((Show.AVAILABLE, Show.DND), Tier.AVAILABLE, True),
        ((Show.XA, Show.DND), Tier.AVAILABLE, True),
    ],
)
def test_tier_is_the_best_resource_and_dnd_wins(
    shows: tuple[Show, ...], tier: Tier, dnd: bool
) -> None:
    table = table_with(*shows)
    assert (table.tier_of(JID), table.is_dnd(JID)) == (tier, dnd)
    assert list(table.online_operators()) == ([JID] if shows else [])


def test_unavailable_resources_drop_out() -> None:
    table = table_with(Show.AVAILABLE, Show.DND)
    table.set_unavailable(JID, "r1")
    assert (table.tier_of(JID), table.is_dnd(JID)) == (Tier.AVAILABLE, False)
    table.set_unavailable(JID, "r0")
    table.set_unavailable(JID, "never-connected")
    table.set_unavailable("stranger@example.com", "r0")
    assert table.tier_of(JID) is Tier.OFFLINE
    assert list(table.online_operators()) == []


def test_forget_and_clear() -> None:
    table = table_with(Show.AWAY)
    table.set_available("bob@example.com", "pc", Show.CHAT, "", 0, None, T0)
    table.forget(JID)
    assert list(table.online_operators()) == ["bob@example.com"]
    table.clear()
    assert list(table.online_operators()) == []
    assert table.resources_of("bob@example.com") == {}


# -- available since: the start of the current chat/available spell ---------------------------


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ([("pc", Show.AVAILABLE, 0)], 0),
        ([("pc", Show.AVAILABLE, 0), ("pc", Show.CHAT, 5)], 0),  # same spell: kept
        ([("pc", Show.AVAILABLE, 0), ("pc", Show.AVAILABLE, 9)], 0),  # status change: kept
        ([("pc", Show.AVAILABLE, 0), ("pc", Show.AWAY, 5)], None),
        ([("pc", Show.AVAILABLE, 0), ("pc", Show.AWAY, 5), ("pc", Show.AVAILABLE, 8)], 8),
        ([("pc", Show.AVAILABLE, 0), ("pc", Show.DND, 5), ("pc", Show.CHAT, 8)], 8),
        ([("pc", Show.DND, 0)], None),
        ([("pc", Show.AVAILABLE, 3), ("phone", Show.AVAILABLE, 1)], 1),  # earliest spell
        ([("pc", Show.AVAILABLE, 3), ("phone", Show.AWAY, 1)], 3),  # only chat/available count
        ([("pc", Show.AWAY, 0), ("pc", Show.AVAILABLE, 4), ("phone", Show.CHAT, 6)], 4),
    ],
)
def test_available_since(changes: list[tuple[str, Show, float]], expected: float | None) -> None:
    table = PresenceTable()
    for resource, show, at in changes:
        table.set_available(JID, resource, show, "", 0, None, T0 + at)
    assert table.available_since(JID) == (None if expected is None else T0 + expected)


def test_available_since_after_a_resource_leaves() -> None:
    table = PresenceTable()
    table.set_available(JID, "pc", Show.AVAILABLE, "", 0, None, T0)
    table.set_available(JID, "phone", Show.AVAILABLE, "", 0, None, T0 + 50)
    table.set_unavailable(JID, "pc")
    assert table.available_since(JID) == T0 + 50
    table.set_unavailable(JID, "phone")
    assert table.available_since(JID) is None


# -- client idle (XEP-0319) -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("idles", "expected"),
    [
        ([], None),
        ([None], None),
        ([100.0], 100.0),
        ([100.0, 250.0], 250.0),
        ([100.0, None], None),  # one resource is in use: not idle
    ],
)
def test_client_idle_since(idles: list[float | None], expected: float | None) -> None:
    table = PresenceTable()
    for n, idle in enumerate(idles):
        table.set_available(JID, f"r{n}", Show.AWAY, "", 0, idle, T0)
    assert table.client_idle_since(JID) == expected


# -- summary for /status ------------------------------------------------------------------------


def test_summary_of_an_offline_operator() -> None:
    summary = PresenceTable().summary(JID)
    assert summary == OperatorPresence()
    assert not summary.online


def test_summary_over_several_resources() -> None:
    table = PresenceTable()
    table.set_available(JID, "pc", Show.AWAY, "at lunch", 5, T0 - 60, T0)
    table.set_available(JID, "phone", Show.AVAILABLE, "on the go", 1, T0 - 10, T0 + 7)
    assert table.summary(JID) == OperatorPresence(
        tier=Tier.AVAILABLE,
        dnd=False,
        resources=2,
        show=Show.AVAILABLE,
        status="at lunch",  # the highest-priority resource speaks
        available_since=T0 + 7,
        client_idle_since=T0 - 10,
    )
    assert table.summary(JID).online


@pytest.mark.parametrize(
    ("shows", "best"),
    [
        ((Show.XA, Show.AWAY), Show.AWAY),
        ((Show.AVAILABLE, Show.CHAT), Show.CHAT),
        ((Show.CHAT, Show.DND), Show.DND),
    ],
)
def test_summary_show(shows: tuple[Show, ...], best: Show) -> None:
    assert table_with(*shows).summary(JID).show is best


def test_resources_of_is_a_copy() -> None:
    table = table_with(Show.CHAT)
    table.resources_of(JID).clear()
    assert set(table.resources_of(JID)) == {"r0"}


# -- idle since: the instant SPEC §3 idle time counts from ---------------------------------------


@pytest.mark.parametrize(
    ("assigned", "replied", "became_available", "expected"),
    [
        (None, None, None, None),
        (10.0, None, None, 10.0),
        (None, 20.0, None, 20.0),
        (None, None, 30.0, 30.0),
        (10.0, 20.0, 5.0, 20.0),
        (40.0, 20.0, 30.0, 40.0),
        (10.0, None, 30.0, 30.0),
    ],
)
def test_idle_since_is_the_latest_instant(
    assigned: float | None,
    replied: float | None,
    became_available: float | None,
    expected: float | None,
) -> None:
    assert idle_since(assigned, replied, became_available) == expected
