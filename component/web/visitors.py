"""WebVisitors: the VisitorTransport of web chats. It appends to each chat's event log and wakes
the chat's long polls; the desk's archive seqs become the events' seqs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from component.chat_events import ChatEvents, ChatKey, Event
from component.models import NO_RECEIPTS, Chat, Message, Receipt, Sender, Site, Typing

LatestMessage = Callable[[Chat], Message | None]
"""The message the desk recorded last in an open chat (the one just delivered)."""
OperatorName = Callable[[Site, str], str]

SUBSCRIPTION_LIMIT = 256
"""Wake-ups an open WebSocket may have pending; past it the socket is too slow and is closed."""


class Subscription:
    """One open WebSocket's wake-ups for its chat: None when the kept log changed (read it from
    the log after what was sent), or a live event. Bounded: an overflow is flagged, not grown."""

    def __init__(self, limit: int = SUBSCRIPTION_LIMIT) -> None:
        self.queue: asyncio.Queue[Event | None] = asyncio.Queue(limit)
        self.overflowed = False

    def notify(self, live: Event | None) -> None:
        try:
            self.queue.put_nowait(live)
        except asyncio.QueueFull:
            self.overflowed = True


class WebVisitors:
    def __init__(self, clock: Callable[[], float]) -> None:
        self.events = ChatEvents()
        self._clock = clock
        self._waiters: dict[ChatKey, set[asyncio.Future[Event | None]]] = {}
        self._subscribers: dict[ChatKey, set[Subscription]] = {}
        self.latest: LatestMessage = lambda chat: None  # set once the desk exists
        self.operator_name: OperatorName = lambda site, jid: ""

    # -- the VisitorTransport port -----------------------------------------------------------

    def deliver(
        self,
        site: Site,
        chat: Chat,
        body: str,
        *,
        typing: Typing | None = None,
        ask: frozenset[Receipt] = NO_RECEIPTS,
    ) -> str:
        message = self.latest(chat)
        if message is None or message.body != body:
            return ""  # not from the archive: nothing a restart could show again
        fields: dict[str, object] = {"from": message.sender.value, "text": body}
        if message.sender is Sender.OPERATOR:
            fields["operator"] = self.operator_name(site, message.author)
        self.events.keep(_key(chat), message.seq, "message", message.at, **fields)
        self._wake(_key(chat), None)
        return ""

    def typing(self, site: Site, chat: Chat, state: Typing) -> None:
        self._live(_key(chat), "typing", state=state.value)

    def receipt(self, site: Site, chat: Chat, visitor_message_id: str, kind: Receipt) -> None:
        if visitor_message_id.isdigit():
            self._live(_key(chat), "receipt", of=int(visitor_message_id), state=kind.value)

    def closed(self, site: Site, chat: Chat) -> None:
        now, latest = self._clock(), self.latest(chat)
        self.events.close(_key(chat), latest.seq if latest is not None else 0, now)
        self._wake(_key(chat), None)
        self.events.expire(now)

    # -- the web side ------------------------------------------------------------------------

    def visitor_said(self, message: Message) -> None:
        """The visitor's own words (web requests), kept so a reloaded widget shows them."""
        key = (message.site_id, message.chat_number)
        fields: dict[str, object] = {"from": "visitor", "text": message.body}
        self.events.keep(key, message.seq, "message", message.at, **fields)
        self._wake(key, None)

    async def wait(self, key: ChatKey, after: int, timeout: float) -> list[Event]:
        """Kept events after `after`; when none, waits up to `timeout` for the next event."""
        found = self._after(key, after)
        if found or timeout <= 0:
            return found
        waiter: asyncio.Future[Event | None] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(key, set()).add(waiter)
        try:
            live = await asyncio.wait_for(waiter, timeout)
        except TimeoutError:
            return []
        finally:
            self._forget(key, waiter)
        return self._after(key, after) or ([live] if live is not None else [])

    @contextmanager
    def subscribe(self, key: ChatKey, limit: int = SUBSCRIPTION_LIMIT) -> Iterator[Subscription]:
        """Every wake-up of the chat until the block ends (then the subscription is gone)."""
        subscription = Subscription(limit)
        self._subscribers.setdefault(key, set()).add(subscription)
        try:
            yield subscription
        finally:
            subscribers = self._subscribers.get(key)
            if subscribers is not None:
                subscribers.discard(subscription)
                if not subscribers:
                    del self._subscribers[key]

    def subscribed_chats(self) -> int:
        """How many chats have an open subscription (for tests: none stays behind)."""
        return len(self._subscribers)

    def after(self, key: ChatKey, after: int) -> list[Event]:
        """Kept events of the chat after `after`, in seq order (none when it has no log)."""
        return self._after(key, after)

    def _after(self, key: ChatKey, after: int) -> list[Event]:
        log = self.events.log(key)
        return [] if log is None else log.after(after)

    def _live(self, key: ChatKey, kind: str, **fields: object) -> None:
        event = self.events.live(key, kind, self._clock(), **fields)
        if event is not None:
            self._wake(key, event)

    def _wake(self, key: ChatKey, live: Event | None) -> None:
        for waiter in self._waiters.pop(key, set()):
            if not waiter.done():
                waiter.set_result(live)
        for subscription in self._subscribers.get(key, ()):
            subscription.notify(live)

    def _forget(self, key: ChatKey, waiter: asyncio.Future[Event | None]) -> None:
        waiters = self._waiters.get(key)
        if waiters is not None:
            waiters.discard(waiter)
            if not waiters:
                del self._waiters[key]


def _key(chat: Chat) -> ChatKey:
    return (chat.site_id, chat.number)
