"""Archive policy and the batched write-behind writer: nothing relayed is ever dropped silently.

The service appends chats, messages, operator updates and the records of records.py (feedback,
mail, webhook deliveries, site events) without awaiting; a background task
writes them in one transaction per batch (by size or after a short interval), and keeps them and
retries with back-off while the database is away or does not answer. Writes are idempotent (keyed
rows), so a batch retried after an ambiguous failure is stored exactly once. Only a row the
database refuses for its own values is left out, logged by its key. At a stop, what the database
does not take in time is handed back for the spool (component/spool/). Must not import aiomysql
or slixmpp.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

from component.errors import ArchiveFull
from component.models import Chat, ChatState, Message
from component.records import Record

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class OperatorUpdate:
    """A persisted operator value: last assignment, subscription state, paused flag."""

    site_id: int
    jid: str
    last_assigned_at: float | None = None
    subscribed_at: float | None = None
    unsubscribed: bool = False
    paused: bool | None = None


@dataclass(frozen=True, slots=True)
class ArchiveBatch:
    chats: tuple[Chat, ...] = ()
    messages: tuple[Message, ...] = ()
    operators: tuple[OperatorUpdate, ...] = ()
    records: tuple[Record, ...] = ()  # written after the chats and messages, in their order

    def __len__(self) -> int:
        return len(self.chats) + len(self.messages) + len(self.operators) + len(self.records)


class RejectedError(Exception):
    """The store refused the rows themselves (bad data): retrying the same rows cannot succeed."""


class ArchiveStore(Protocol):
    async def write_batch(self, batch: ArchiveBatch) -> None: ...


@dataclass(slots=True)
class _Pending:
    chats: dict[tuple[int, int], Chat] = field(default_factory=dict)
    messages: list[Message] = field(default_factory=list)
    operators: list[OperatorUpdate] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)

    def size(self) -> int:
        return len(self.chats) + len(self.messages) + len(self.operators) + len(self.records)

    def take(self, limit: int) -> ArchiveBatch:
        """Cut a batch: every pending chat row (latest state wins), up to `limit` messages and
        up to `limit` records (a record may name a chat: its chat row goes with it or before)."""
        batch = ArchiveBatch(
            tuple(self.chats.values()),
            tuple(self.messages[:limit]),
            tuple(self.operators),
            tuple(self.records[:limit]),
        )
        self.chats, self.operators = {}, []
        del self.messages[:limit]
        del self.records[:limit]
        return batch

    def take_all(self) -> ArchiveBatch:
        return self.take(max(len(self.messages), len(self.records)))

    def put_back(self, batch: ArchiveBatch) -> None:
        """Return a failed batch in front of what arrived meanwhile, keeping newer chat states."""
        newer = self.chats
        self.chats = {(c.site_id, c.number): c for c in batch.chats}
        self.chats.update(newer)
        self.messages[:0] = batch.messages
        self.operators[:0] = batch.operators
        self.records[:0] = batch.records


STOP_SECONDS = 3.0
"""How long `close()` goes on writing at a stop by default. A database that is down refuses at
once, and the rows go to the spool without waiting for this: the bound is for one that hangs (a
lost network makes each attempt wait up to mysql.connect_timeout) or a backlog too big to drain
quickly. A healthy database writes a 500-row batch in a few milliseconds, so 3 s drain tens of
thousands of rows, while a stop stays short enough that no service manager kills it before the
rows are on disk (systemd waits 90 s by default). Whatever is left is in the spool, not lost."""


class ArchiveClosed(Exception):
    """The writer gave up at a stop: the rows it holds are for the spool, not the database."""


class ArchiveWriter:
    """Buffers archive rows and flushes them in batches; `close()` hands back what it could not
    store, for the spool.

    Every store call is bounded by `write_timeout`; a timeout is retried like any failure. The
    writer never drops a row it was given: `accepting` turns False once `max_backlog` rows wait,
    so the desk can refuse new messages until the database catches up.
    """

    def __init__(
        self,
        store: ArchiveStore,
        *,
        flush_interval: float,
        batch_size: int,
        retry_max_delay: float,
        write_timeout: float = 30.0,
        max_backlog: int = 100_000,
    ) -> None:
        self._store = store
        self._flush_interval = flush_interval
        self._batch_size = batch_size
        self._retry_max_delay = retry_max_delay
        self._write_timeout = write_timeout
        self._max_backlog = max_backlog
        self._pending = _Pending()
        self._flying = ArchiveBatch()  # the batch being written, in no other list meanwhile
        self._wake = asyncio.Event()
        self._closing = asyncio.Event()  # set at a stop; cuts a retry's back-off short
        self._task: asyncio.Task[None] | None = None
        self._writing = asyncio.Lock()
        self._stopped = False  # no more writing: what is left goes to the spool
        self._crowded = False
        self.failures = 0
        self._on_stored: list[Callable[[ArchiveBatch], None]] = []

    def on_stored(self, callback: Callable[[ArchiveBatch], None]) -> None:
        """Call `callback` with every batch once the database holds it (the mail and webhook
        drainers wake on their rows); it must not raise."""
        self._on_stored.append(callback)

    def add_chat(self, chat: Chat) -> None:
        self._pending.chats[(chat.site_id, chat.number)] = chat
        self._nudge()

    def add_message(self, message: Message) -> None:
        self._pending.messages.append(message)
        self._nudge()

    def add_operator_update(self, update: OperatorUpdate) -> None:
        self._pending.operators.append(update)
        self._nudge()

    def add_record(self, record: Record) -> None:
        self._pending.records.append(record)
        self._nudge()

    def add_batch(self, batch: ArchiveBatch) -> None:
        """Every row of `batch`, as if added one by one in its order."""
        for chat in batch.chats:
            self.add_chat(chat)
        for message in batch.messages:
            self.add_message(message)
        for update in batch.operators:
            self.add_operator_update(update)
        for record in batch.records:
            self.add_record(record)

    @property
    def backlog(self) -> int:
        """Rows not stored yet, a batch being written included."""
        return self._pending.size() + len(self._flying)

    @property
    def accepting(self) -> bool:
        """False while `max_backlog` rows wait: new messages should be refused until it drains."""
        return self.backlog < self._max_backlog

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="archive-writer")

    async def close(self, timeout: float = STOP_SECONDS) -> ArchiveBatch:
        """Stop: go on writing while the database takes the rows, for at most `timeout` seconds,
        and return what could not be stored (empty when all was), for the spool. Once closing, a
        failed write is not retried: the database is away, and the rows are safer on disk."""
        self._closing.set()
        self._wake.set()
        await self._end_task(timeout)
        self._stopped = True
        self._pending.put_back(self._flying)
        self._flying = ArchiveBatch()
        return self._pending.take_all()

    async def _end_task(self, timeout: float) -> None:
        """Let the writing task finish within `timeout`, else cancel it (its rows are kept)."""
        task = self._task
        if task is None:
            return
        _, running = await asyncio.wait({task}, timeout=timeout)
        if running:
            task.cancel()
            await asyncio.wait({task})
        if not task.cancelled() and task.exception() is not None:
            log.error("archive: the writer failed", exc_info=task.exception())

    async def flush(self) -> None:
        """Write everything pending now, and wait for a batch in flight (retrying until stored).

        ArchiveClosed once a stop gave up writing (the rows stay, for the spool)."""
        async with self._writing:
            while self._pending.size():
                if self._stopped:
                    raise ArchiveClosed("the archive stopped writing; the rows go to the spool")
                await self._write_one_batch()

    async def flush_within(self, timeout: float) -> None:
        """`flush()`, given up after `timeout` seconds with ArchiveFull (the database does not
        answer; the rows stay and are written once it does). For a caller that answers someone:
        a web request must not wait out a database outage."""
        try:
            async with asyncio.timeout(timeout):
                await self.flush()
        except TimeoutError:
            raise ArchiveFull(
                "the archive is not answering; please try again in a moment"
            ) from None

    def _nudge(self) -> None:
        if self._stopped:
            log.error("archive: a row came after the stop and is not stored")
        if self._pending.size() >= self._batch_size:
            self._wake.set()
        self._watch_backlog()

    def _watch_backlog(self) -> None:
        """Warn once when the backlog reaches 80 % of the cap; tell when it is below half again."""
        backlog = self.backlog
        if not self._crowded and backlog * 5 >= self._max_backlog * 4:
            self._crowded = True
            log.warning(
                "archive: %d rows wait for the database, 80 %% of archive.max_backlog (%d);"
                " new messages are refused once it is full",
                backlog,
                self._max_backlog,
            )
        elif self._crowded and backlog * 2 < self._max_backlog:
            self._crowded = False
            log.info("archive: backlog down to %d rows, messages are accepted again", backlog)

    async def _run(self) -> None:
        while not self._stopped and (self._pending.size() or not self._closing.is_set()):
            if not self._closing.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._flush_interval)
            self._wake.clear()
            async with self._writing:
                if self._pending.size() and not self._stopped:
                    await self._write_one_batch()

    async def _write_one_batch(self) -> None:
        """Store the next batch, retrying with back-off (rows that arrive meanwhile join it, in
        order); once closing, a failure ends the writing instead."""
        delay = self._flush_interval
        while (failure := await self._attempt()) is not None:
            self.failures += 1
            if self.failures == 1 or self.failures % 20 == 0:
                reason = _reason(failure)
                log.warning("archive: write failed (%s); %d rows kept", reason, self.backlog)
            if self._closing.is_set():
                self._stopped = True
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), delay)
            delay = min(delay * 2, self._retry_max_delay)
        if self.failures:
            log.info("archive: database back, rows written (%d still to write)", self.backlog)
        self.failures = 0
        self._watch_backlog()

    async def _attempt(self) -> Exception | None:
        """Store the next batch; its rows go back in front when that fails or is cancelled."""
        self._flying = self._pending.take(self._batch_size)
        stored = False
        try:
            await self._store_batch(self._flying)
            stored = True
        except Exception as exc:
            return exc
        finally:
            batch, self._flying = self._flying, ArchiveBatch()
            if not stored:
                self._pending.put_back(batch)
        self._tell_stored(batch)
        return None

    def _tell_stored(self, batch: ArchiveBatch) -> None:
        for callback in self._on_stored:
            try:
                callback(batch)
            except Exception:
                log.exception("archive: a callback on stored rows failed")

    async def _write(self, batch: ArchiveBatch) -> None:
        async with asyncio.timeout(self._write_timeout):
            await self._store.write_batch(batch)

    async def _store_batch(self, batch: ArchiveBatch) -> None:
        try:
            await self._write(batch)
        except RejectedError as exc:
            log.warning("archive: a batch was refused (%s); storing it row by row", exc)
            await self._store_row_by_row(batch)

    async def _store_row_by_row(self, batch: ArchiveBatch) -> None:
        """Isolate refused rows; any other failure propagates and the batch is retried (keyed).

        Chat rows go first: a refused one is stored with placeholder values, so its messages keep
        their parent. A message, operator update or record then refused on its own is bad by
        itself: it is left out, logged by its key (its values, the body included, only at DEBUG).
        """
        for chat in batch.chats:
            await self._store_chat_alone(chat)
        for message in batch.messages:
            key = f"site {message.site_id} chat {message.chat_number} seq {message.seq}"
            await self._store_or_leave_out(ArchiveBatch(messages=(message,)), key)
        for update in batch.operators:
            key = f"site {update.site_id} operator {update.jid}"
            await self._store_or_leave_out(ArchiveBatch(operators=(update,)), key)
        for record in batch.records:
            await self._store_or_leave_out(ArchiveBatch(records=(record,)), record.key)

    async def _store_chat_alone(self, chat: Chat) -> None:
        key = f"site {chat.site_id} chat {chat.number}"
        refusal = await self._try_alone(ArchiveBatch(chats=(chat,)), key)
        if refusal is None:
            return
        for stand_in in placeholder_chats(chat):
            if await self._try_alone(ArchiveBatch(chats=(stand_in,)), key) is None:
                log.error("archive: %s refused (%s); stored with placeholder values", key, refusal)
                return
        log.error("archive: %s refused (%s), even with placeholder values", key, refusal)

    async def _store_or_leave_out(self, rows: ArchiveBatch, key: str) -> None:
        refusal = await self._try_alone(rows, key)
        if refusal is not None:
            log.error("archive: %s refused by the database, left out (%s)", key, refusal)

    async def _try_alone(self, rows: ArchiveBatch, key: str) -> RejectedError | None:
        """Store `rows`; return the refusal instead of raising it."""
        try:
            await self._write(rows)
        except RejectedError as exc:
            log.debug("archive: %s refused: %r", key, rows)
            return exc
        return None


PLACEHOLDER_NAME = "(name not stored)"


def placeholder_chats(chat: Chat) -> tuple[Chat, Chat]:
    """Stand-ins for a chat row the database refused, tried in turn, keeping its key and times:
    first without its free text (name, routing reason), then also without any address (closed:
    a chat without its visitor cannot be resumed).
    """
    no_text = replace(chat, visitor_name=PLACEHOLDER_NAME, route_reason="")
    closed = chat.state if chat.state in _ENDED else ChatState.CLOSED
    bare = replace(
        no_text, visitor="", operator=None, state=closed, closed_at=chat.closed_at or chat.opened_at
    )
    return no_text, bare


_ENDED = (ChatState.CLOSED, ChatState.OFFLINE)


def _reason(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__
