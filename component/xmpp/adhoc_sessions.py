"""Sessions of multi-step ad-hoc commands (XEP-0050): bound to the full JID that started them, the
address and the command; they expire, and the store is capped (oldest dropped first).

Plain Python, no slixmpp: the adapter (adhoc.py) maps the errors to XMPP errors.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

LIFETIME_SECONDS = 600.0
CAPACITY = 1000
PER_ACCOUNT = 10
"""Sessions one account (bare JID, all its resources) may hold: its oldest goes first, so no one
can push everyone else's sessions out of the store."""


class UnknownSession(LookupError):
    """No such session here (never started, ended, expired, or for another address/command)."""


class ForeignSession(PermissionError):
    """The session exists but someone else started it."""


@dataclass(slots=True)
class Session:
    id: str
    owner: str  # the full JID that started it
    target: str  # the bare JID it runs at
    node: str
    expires_at: float
    context: object = None  # what the adapter needs for the next step (the question asked)


class Sessions:
    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        lifetime: float = LIFETIME_SECONDS,
        capacity: int = CAPACITY,
    ) -> None:
        self._clock = clock
        self._lifetime = lifetime
        self._capacity = capacity
        self._by_id: dict[str, Session] = {}  # oldest first: every session lives as long
        self._by_key: dict[tuple[str, str, str], str] = {}

    def start(self, owner: str, target: str, node: str, context: object = None) -> Session:
        """A new session; it replaces the owner's earlier one for the same address and command."""
        self._expire()
        key = (owner, target, node)
        if key in self._by_key:
            self.end(self._by_key[key])
        account = owner.partition("/")[0]
        own = [s.id for s in self._by_id.values() if s.owner.partition("/")[0] == account]
        for old in own[: max(0, len(own) - PER_ACCOUNT + 1)]:
            self.end(old)
        while len(self._by_id) >= self._capacity:
            self.end(next(iter(self._by_id)))
        expires_at = self._clock() + self._lifetime
        session = Session(secrets.token_urlsafe(18), owner, target, node, expires_at, context)
        self._by_id[session.id] = session
        self._by_key[key] = session.id
        return session

    def find(self, session_id: str, requester: str, target: str, node: str) -> Session:
        """The session `requester` continues; ForeignSession when someone else started it."""
        self._expire()
        session = self._by_id.get(session_id)
        if session is None:
            raise UnknownSession(session_id)
        if session.owner != requester:
            raise ForeignSession(session_id)
        if (session.target, session.node) != (target, node):
            raise UnknownSession(session_id)
        return session

    def get(self, session_id: str) -> Session | None:
        """The session by its id (already checked by `find`), or None once it ended."""
        return self._by_id.get(session_id)

    def end(self, session_id: str) -> None:
        session = self._by_id.pop(session_id, None)
        if session is not None:
            self._by_key.pop((session.owner, session.target, session.node), None)

    def __len__(self) -> int:
        return len(self._by_id)

    def _expire(self) -> None:
        now = self._clock()
        while self._by_id:
            oldest = next(iter(self._by_id.values()))
            if oldest.expires_at > now:
                return
            self.end(oldest.id)
