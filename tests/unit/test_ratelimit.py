"""Token bucket arithmetic (component.ratelimit), with the time passed in."""

from __future__ import annotations

import pytest

from component.ratelimit import Buckets, Rate, acquire, retry_after

# (rate, times of attempts, expected waits: 0.0 = let through)
CASES: list[tuple[str, Rate, list[float], list[float]]] = [
    ("a burst up to count", Rate(3, 30), [0, 0, 0, 0], [0, 0, 0, 10]),
    ("one token back per period/count", Rate(3, 30), [0, 0, 0, 10, 10], [0, 0, 0, 0, 10]),
    ("partly refilled", Rate(3, 30), [0, 0, 0, 4], [0, 0, 0, 6]),
    ("never more than count", Rate(2, 10), [0, 100, 100, 100], [0, 0, 0, 5]),
    ("one per period", Rate(1, 60), [0, 59, 60], [0, 1, 0]),
    ("a clock stepping back refills nothing", Rate(1, 10), [100, 50], [0, 10]),
    ("fractional rate", Rate(3, 1), [0, 0, 0, 0], [0, 0, 0, 1 / 3]),
]


@pytest.mark.parametrize(
    ("rate", "times", "waits"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bucket_waits(rate: Rate, times: list[float], waits: list[float]) -> None:
    buckets = Buckets(rate, max_keys=10)
    got = [acquire([(buckets, "k")], now) for now in times]
    assert got == pytest.approx(waits)


@pytest.mark.parametrize(
    ("wait", "header"),
    [(0.001, 1), (0.5, 1), (1.0, 1), (1.000000000000003, 1), (1.01, 2), (9.99, 10), (600.0, 600)],
)
def test_retry_after_is_whole_seconds_rounded_up_and_at_least_one(wait: float, header: int) -> None:
    assert retry_after(wait) == header


def test_keys_are_separate() -> None:
    buckets = Buckets(Rate(1, 60), max_keys=10)
    assert acquire([(buckets, "a")], 0) == 0
    assert acquire([(buckets, "a")], 0) == 60
    assert acquire([(buckets, "b")], 0) == 0


def test_a_refused_acquire_takes_from_no_limit() -> None:
    per_ip, per_site = Buckets(Rate(1, 60), 10), Buckets(Rate(5, 60), 10)
    assert acquire([(per_ip, "ip"), (per_site, 1)], 0) == 0
    for _ in range(10):
        assert acquire([(per_ip, "ip"), (per_site, 1)], 0) == 60
    assert per_site.wait(1, 0) == 0  # four left: the refused ones took nothing
    for n in range(4):
        assert acquire([(per_ip, f"other{n}"), (per_site, 1)], 0) == 0
    assert acquire([(per_ip, "fresh"), (per_site, 1)], 0) == 12  # the site's limit, now


def test_the_longest_wait_is_returned() -> None:
    slow, fast = Buckets(Rate(1, 100), 10), Buckets(Rate(1, 10), 10)
    acquire([(slow, "k"), (fast, "k")], 0)
    assert acquire([(slow, "k"), (fast, "k")], 0) == 100


def test_idle_buckets_are_swept_once_refilled() -> None:
    buckets = Buckets(Rate(2, 10), max_keys=100)
    for n in range(50):
        acquire([(buckets, n)], float(n) / 10)  # keys 0..49 used at 0.0 .. 4.9
    assert len(buckets) == 50
    buckets.sweep(12.0)  # idle >= 10 s: those used at or before 2.0
    assert len(buckets) == 29
    buckets.sweep(14.9)
    assert len(buckets) == 0


def test_a_swept_bucket_is_as_if_full() -> None:
    buckets = Buckets(Rate(2, 10), max_keys=100)
    acquire([(buckets, "k")], 0)
    acquire([(buckets, "k")], 0)
    assert acquire([(buckets, "k")], 10) == 0  # swept, then a full bucket: same answer
    assert acquire([(buckets, "k")], 10) == 0
    assert acquire([(buckets, "k")], 10) == 5


def test_past_max_keys_the_least_recently_used_is_evicted() -> None:
    buckets = Buckets(Rate(1, 3600), max_keys=3)
    for key in ("a", "b", "c"):
        assert acquire([(buckets, key)], 0) == 0
    assert acquire([(buckets, "a")], 1) > 0  # refused: "a" is not moved, still oldest
    assert acquire([(buckets, "d")], 2) == 0  # a new key is let in; "a" is forgotten
    assert len(buckets) == 3
    assert acquire([(buckets, "a")], 3) == 0  # starts over with a full bucket
    assert acquire([(buckets, "c")], 3) > 0  # the others are still limited
    assert len(buckets) == 3


@pytest.mark.parametrize(("count", "per"), [(0, 10), (-1, 10), (1, 0), (1, -5)])
def test_a_rate_must_let_something_through(count: int, per: float) -> None:
    with pytest.raises(ValueError, match="rate"):
        Rate(count, per)
