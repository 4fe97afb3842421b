"""WebVisitors: the VisitorTransport of web chats. It appends to each chat's event log and wakes
the chat's long polls; the desk's archive seqs become the events' seqs.

A chat's log is rebuilt once, on its first read (`history`), from the history of the chat: the
tail the desk keeps of an open chat when it holds what is asked (synchronous, so nothing can come
between), else the archive (its writer flushed first). Events that arrived before (after a
restart, the log holds only those) or while the archive was read merge with the rebuilt ones by
seq, so none is lost or kept twice.

A log holds at most its cap of events. A reader asking for events after a seq the log may lack
(older than what it kept) is answered from the same history instead, a page of at most the cap
(`events_after`); it asks again after the last seq it got, so it misses nothing and gets nothing
twice, and the log does not grow.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable

from component.chat_events import (
    ChatEvents,
    ChatHistory,
    ChatKey,
    ChatLog,
    Event,
    event_of,
    events_of,
    first_events,
)
from component.desk.helpdesk import HelpDesk
from component.models import NO_RECEIPTS, Chat, Message, Receipt, Site, Typing

OpenHistory = Callable[[ChatKey, int, int | None], ChatHistory | None]
"""Shown messages of a chat open in the desk, from the tail it keeps, (key, limit, after): the
newest `limit`, or with a seq `after` the first `limit` after it; None if the chat is not open or
its tail does not hold them."""
IsOpen = Callable[[ChatKey], bool]
ArchivedHistory = Callable[[ChatKey, int, int | None], Awaitable[ChatHistory]]
"""The same from the archive, everything the desk recorded included."""
OperatorName = Callable[[Site, str], str]
AvatarUrl = Callable[[Site], str | None]

SUBSCRIPTION_LIMIT = 256
"""Wake-ups an open WebSocket may have pending; past it the socket is too slow and is closed."""


class Subscription:
    """One open WebSocket's wake-ups for its chat, in order: None when the kept log changed (read
    it from the log after what was sent), or a live event. Each calls `wake` (the socket's sender
    takes them with `take`). Bounded: an overflow is flagged, not grown. A context manager: the
    chat's wake-ups reach it until its block ends.

    Light while idle, as most sockets are: the deque exists only while wake-ups are pending (an
    asyncio.Queue holds four deques and an Event, about 3 KB per open widget, bench/web.py)."""

    __slots__ = ("_key", "_limit", "_pending", "_subscribers", "_wake", "overflowed")

    def __init__(
        self,
        subscribers: dict[ChatKey, set[Subscription]],
        key: ChatKey,
        wake: Callable[[], None],
        limit: int = SUBSCRIPTION_LIMIT,
    ) -> None:
        self._subscribers, self._key, self._wake, self._limit = subscribers, key, wake, limit
        self._pending: deque[Event | None] | None = None
        self.overflowed = False

    def __enter__(self) -> Subscription:
        self._subscribers.setdefault(self._key, set()).add(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        subscribers = self._subscribers.get(self._key)
        if subscribers is not None:
            subscribers.discard(self)
            if not subscribers:
                del self._subscribers[self._key]

    def notify(self, live: Event | None) -> None:
        pending = self._pending
        if pending is None:
            pending = self._pending = deque()
        if len(pending) >= self._limit:
            self.overflowed = True
            return
        pending.append(live)
        self._wake()

    @property
    def pending(self) -> bool:
        return bool(self._pending)

    def take(self) -> Event | None:
        """The oldest pending wake-up (IndexError when none is)."""
        if not self._pending:
            raise IndexError("no wake-up pending")
        live = self._pending.popleft()
        if not self._pending:
            self._pending = None
        return live


class WebVisitors:
    acknowledges = frozenset(Receipt)  # shown as `receipt` events

    def __init__(self, clock: Callable[[], float]) -> None:
        self.events = ChatEvents()
        self._clock = clock
        self._waiters: dict[ChatKey, set[asyncio.Future[Event | None]]] = {}
        self._subscribers: dict[ChatKey, set[Subscription]] = {}
        # set once the desk and the archive exist:
        self.operator_name: OperatorName = lambda site, jid: ""
        self.avatar_url: AvatarUrl = lambda site: None
        self.open_history: OpenHistory = lambda key, limit, after: None
        self.is_open: IsOpen = lambda key: False
        self.archived_history: ArchivedHistory = _nothing_archived

    def attach(self, desk: HelpDesk, archived: ArchivedHistory, public_url: str | None) -> None:
        """Operators' names and the site's avatar from the desk's directory; a chat's history
        from the desk's tail while it is open and holds it, else from `archived`."""

        def operator_name(site: Site, jid: str) -> str:
            operator = desk.directory.operator(site.id, jid)
            return operator.name if operator is not None else ""

        def open_history(key: ChatKey, limit: int, after: int | None) -> ChatHistory | None:
            entry = desk.chats.get(*key)
            if entry is None:
                return None
            tail, last_seq = entry.tail, entry.next_seq - 1
            return ChatHistory.of_tail(tail.messages, tail.dropped_to, last_seq, limit, after)

        self.operator_name = operator_name
        self.avatar_url = lambda site: site_avatar_url(public_url, site)
        self.open_history = open_history
        self.is_open = lambda key: desk.chats.get(*key) is not None
        self.archived_history = archived

    # -- the VisitorTransport port -----------------------------------------------------------

    def deliver(
        self,
        site: Site,
        chat: Chat,
        message: Message,
        *,
        typing: Typing | None = None,
        ask: frozenset[Receipt] = NO_RECEIPTS,
    ) -> str:
        """The message's event (none for what web visitors are not shown); never acknowledged."""
        self._keep(site, message)
        return ""

    def typing(self, site: Site, chat: Chat, state: Typing) -> None:
        self._live(_key(chat), "typing", state=state.value)

    def receipt(self, site: Site, chat: Chat, visitor_message_id: str, kind: Receipt) -> None:
        if visitor_message_id.isdigit():
            self._live(_key(chat), "receipt", of=int(visitor_message_id), state=kind.value)

    def closed(self, site: Site, chat: Chat, last_seq: int) -> None:
        now = self._clock()
        self.events.close(_key(chat), last_seq, chat.closed_at or now)
        self._wake(_key(chat), None)
        self.events.expire(now)

    # -- the web side ------------------------------------------------------------------------

    def visitor_said(self, site: Site, message: Message) -> None:
        """The visitor's own words (web requests), kept so a reloaded widget shows them."""
        self._keep(site, message)

    async def history(self, site: Site, key: ChatKey) -> ChatLog:
        """The chat's complete log: rebuilt on its first read (see the module docstring). A
        closed chat's log that is gone is rebuilt from the archive and not kept."""
        log = self.events.log(key)
        if log is not None and log.complete:
            return log
        names, avatar, cap = self._names(site), self.avatar_url(site), self.events.cap
        history = self.open_history(key, cap, None)
        if history is not None:  # no await: nothing can come in between
            rebuilt = events_of(history, names, avatar)
            return self.events.restore(key, rebuilt, history.missing_to(cap))
        history = await self.archived_history(key, cap, None)
        rebuilt = events_of(history, names, avatar)
        if self.is_open(key) or self.events.log(key) is not None:
            # open (its tail too short for the read), or closed since a restart (kept till
            # expiry): events that came during the read merge by seq
            return self.events.restore(key, rebuilt, history.missing_to(cap))
        last = rebuilt[-1].seq if rebuilt else 0
        missing_to = history.missing_to(cap)
        return ChatLog(rebuilt, last, history.closed_at, complete=True, missing_to=missing_to)

    async def events_after(self, site: Site, key: ChatKey, after: int) -> list[Event]:
        """Kept events after the seq `after`, in seq order: all of them from the log when it
        holds them, else the first page (at most the cap) from the chat's history."""
        return await self._from(await self.history(site, key), site, key, after)

    def holds(self, key: ChatKey, after: int) -> bool:
        """True unless the chat's log may lack kept events after `after` (read them in pages)."""
        log = self.events.log(key)
        return log is None or log.holds(after)

    async def _from(self, log: ChatLog, site: Site, key: ChatKey, after: int) -> list[Event]:
        if log.holds(after):
            return log.after(after)
        names, avatar, cap = self._names(site), self.avatar_url(site), self.events.cap
        page = self.open_history(key, cap, after)
        if page is None:  # closed: the archive has every message (its writer flushed first)
            page = await self.archived_history(key, cap, after)
        return first_events(page, names, avatar, cap)

    async def wait(self, site: Site, key: ChatKey, after: int, timeout: float) -> list[Event]:
        """Kept events after `after` (`events_after`); when none, waits up to `timeout` for the
        next event."""
        log = await self.history(site, key)
        found = await self._from(log, site, key, after)
        if found or timeout <= 0 or log.closed_at is not None:
            return found
        waiter: asyncio.Future[Event | None] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(key, set()).add(waiter)
        try:
            live = await asyncio.wait_for(waiter, timeout)
        except TimeoutError:
            return []
        finally:
            self._forget(key, waiter)
        return await self.events_after(site, key, after) or ([live] if live is not None else [])

    def subscribe(
        self, key: ChatKey, wake: Callable[[], None], limit: int = SUBSCRIPTION_LIMIT
    ) -> Subscription:
        """Every wake-up of the chat while the returned subscription's block runs (`with`)."""
        return Subscription(self._subscribers, key, wake, limit)

    def subscribed_chats(self) -> int:
        """How many chats have an open subscription (for tests: none stays behind)."""
        return len(self._subscribers)

    def _keep(self, site: Site, message: Message) -> None:
        event = event_of(message, self._names(site), self.avatar_url(site))
        if event is not None:
            key = (message.site_id, message.chat_number)
            self.events.add(key, event)
            self._wake(key, None)

    def _names(self, site: Site) -> Callable[[str], str]:
        return lambda jid: self.operator_name(site, jid)

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


def site_avatar_url(public_url: str | None, site: Site) -> str | None:
    """Where browsers load the site's shared avatar; None when it has none (or no public URL)."""
    if public_url is None or not site.settings.avatar_etag:
        return None
    return f"{public_url}/api/v1/sites/{site.slug}/avatar"


async def _nothing_archived(key: ChatKey, limit: int, after: int | None) -> ChatHistory:
    return ChatHistory((), 0)


def _key(chat: Chat) -> ChatKey:
    return (chat.site_id, chat.number)
