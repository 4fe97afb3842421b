"""Which relayed message stands for which original, per chat, so acknowledgements find their way.

Pure and bounded: a map keeps its newest LIMIT entries, an entry goes once read, and a chat's maps
leave with the chat when it closes. No I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from component.models import AckRequest, Receipt

LIMIT = 256
"""Entries per map and chat: acknowledgements of older messages are dropped."""

_K = TypeVar("_K")


class AckMap(Generic[_K]):
    """Key -> the original message and the acknowledgements still owed for it, newest `limit`."""

    __slots__ = ("_entries", "_limit")

    def __init__(self, limit: int = LIMIT) -> None:
        self._entries: dict[_K, AckRequest] = {}
        self._limit = limit

    def put(self, key: _K, request: AckRequest) -> None:
        """Remember a message whose author asked for acknowledgements (others are not kept)."""
        if not request.kinds:
            return
        self._entries[key] = request
        if len(self._entries) > self._limit:
            del self._entries[next(iter(self._entries))]

    def pop(self, key: _K) -> AckRequest | None:
        return self._entries.pop(key, None) if self._entries else None

    def take(self, key: _K, kind: Receipt) -> str | None:
        """The original's id when this acknowledgement is owed, once; read settles the entry."""
        request = self._entries.get(key)
        if request is None or kind not in request.kinds:
            return None
        left = request.kinds - {kind} if kind is Receipt.DELIVERED else frozenset()
        if left:
            self._entries[key] = AckRequest(request.id, left)
        else:
            del self._entries[key]
        return request.id

    def __len__(self) -> int:
        return len(self._entries)


@dataclass(slots=True)
class ChatAcks:
    """One chat's maps: visitor messages not relayed yet (by seq), and relayed ids each way."""

    waiting: AckMap[int] = field(default_factory=AckMap)
    to_operator: AckMap[str] = field(default_factory=AckMap)
    to_visitor: AckMap[str] = field(default_factory=AckMap)
