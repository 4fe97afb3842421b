"""Writing the spool back at a start: every file of this component and database, oldest first,
through an archive writer of its own (the writer's keyed writes, so a row already stored is
stored once; refused rows row by row, logged by key; retried with back-off while the database
refuses), each file removed only once its rows are committed. Must not import aiomysql or slixmpp.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from component.archive import ArchiveBatch, ArchiveWriter
from component.spool.files import SpoolDirectory
from component.spool.lines import SpoolContents

log = logging.getLogger(__name__)


async def replay_spool(
    spool: SpoolDirectory, new_writer: Callable[[], ArchiveWriter], stop: asyncio.Event
) -> bool:
    """Store and remove every file of ours; False when `stop` came first (the file being written
    stays for the next start). SpoolError when a file cannot be read or removed."""
    for path in spool.files():
        contents = spool.read(path)
        _tell_problems(path, contents)
        if contents.owner is None and contents.whole_lines == 0:
            log.warning("archive: spool file %s holds no whole line; removed", path)
        elif contents.owner != spool.owner:
            _tell_foreign(path, contents)
            continue
        elif not await _store(contents.batch, new_writer(), stop):
            return False
        spool.remove(path)
        if len(contents.batch):
            log.info("archive: %d spooled rows from %s stored", len(contents.batch), path)
    return True


async def _store(batch: ArchiveBatch, writer: ArchiveWriter, stop: asyncio.Event) -> bool:
    """Write `batch` until it is stored (True) or `stop` is set (False)."""
    writer.add_batch(batch)
    flushing = asyncio.create_task(writer.flush())
    stopping = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait({flushing, stopping}, return_when=asyncio.FIRST_COMPLETED)
    for task in (flushing, stopping):
        task.cancel()
    await asyncio.gather(flushing, stopping, return_exceptions=True)
    if flushing not in done:
        return False
    flushing.result()  # raises what went wrong, if anything did
    return True


def _tell_problems(path: Path, contents: SpoolContents) -> None:
    if contents.ignored_bytes:
        log.warning(
            "archive: spool file %s ends in a line cut short (a crash while writing?);"
            " its last %d bytes are ignored",
            path,
            contents.ignored_bytes,
        )
    for problem in contents.skipped:
        log.warning("archive: spool file %s: %s, skipped", path, problem)
    missing = contents.announced - len(contents.batch)
    if contents.owner is not None and missing > 0:
        log.warning(
            "archive: spool file %s announced %d rows; %d of them cannot be read",
            path,
            contents.announced,
            missing,
        )


def _tell_foreign(path: Path, contents: SpoolContents) -> None:
    owner = contents.owner
    if owner is None:
        log.warning("archive: spool file %s has no valid header; left alone", path)
        return
    log.warning(
        "archive: spool file %s holds rows of component %s for database %s; left alone",
        path,
        owner.component,
        owner.database,
    )
