"""When a webhook delivery that failed is tried again, and when it is given up: exponential
back-off with jitter, for a window counted from when the delivery was made.

Pure: no clock (`now` is a parameter), randomness from the caller's generator; must not import
asyncio, the use cases or an adapter.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """The n-th wait is first_delay * 2**(n-1), capped at max_delay, of which a random part
    (the upper half) is taken ("equal jitter"); retries stop `retry_for` seconds after the
    delivery was made, with a last attempt at that moment."""

    first_delay: float
    max_delay: float
    retry_for: float

    def delay(self, failures: int, rng: random.Random) -> float:
        """The wait after `failures` failures in a row (1 for the first)."""
        ceiling = min(self.max_delay, self.first_delay * 2.0 ** min(max(failures, 1) - 1, 60))
        return ceiling / 2 + rng.uniform(0, ceiling / 2)

    def next_attempt(
        self, created_at: float, failures: int, now: float, rng: random.Random
    ) -> float | None:
        """When to try again after `failures` failed attempts, the last at `now`; None when the
        window is over (the delivery has failed for good)."""
        ends = created_at + self.retry_for
        if now >= ends:
            return None
        return min(now + self.delay(failures, rng), ends)
