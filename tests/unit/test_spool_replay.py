"""Writing the spool back: real files in a temporary directory, a store that fails on demand."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from pathlib import Path

import pytest

from component.archive import ArchiveBatch, ArchiveStore, ArchiveWriter, OperatorUpdate
from component.models import Chat, ChatState, Message, Sender, VisitorKind
from component.spool import SpoolDirectory, SpoolError, SpoolOwner, replay_spool
from tests.unit.fakes import DownStore, FlakyStore, PickyStore

OWNER = SpoolOwner("helpdesk.example.com", "helperchat")


def chat(state: ChatState = ChatState.ASSIGNED) -> Chat:
    return Chat(1, 1, "v@x", VisitorKind.XMPP, "V", state, opened_at=1.5, operator="a@x")


def message(seq: int, body: str = "") -> Message:
    return Message(1, 1, seq, 1e9 + seq / 1e6, Sender.VISITOR, "v@x", body or f"m{seq}")


def rows(*seqs: int, state: ChatState = ChatState.ASSIGNED) -> ArchiveBatch:
    update = OperatorUpdate(1, "a@x", last_assigned_at=2.5)
    return ArchiveBatch((chat(state),), tuple(message(seq) for seq in seqs), (update,))


def writer_of(store: ArchiveStore) -> ArchiveWriter:
    return ArchiveWriter(store, flush_interval=0.001, batch_size=50, retry_max_delay=0.01)


async def replay(
    spool: SpoolDirectory, store: ArchiveStore, stop: asyncio.Event | None = None
) -> bool:
    return await replay_spool(spool, lambda: writer_of(store), stop or asyncio.Event())


async def test_every_file_is_stored_oldest_first_and_then_removed(tmp_path: Path) -> None:
    spool = SpoolDirectory(tmp_path, OWNER)
    spool.save(rows(1, 2))
    spool.save(rows(3, state=ChatState.CLOSED))  # a later stop: its chat state is the newer
    store = FlakyStore()
    assert await replay(spool, store)
    assert sorted(store.messages) == [(1, 1, 1), (1, 1, 2), (1, 1, 3)]
    assert store.chats[(1, 1)].state is ChatState.CLOSED
    assert [batch.operators for batch in store.batches] == [rows().operators] * 2
    assert spool.files() == []


async def test_a_row_stored_before_the_stop_is_stored_once(tmp_path: Path) -> None:
    store = FlakyStore()
    await store.write_batch(rows(1))  # the commit went through, its answer was lost
    spool = SpoolDirectory(tmp_path, OWNER)
    spool.save(rows(1, 2))
    assert await replay(spool, store)
    assert sorted(store.messages) == [(1, 1, 1), (1, 1, 2)]


async def test_a_database_that_refuses_is_retried_and_the_file_kept_until_stored(
    tmp_path: Path,
) -> None:
    spool = SpoolDirectory(tmp_path, OWNER)
    path = spool.save(rows(1))
    store = FlakyStore(failures=3)
    seen: list[bool] = []
    original = store.write_batch

    async def write_batch(batch: ArchiveBatch) -> None:
        seen.append(path.exists())
        await original(batch)

    store.write_batch = write_batch  # type: ignore[method-assign]
    assert await replay(spool, store)
    assert seen == [True] * 4  # three refusals, then the commit, all before the removal
    assert list(store.messages) == [(1, 1, 1)] and not path.exists()


async def test_a_stop_during_the_replay_keeps_the_file(tmp_path: Path) -> None:
    spool = SpoolDirectory(tmp_path, OWNER)
    path = spool.save(rows(1))
    store = DownStore()  # the database never comes back
    stop = asyncio.Event()
    replaying = asyncio.create_task(replay(spool, store, stop))
    await store.called.wait()
    stop.set()
    assert await replaying is False
    assert spool.files() == [path] and spool.read(path).batch == rows(1)


async def test_a_row_refused_for_its_values_is_left_out_by_key_and_the_rest_stored(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spool = SpoolDirectory(tmp_path, OWNER)
    batch = rows(1, 3)
    spool.save(replace(batch, messages=(*batch.messages, message(2, "poison"))))
    store = PickyStore()
    assert await replay(spool, store)
    assert sorted(store.messages) == [(1, 1, 1), (1, 1, 3)]
    refused = [r for r in caplog.records if "site 1 chat 1 seq 2" in r.getMessage()]
    assert [r.levelno for r in refused] == [logging.ERROR]
    assert spool.files() == []


async def test_a_cut_file_is_stored_up_to_its_last_whole_line_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spool = SpoolDirectory(tmp_path, OWNER)
    path = spool.save(rows(1, 2))
    data = path.read_bytes()
    path.write_bytes(data[: data.index(b'"m2"')])  # a crash in the middle of the last message
    store = FlakyStore()
    assert await replay(spool, store)
    assert list(store.messages) == [(1, 1, 1)] and list(store.chats) == [(1, 1)]
    assert [batch.operators for batch in store.batches] == [()]
    cut = data.index(b'"m2"') - data[: data.index(b'"m2"')].rindex(b"\n") - 1
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert f"spool file {path} ends in a line cut short" in warnings[0]
    assert f"its last {cut} bytes are ignored" in warnings[0]
    # the cut line and the operator update after it
    assert f"spool file {path} announced 4 rows; 2 of them cannot be read" in warnings[1]


async def test_an_invalid_line_is_skipped_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spool = SpoolDirectory(tmp_path, OWNER)
    path = spool.save(rows(1, 2))
    lines = path.read_bytes().splitlines(keepends=True)
    lines[2] = b'{"kind": "message", "seq": "two"}\n'  # the first message's line
    path.write_bytes(b"".join(lines))
    store = FlakyStore()
    assert await replay(spool, store)
    assert list(store.messages) == [(1, 1, 2)]
    assert any(
        f"spool file {path}: line 3: " in r.getMessage() and r.levelno == logging.WARNING
        for r in caplog.records
    )


async def test_files_of_another_component_or_database_are_left_alone(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    other = SpoolDirectory(tmp_path, SpoolOwner("helpdesk.example.com", "staging"))
    theirs = other.save(rows(1))
    spool = SpoolDirectory(tmp_path, OWNER)
    spool.save(rows(2))
    store = FlakyStore()
    assert await replay(spool, store)
    assert list(store.messages) == [(1, 1, 2)]
    assert spool.files() == [theirs]
    assert any(
        "component helpdesk.example.com for database staging" in r.getMessage()
        for r in caplog.records
    )


async def test_a_file_without_any_whole_line_is_removed(tmp_path: Path) -> None:
    spool = SpoolDirectory(tmp_path, OWNER)
    path = spool.save(rows(1))
    path.write_bytes(b'{"helperchat_sp')  # the crash came before the header was whole
    assert await replay(spool, FlakyStore())
    assert spool.files() == []


async def test_a_file_that_cannot_be_read_stops_the_start(tmp_path: Path) -> None:
    spool = SpoolDirectory(tmp_path, OWNER)
    path = spool.save(rows(1))
    path.unlink()
    path.mkdir()  # where the file was, something that cannot be read as one
    with pytest.raises(SpoolError, match=f"cannot read the spool file {path}"):
        await replay(spool, FlakyStore())
