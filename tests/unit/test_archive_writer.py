"""The batched write-behind archive writer over a fake store that fails on demand."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

import pytest

from component.archive import (
    ArchiveBatch,
    ArchiveClosed,
    ArchiveWriter,
    OperatorUpdate,
    RejectedError,
)
from component.models import Chat, ChatState, Message, Sender, VisitorKind
from tests.unit.fakes import DownStore, FlakyStore, PickyStore


def chat(state: ChatState = ChatState.QUEUED) -> Chat:
    return Chat(1, 1, "v@x", VisitorKind.XMPP, "V", state, opened_at=1.0)


def message(seq: int) -> Message:
    return Message(1, 1, seq, float(seq), Sender.VISITOR, "v@x", f"m{seq}")


def writer_for(store: FlakyStore, batch_size: int = 50) -> ArchiveWriter:
    return ArchiveWriter(store, flush_interval=0.001, batch_size=batch_size, retry_max_delay=0.01)


async def test_rows_are_batched_and_flushed_on_close() -> None:
    store = FlakyStore()
    writer = writer_for(store)
    writer.start()
    writer.add_chat(chat())
    for seq in range(1, 121):
        writer.add_message(message(seq))
    assert not len(await writer.close())
    assert sorted(store.messages) == [(1, 1, s) for s in range(1, 121)]
    assert len(store.batches) < 120
    assert all(len(b.messages) <= 50 for b in store.batches)


async def test_failures_keep_rows_and_retry_in_order() -> None:
    store = FlakyStore(failures=5)
    writer = writer_for(store)
    writer.start()
    writer.add_chat(chat())
    for seq in range(1, 31):
        writer.add_message(message(seq))
        await asyncio.sleep(0)
    await writer.flush()
    assert not len(await writer.close())
    written = [m.seq for b in store.batches for m in b.messages]
    assert written == list(range(1, 31))
    assert writer.failures == 0 and writer.backlog == 0


async def test_ambiguous_commit_is_retried_without_duplicates() -> None:
    store = FlakyStore(failures=2, ambiguous=True)
    writer = writer_for(store)
    writer.start()
    writer.add_chat(chat())
    writer.add_message(message(1))
    await writer.flush()
    await writer.close()
    assert list(store.messages) == [(1, 1, 1)]


async def test_latest_chat_state_wins_over_a_failed_older_one() -> None:
    store = FlakyStore(failures=1)
    writer = writer_for(store)
    writer.add_chat(chat(ChatState.QUEUED))
    flushing = asyncio.create_task(writer.flush())
    await asyncio.sleep(0)
    writer.add_chat(chat(ChatState.CLOSED))
    await flushing
    await writer.flush()
    assert store.chats[(1, 1)].state is ChatState.CLOSED


async def test_operator_updates_are_written() -> None:
    store = FlakyStore()
    writer = writer_for(store)
    writer.add_operator_update(OperatorUpdate(1, "a@x", last_assigned_at=5.0))
    await writer.flush()
    assert store.batches[0].operators == (OperatorUpdate(1, "a@x", last_assigned_at=5.0),)


async def test_a_refused_row_is_isolated_logged_by_its_key_and_the_rest_stored(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    store = PickyStore()
    writer = writer_for(store)
    writer.add_chat(chat())
    writer.add_message(message(1))
    writer.add_message(replace(message(2), body="poison"))
    writer.add_message(message(3))
    await writer.flush()
    assert sorted(store.messages) == [(1, 1, 1), (1, 1, 3)]
    refused = [r for r in caplog.records if "site 1 chat 1 seq 2" in r.getMessage()]
    assert [r.levelno for r in refused if r.levelno > logging.DEBUG] == [logging.ERROR]
    assert [r.levelno for r in caplog.records if "poison" in r.getMessage()] == [logging.DEBUG]
    writer.add_message(message(4))
    await writer.flush()
    assert (1, 1, 4) in store.messages


class NameRefusingStore(FlakyStore):
    """Refuses chat rows whose visitor name is 'refuse me', and messages of unknown chats."""

    async def write_batch(self, batch: ArchiveBatch) -> None:
        if any(c.visitor_name == "refuse me" for c in batch.chats):
            raise RejectedError("CONSTRAINT failed")
        known = set(self.chats) | {(c.site_id, c.number) for c in batch.chats}
        if any((m.site_id, m.chat_number) not in known for m in batch.messages):
            raise RejectedError("a foreign key constraint fails")
        await super().write_batch(batch)


async def test_a_refused_chat_row_is_replaced_by_a_placeholder_and_its_messages_kept() -> None:
    store = NameRefusingStore()
    writer = writer_for(store)
    writer.add_chat(replace(chat(ChatState.ASSIGNED), visitor_name="refuse me", operator="a@x"))
    writer.add_message(message(1))
    writer.add_message(message(2))
    await asyncio.wait_for(writer.flush(), 5)
    kept = store.chats[(1, 1)]
    assert kept.visitor_name != "refuse me"
    assert (kept.visitor, kept.state, kept.operator) == ("v@x", ChatState.ASSIGNED, "a@x")
    assert sorted(store.messages) == [(1, 1, 1), (1, 1, 2)]


class HangingStore(FlakyStore):
    """Never answers the first `hangs` writes (a half-open connection), then stores."""

    def __init__(self, hangs: int) -> None:
        super().__init__()
        self.hangs = hangs
        self.calls = 0
        self.called = asyncio.Event()

    async def write_batch(self, batch: ArchiveBatch) -> None:
        self.calls += 1
        self.called.set()
        if self.hangs:
            self.hangs -= 1
            await asyncio.Event().wait()
        await super().write_batch(batch)


async def test_a_store_that_never_answers_is_timed_out_and_retried() -> None:
    store = HangingStore(hangs=2)
    writer = ArchiveWriter(
        store, flush_interval=0.001, batch_size=50, retry_max_delay=0.01, write_timeout=0.05
    )
    writer.add_chat(chat())
    writer.add_message(message(1))
    await asyncio.wait_for(writer.flush(), 5)
    assert list(store.messages) == [(1, 1, 1)]
    assert store.calls == 3 and writer.backlog == 0


async def test_the_writer_stops_accepting_at_its_backlog_cap_until_drained(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    store = FlakyStore()
    writer = ArchiveWriter(
        store, flush_interval=0.001, batch_size=50, retry_max_delay=0.01, max_backlog=10
    )
    writer.add_chat(chat())
    for seq in range(1, 7):
        writer.add_message(message(seq))
    assert writer.accepting and not caplog.records
    writer.add_message(message(7))  # 8 rows: 80 % of the cap
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "archive.max_backlog" in warnings[0].getMessage()
    writer.add_message(message(8))
    assert writer.accepting
    writer.add_message(message(9))
    assert not writer.accepting and writer.backlog == 10
    writer.add_message(message(10))  # never dropped: the service is the one that refuses
    assert writer.backlog == 11
    await writer.flush()
    assert writer.accepting and len(store.messages) == 10
    assert [r.levelno for r in caplog.records] == [logging.WARNING, logging.INFO]


async def test_a_stop_with_the_database_down_hands_back_every_row_without_waiting_out_a_retry() -> (
    None
):
    store = DownStore()
    # a back-off of an hour after the first failure: close() must not wait for it
    writer = ArchiveWriter(store, flush_interval=3600, batch_size=1, retry_max_delay=3600)
    writer.start()
    writer.add_chat(chat())
    for seq in range(1, 4):
        writer.add_message(message(seq))
    await store.called.wait()
    unstored = await asyncio.wait_for(writer.close(timeout=3600), 30)  # a hang guard only
    assert unstored.chats == (chat(),)
    assert [m.seq for m in unstored.messages] == [1, 2, 3]
    assert store.calls == 2  # the failed one, and one more try at the stop
    assert writer.backlog == 0
    with pytest.raises(ArchiveClosed):
        writer.add_message(message(4))
        await writer.flush()


async def test_a_write_that_hangs_at_the_stop_is_cut_off_and_its_batch_handed_back() -> None:
    store = HangingStore(hangs=1)
    writer = writer_for(store)
    writer.start()
    writer.add_chat(chat(ChatState.QUEUED))
    writer.add_message(message(1))
    await store.called.wait()
    writer.add_chat(chat(ChatState.CLOSED))  # while the first batch is in flight
    writer.add_message(message(2))
    unstored = await writer.close(timeout=0.01)
    assert unstored.chats == (chat(ChatState.CLOSED),)  # the newer state of the chat wins
    assert [m.seq for m in unstored.messages] == [1, 2]  # the batch in flight comes first
    assert store.messages == {}


async def test_a_stop_with_nothing_left_hands_back_nothing() -> None:
    writer = writer_for(FlakyStore())
    writer.start()
    assert not len(await writer.close())
    assert not len(await writer.close())  # a second stop changes nothing


async def test_a_batch_is_added_row_by_row_in_its_order() -> None:
    store = FlakyStore()
    writer = writer_for(store)
    update = OperatorUpdate(1, "a@x", paused=True)
    writer.add_batch(ArchiveBatch((chat(),), (message(1), message(2)), (update,)))
    await writer.flush()
    assert sorted(store.messages) == [(1, 1, 1), (1, 1, 2)]
    assert store.batches[0].operators == (update,)
