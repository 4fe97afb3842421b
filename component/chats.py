"""Pure chat state machine and the book of open chats: numbers, the tail of each chat's messages
and its counts, per-site FIFO queue.

No I/O and no clock: every transition takes `now`. An open chat keeps only its newest messages
(chat_tail.py); closed chats leave the book; the archive keeps everything.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import TypeVar

from component.chat_tail import DEFAULT_LIMITS, ChatTail, TailLimits
from component.models import (
    NO_CARD,
    Chat,
    ChatState,
    Message,
    Notice,
    Sender,
    VisitorCard,
    VisitorKind,
)
from component.receipts import ChatAcks

_K = TypeVar("_K")


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
    """A chat in the book with what the desk needs while it is open."""

    chat: Chat
    tail: ChatTail = field(default_factory=ChatTail)  # its newest messages (the archive has all)
    next_seq: int = 1
    visitor_messages: int = 0
    operator_messages: int = 0
    first_visitor: Message | None = None  # for the first operator's header; dropped once sent
    answered: bool = False
    lost_by: set[str] = field(default_factory=set)
    waiting_since: float | None = None
    told_position: int = 0
    handed: bool = False  # an operator had it before: the next one gets the whole transcript
    acks: ChatAcks = field(default_factory=ChatAcks)  # receipts and markers in flight
    card: VisitorCard = NO_CARD  # a web visitor's details; empty for XMPP visitors
    page_noted_at: float | None = None  # when its operator was last told of a page change
    page_pending: bool = False  # a page change waits for the end of the note interval
    assignment: int = 0  # counts assignments: a hand-over in flight knows whether it is stale
    last_words_at: float | None = None  # the newest visitor's or operator's message (None: none)

    @property
    def quiet_since(self) -> float:
        """When its visitor or an operator last wrote in it (its opening, if nobody has)."""
        return self.chat.opened_at if self.last_words_at is None else self.last_words_at


class ChatBook:
    """Open chats of every site, found by number or by visitor, with chat numbers allocated."""

    def __init__(self, tail_limits: TailLimits = DEFAULT_LIMITS) -> None:
        self._tail_limits = tail_limits
        self._open: dict[tuple[int, int], OpenChat] = {}
        self._by_visitor: dict[tuple[int, str], int] = {}
        self._last_number: dict[int, int] = {}
        self._queues: dict[int, dict[int, OpenChat]] = {}
        self._assigned: dict[int, dict[int, OpenChat]] = {}  # site -> number -> chat
        self._held: dict[int, dict[str, dict[int, OpenChat]]] = {}  # site -> operator -> ...

    def restore(self, last_numbers: dict[int, int], chats: Iterable[OpenChat]) -> None:
        """Load what storage kept: the highest number per site and the chats still open."""
        self._last_number.update(last_numbers)
        for entry in chats:
            entry.tail.limit_to(self._tail_limits)
            self._put(entry)

    def open(
        self, site_id: int, visitor: str, kind: VisitorKind, name: str, now: float, lang: str = ""
    ) -> OpenChat:
        """A new chat, queued; `lang`: the language its visitor is told things in."""
        number = self._last_number.get(site_id, 0) + 1
        self._last_number[site_id] = number
        chat = Chat(
            site_id, number, visitor, kind, name, ChatState.QUEUED, opened_at=now, lang=lang
        )
        entry = OpenChat(chat, ChatTail(self._tail_limits))
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
        self._unindex(entry.chat)
        entry.chat = chat
        if chat.state in (ChatState.CLOSED, ChatState.OFFLINE):
            del self._open[(chat.site_id, chat.number)]
            del self._by_visitor[(chat.site_id, chat.visitor)]
        else:
            self._index(entry)

    def drop_site(self, site_id: int) -> list[OpenChat]:
        """Forget every open chat of a deleted site (its archive rows went with it); they are
        returned."""
        dropped = [self._open.pop(key) for key in [key for key in self._open if key[0] == site_id]]
        for entry in dropped:
            self._by_visitor.pop((site_id, entry.chat.visitor), None)
        self._queues.pop(site_id, None)
        self._assigned.pop(site_id, None)
        self._held.pop(site_id, None)
        self._last_number.pop(site_id, None)
        return dropped

    def add_message(
        self,
        entry: OpenChat,
        sender: Sender,
        author: str,
        body: str,
        now: float,
        notice: Notice = Notice.NONE,
        detail: str = "",
    ) -> Message:
        """The chat's next message: into its tail and its counts (the caller archives it)."""
        chat = entry.chat
        message = Message(
            chat.site_id, chat.number, entry.next_seq, now, sender, author, body, notice, detail
        )
        entry.next_seq += 1
        entry.tail.add(message)
        _count(entry, message)
        return message

    def queued(self, site_id: int) -> list[OpenChat]:
        """The site's queue, first come first served."""
        waiting = self._queues.get(site_id, {}).values()
        return sorted(waiting, key=lambda e: (e.chat.opened_at, e.chat.number))

    def assigned(self, site_id: int | None = None) -> Iterator[OpenChat]:
        """Chats with an operator, of one site or of all."""
        sites = self._assigned.values() if site_id is None else [self._assigned.get(site_id, {})]
        for chats in list(sites):
            yield from list(chats.values())

    def assigned_to(self, jid: str, site_id: int | None = None) -> Iterator[OpenChat]:
        """Chats the operator holds now, of one site or of all."""
        sites = self._held.values() if site_id is None else [self._held.get(site_id, {})]
        for holders in list(sites):
            yield from list(holders.get(jid, {}).values())

    def holders(self, site_id: int) -> list[str]:
        """The operators who hold at least one chat of the site now."""
        return list(self._held.get(site_id, ()))

    def open_at(self, site_id: int) -> int:
        """How many chats of the site are open (queued or assigned)."""
        return len(self._queues.get(site_id, ())) + len(self._assigned.get(site_id, ()))

    def unanswered_quiet_since(self, before: float) -> list[OpenChat]:
        """Open chats no operator ever wrote in, in which nobody wrote since `before`."""
        return [
            entry
            for entry in self._open.values()
            if entry.operator_messages == 0 and entry.quiet_since <= before
        ]

    def open_count(self, site_id: int, jid: str) -> int:
        """How many chats of the site the operator has assigned now."""
        return len(self._held.get(site_id, {}).get(jid, ()))

    def __len__(self) -> int:
        return len(self._open)

    def _put(self, entry: OpenChat) -> None:
        chat = entry.chat
        self._open[(chat.site_id, chat.number)] = entry
        self._by_visitor[(chat.site_id, chat.visitor)] = chat.number
        self._index(entry)

    def _index(self, entry: OpenChat) -> None:
        chat = entry.chat
        if chat.state is ChatState.QUEUED:
            self._queues.setdefault(chat.site_id, {})[chat.number] = entry
        elif chat.state is ChatState.ASSIGNED and chat.operator is not None:
            self._assigned.setdefault(chat.site_id, {})[chat.number] = entry
            holders = self._held.setdefault(chat.site_id, {})
            holders.setdefault(chat.operator, {})[chat.number] = entry

    def _unindex(self, chat: Chat) -> None:
        """Take a chat out of the queue and assignment indexes; empty buckets go too."""
        _discard(self._queues, chat.site_id, chat.number)
        _discard(self._assigned, chat.site_id, chat.number)
        holders = self._held.get(chat.site_id)
        if chat.operator is not None and holders is not None:
            _discard(holders, chat.operator, chat.number)
            if not holders:
                del self._held[chat.site_id]


def _count(entry: OpenChat, message: Message) -> None:
    if message.sender is Sender.VISITOR:
        entry.visitor_messages += 1
        entry.last_words_at = message.at
        if entry.visitor_messages == 1 and not entry.handed:
            entry.first_visitor = message
    elif message.sender is Sender.OPERATOR:
        entry.operator_messages += 1
        entry.last_words_at = message.at


def _discard(index: dict[_K, dict[int, OpenChat]], key: _K, number: int) -> None:
    bucket = index.get(key)
    if bucket is not None:
        bucket.pop(number, None)
        if not bucket:
            del index[key]
