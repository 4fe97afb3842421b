"""Pure chat state machine and the book of open chats: numbers, transcripts, per-site FIFO queue.

No I/O and no clock: every transition takes `now`. Closed chats leave the book; the archive keeps
them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace

from component.models import Chat, ChatState, Message, Sender, VisitorKind


class TransitionError(Exception):
    """A state change the chat state machine does not allow."""


_ALLOWED = {
    ChatState.QUEUED: {ChatState.ASSIGNED, ChatState.CLOSED, ChatState.OFFLINE},
    ChatState.ASSIGNED: {ChatState.ASSIGNED, ChatState.QUEUED, ChatState.CLOSED},
    ChatState.CLOSED: set(),
    ChatState.OFFLINE: set(),
}


def transition(chat: Chat, state: ChatState, now: float, operator: str | None = None) -> Chat:
    """Return the chat in its new state, or raise TransitionError."""
    if state not in _ALLOWED[chat.state]:
        raise TransitionError(f"chat {chat.number}: {chat.state} -> {state} is not allowed")
    if state is ChatState.ASSIGNED:
        if operator is None:
            raise TransitionError("an assigned chat needs an operator")
        return replace(chat, state=state, operator=operator, assigned_at=now)
    if state is ChatState.QUEUED:
        return replace(chat, state=state, operator=None, assigned_at=None)
    return replace(chat, state=state, closed_at=now)


@dataclass(slots=True)
class OpenChat:
    """A chat in the book with what the service needs while it is open."""

    chat: Chat
    transcript: list[Message] = field(default_factory=list)
    next_seq: int = 1
    answered: bool = False
    lost_by: set[str] = field(default_factory=set)
    waiting_since: float | None = None
    told_position: int = 0


class ChatBook:
    """Open chats of every site, found by number or by visitor, with chat numbers allocated."""

    def __init__(self) -> None:
        self._open: dict[tuple[int, int], OpenChat] = {}
        self._by_visitor: dict[tuple[int, str], int] = {}
        self._last_number: dict[int, int] = {}
        self._load: dict[tuple[int, str], int] = {}
        self._queues: dict[int, dict[int, OpenChat]] = {}

    def restore(self, last_numbers: dict[int, int], chats: Iterable[OpenChat]) -> None:
        """Load what storage kept: the highest number per site and the chats still open."""
        self._last_number.update(last_numbers)
        for entry in chats:
            self._put(entry)

    def open(
        self, site_id: int, visitor: str, kind: VisitorKind, name: str, now: float
    ) -> OpenChat:
        number = self._last_number.get(site_id, 0) + 1
        self._last_number[site_id] = number
        chat = Chat(site_id, number, visitor, kind, name, ChatState.QUEUED, opened_at=now)
        entry = OpenChat(chat)
        self._put(entry)
        return entry

    def get(self, site_id: int, number: int) -> OpenChat | None:
        return self._open.get((site_id, number))

    def existed(self, site_id: int, number: int) -> bool:
        """True when the number was handed out (the chat may be closed by now)."""
        return 0 < number <= self._last_number.get(site_id, 0)

    def of_visitor(self, site_id: int, visitor: str) -> OpenChat | None:
        number = self._by_visitor.get((site_id, visitor))
        return None if number is None else self._open[(site_id, number)]

    def set_state(self, entry: OpenChat, chat: Chat) -> None:
        """Store a transition's result; a closed chat leaves the book."""
        self._count(entry.chat, -1)
        entry.chat = chat
        self._count(chat, +1)
        queue = self._queues.setdefault(chat.site_id, {})
        if chat.state is ChatState.QUEUED:
            queue[chat.number] = entry
        else:
            queue.pop(chat.number, None)
        if chat.state in (ChatState.CLOSED, ChatState.OFFLINE):
            key = (chat.site_id, chat.number)
            del self._open[key]
            del self._by_visitor[(chat.site_id, chat.visitor)]

    def add_message(
        self, entry: OpenChat, sender: Sender, author: str, body: str, now: float
    ) -> Message:
        chat = entry.chat
        message = Message(chat.site_id, chat.number, entry.next_seq, now, sender, author, body)
        entry.next_seq += 1
        entry.transcript.append(message)
        return message

    def queued(self, site_id: int) -> list[OpenChat]:
        """The site's queue, first come first served."""
        waiting = self._queues.get(site_id, {}).values()
        return sorted(waiting, key=lambda e: (e.chat.opened_at, e.chat.number))

    def assigned(self, site_id: int | None = None) -> Iterator[OpenChat]:
        """Chats with an operator, of one site or of all."""
        for entry in self._open.values():
            chat = entry.chat
            if chat.state is ChatState.ASSIGNED and (site_id is None or chat.site_id == site_id):
                yield entry

    def assigned_to(self, jid: str, site_id: int | None = None) -> Iterator[OpenChat]:
        for entry in self._open.values():
            chat = entry.chat
            mine = chat.operator == jid and chat.state is ChatState.ASSIGNED
            if mine and (site_id is None or chat.site_id == site_id):
                yield entry

    def open_count(self, site_id: int, jid: str) -> int:
        """How many chats of the site the operator has assigned now."""
        return self._load.get((site_id, jid), 0)

    def __len__(self) -> int:
        return len(self._open)

    def _put(self, entry: OpenChat) -> None:
        chat = entry.chat
        self._open[(chat.site_id, chat.number)] = entry
        self._by_visitor[(chat.site_id, chat.visitor)] = chat.number
        self._count(chat, +1)
        if chat.state is ChatState.QUEUED:
            self._queues.setdefault(chat.site_id, {})[chat.number] = entry

    def _count(self, chat: Chat, delta: int) -> None:
        if chat.state is ChatState.ASSIGNED and chat.operator is not None:
            key = (chat.site_id, chat.operator)
            self._load[key] = self._load.get(key, 0) + delta
