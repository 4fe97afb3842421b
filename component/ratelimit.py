"""Token buckets for rate limits: pure arithmetic, the time `now` passed in, no asyncio.

A Rate lets `count` events through per `per_seconds`, in a burst or spread out: a bucket holds up
to `count` tokens, refills at count/per_seconds a second, and each event takes one.

Memory stays bounded two ways. A bucket idle for `per_seconds` has refilled completely, so it is
the same as no bucket: such buckets are dropped as time passes (oldest use first, amortised O(1)).
And a Buckets holds at most `max_keys` buckets: past that the least recently used one is evicted.
Evicting (rather than refusing new keys) is chosen because refusing would let whoever fills the
table with many addresses shut out every new visitor; evicting only hands an old key a full
bucket again, and the per-site limits still bound the whole.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

_EPSILON = 1e-9  # float noise: a bucket short of one token by less than this has one


@dataclass(frozen=True, slots=True)
class Rate:
    count: int
    per_seconds: float

    def __post_init__(self) -> None:
        if self.count < 1 or self.per_seconds <= 0:
            raise ValueError(f"a rate needs count >= 1 and per_seconds > 0, got {self}")

    @property
    def per_second(self) -> float:
        return self.count / self.per_seconds


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float  # when `tokens` was last brought up to date


class Buckets:
    """One Rate's buckets, by key (an IP address, a JID, a site, a chat); `name` says which limit
    they are (the configuration's name for it)."""

    def __init__(self, rate: Rate, max_keys: int, name: str = "") -> None:
        if max_keys < 1:
            raise ValueError("max_keys must be at least 1")
        self.rate = rate
        self.max_keys = max_keys
        self.name = name
        self._buckets: OrderedDict[Hashable, _Bucket] = OrderedDict()  # least recently used first

    def __len__(self) -> int:
        return len(self._buckets)

    def wait(self, key: Hashable, now: float) -> float:
        """Seconds until `key` may have one event (0.0: now); changes nothing."""
        tokens = self._tokens(key, now)
        return 0.0 if tokens >= 1 - _EPSILON else (1 - tokens) / self.rate.per_second

    def take(self, key: Hashable, now: float) -> None:
        """Spend one of `key`'s tokens (call after wait() said 0.0)."""
        tokens = self._tokens(key, now)
        self._buckets[key] = _Bucket(max(tokens - 1, 0.0), now)
        self._buckets.move_to_end(key)
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)

    def sweep(self, now: float) -> None:
        """Drop the buckets idle long enough to be full again (they equal no bucket)."""
        while self._buckets:
            bucket = next(iter(self._buckets.values()))
            if now - bucket.at < self.rate.per_seconds:
                break
            self._buckets.popitem(last=False)

    def _tokens(self, key: Hashable, now: float) -> float:
        bucket = self._buckets.get(key)
        if bucket is None:
            return float(self.rate.count)
        elapsed = max(now - bucket.at, 0.0)  # a clock that steps back refills nothing
        return min(bucket.tokens + elapsed * self.rate.per_second, float(self.rate.count))


def acquire(limits: Sequence[tuple[Buckets, Hashable]], now: float) -> float:
    """Take one token from every (buckets, key) when all have one, and return 0.0; otherwise
    take none and return the seconds to wait (the longest of the limits that refused)."""
    for buckets, _ in limits:
        buckets.sweep(now)
    wait = max((buckets.wait(key, now) for buckets, key in limits), default=0.0)
    if wait > 0:
        return wait
    for buckets, key in limits:
        buckets.take(key, now)
    return 0.0


def slowest(limits: Sequence[tuple[Buckets, Hashable]], now: float) -> Buckets:
    """The limit with the longest wait: the one that decides a refusal's wait."""
    return max(limits, key=lambda limit: limit[0].wait(limit[1], now))[0]


def retry_after(wait: float) -> int:
    """Whole seconds for a Retry-After header: rounded up, at least 1."""
    return max(1, math.ceil(round(wait, 6)))  # 1.000000000000003 (float noise) is 1
