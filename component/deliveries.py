"""Webhook deliveries as the drainer handles them: one due for an attempt, what one attempt came
to, and what is stored of it. Plain values, no I/O; must not import asyncio, the use cases or an
adapter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class DueDelivery:
    """A stored delivery not delivered nor failed yet, with its webhook's URL and secret."""

    row_id: int
    delivery_id: str
    site_id: int
    webhook_number: int
    event: str
    body: str
    created_at: float
    attempts: int
    url: str
    secret: str = field(repr=False)

    @property
    def webhook(self) -> tuple[int, int]:
        return (self.site_id, self.webhook_number)


class Failure(StrEnum):
    """Why an attempt failed (the label of helperchat_webhook_errors_total)."""

    TIMEOUT = "timeout"
    CONNECTION = "connection"  # refused, reset, name not found, TLS
    STATUS = "status"  # an answer that is not 2xx (a redirect included: never followed)
    BLOCKED = "blocked_address"  # not a public address, and those are not allowed


@dataclass(frozen=True, slots=True)
class Attempt:
    """One POST: delivered (a 2xx) or why not; `status` is the text stored ("HTTP 204",
    "HTTP 500", "timeout after 10 s", "connection refused", ...)."""

    status: str
    failure: Failure | None = None

    @property
    def delivered(self) -> bool:
        return self.failure is None


class Outcome(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    FAILED = "failed"  # given up: its retry window is over


@dataclass(frozen=True, slots=True)
class AttemptResult:
    """What is stored of an attempt on row `row_id`: `attempts` in all, when (`at`), the
    status text, the outcome and, for a retry, when it is due again."""

    row_id: int
    attempts: int
    at: float
    status: str
    outcome: Outcome
    next_attempt_at: float | None = None
