"""The desk's Transcripts port: a transcript longer than its chat's tail, from the archive.

On `send` the outbox holds what goes from the chat JID to the operator; a task flushes the archive
writer, reads the chat in bounded reads (twice: once to count the pages, once to send them, so a
long chat is never held whole) and sends each page through the hold, then releases it, so what the
desk relayed meanwhile follows the last page. A page is sent only while the chat is still that
operator's by the same assignment; a failed or timed-out read is told to the operator. Wiring: it
awaits; SQL stays in storage/, stanza text in xmpp/.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import aclosing
from typing import Any, Protocol, TypeVar

from component import texts
from component.desk.ports import TranscriptOrder
from component.holds import Gate
from component.models import Message
from component.transcript_pages import Pager, numbered, page_budget

log = logging.getLogger(__name__)

ROWS_PER_READ = 200
"""Messages per archive read: at most a few MB in memory at a time, whatever the chat's length."""

ReadMessages = Callable[[int, int, int, int, int], Awaitable[list[Message]]]
"""(site_id, number, after, through, limit): the first `limit` messages after the seq `after` up
to `through`, in seq order (ArchiveRepository.messages_between)."""

_T = TypeVar("_T")


class HoldingOut(Protocol):
    """The outbox's hold (xmpp/outbox.py): what goes on a (sender, recipient) pair waits behind a
    gate until it is released; the gate's own pages go through it first."""

    def hold(self, sender: str, recipient: str) -> Gate[Any]: ...

    def send_through(self, gate: Gate[Any], body: str, *, nick: str | None = None) -> None: ...

    def release(self, gate: Gate[Any]) -> None: ...


class ArchivedTranscripts:
    def __init__(
        self,
        out: HoldingOut,
        flush: Callable[[], Awaitable[None]],
        read: ReadMessages,
        *,
        timeout: float,
        rows_per_read: int = ROWS_PER_READ,
    ) -> None:
        """`timeout` bounds each step (the flush, each read); `flush` writes the archive's
        buffer (ArchiveWriter.flush), so the read finds every message up to the order's seq."""
        self._out = out
        self._flush = flush
        self._read = read
        self._timeout = timeout
        self._rows = rows_per_read
        self._tasks: set[asyncio.Task[None]] = set()

    def send(self, order: TranscriptOrder) -> None:
        gate = self._out.hold(order.sender, order.recipient)  # before anything else is sent
        task = asyncio.get_running_loop().create_task(self._deliver(order, gate))
        self._tasks.add(task)
        task.add_done_callback(lambda done: self._settle(done, gate))

    def _settle(self, task: asyncio.Task[None], gate: Gate[Any]) -> None:
        """A transcript's task ended; one cancelled before it ran never reached its `finally`,
        so its gate is released here (what waited behind it goes all the same)."""
        self._tasks.discard(task)
        if not gate.released:
            self._out.release(gate)

    async def idle(self) -> None:
        """Wait until every transcript under way is out (or given up)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def close(self) -> None:
        """Stop the transcripts under way; what their holds kept goes out all the same."""
        for task in list(self._tasks):
            task.cancel()
        await self.idle()

    async def _deliver(self, order: TranscriptOrder, gate: Gate[Any]) -> None:
        try:
            await self._in_time(self._flush())
            parts = sum([1 async for _ in self._pages(order)])
            await self._send_pages(order, gate, parts)
        except Exception as exc:
            reason = self._reason(exc)
            log.warning("transcript of chat %d.%d not read: %s", *_key(order), reason)
            if order.current():
                self._out.send_through(gate, texts.transcript_unavailable(reason))
        finally:
            self._out.release(gate)

    async def _send_pages(self, order: TranscriptOrder, gate: Gate[Any], parts: int) -> None:
        part = 0
        async with aclosing(self._pages(order)) as pages:
            async for page in pages:
                if not order.current():
                    log.info("transcript of chat %d.%d dropped: it moved on", *_key(order))
                    return
                part += 1
                nick = order.nick if part == 1 else None
                self._out.send_through(gate, numbered(page, part, max(parts, part)), nick=nick)
                await asyncio.sleep(0)  # a long transcript lets other chats go on meanwhile
        log.info("transcript of chat %d.%d: %d pages from the archive", *_key(order), part)

    async def _pages(self, order: TranscriptOrder) -> AsyncGenerator[str, None]:
        pager = Pager(page_budget(order.sender, order.recipient, order.nick))
        for page in pager.add(order.header):
            yield page
        async for message in self._messages(order):
            for page in pager.add(texts.transcript_line(message, order.names)):
                yield page
        for page in pager.finish():
            yield page

    async def _messages(self, order: TranscriptOrder) -> AsyncGenerator[Message, None]:
        after = order.after
        while after < order.through:
            read = self._read(order.site_id, order.number, after, order.through, self._rows)
            batch = await self._in_time(read)
            if not batch:
                return
            for message in batch:
                yield message
            after = batch[-1].seq

    def _reason(self, exc: Exception) -> str:
        if isinstance(exc, TimeoutError):
            return f"no answer within {self._timeout:g} s"
        return str(exc) or type(exc).__name__

    async def _in_time(self, step: Awaitable[_T]) -> _T:
        async with asyncio.timeout(self._timeout):
            return await step


def _key(order: TranscriptOrder) -> tuple[int, int]:
    return order.site_id, order.number
