"""Spool files on local disk: one file per stop that left rows unstored, kept until the next start
has written them to the database (the format is lines.py).

A file is created once under a name of its own (`NNNNNNNN-<UTC time>-<random>.jsonl`: the
number, eight digits or more, is one above the highest in the directory, so files sort by it in
the order they were written even if the clock went back, and the random part makes a clash
impossible), appended to, and fsynced with its directory before the stop reports it saved.
Files and the directory are private to the user running HelperChat (they hold message bodies).
Must not import asyncio, aiomysql or slixmpp.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from component.archive import ArchiveBatch
from component.spool.lines import SpoolContents, SpoolOwner, decode_spool, encode_spool

SPOOL_NAME = re.compile(r"(\d{8,})-\d{8}T\d{6}\.\d{6}Z-[0-9a-f]{8}\.jsonl")


class SpoolError(Exception):
    """The spool directory or one of its files cannot be used; the message says which and why."""


class SpoolDirectory:
    def __init__(
        self, path: Path, owner: SpoolOwner, clock: Callable[[], float] = time.time
    ) -> None:
        self.path = path
        self.owner = owner
        self._clock = clock

    def check_usable(self) -> None:
        """Create the directory if needed and write, sync and remove a file in it, as a stop
        would; SpoolError saying what failed."""
        try:
            self._make_directory()
            descriptor, probe = tempfile.mkstemp(prefix=".probe-", dir=self.path)
            try:
                os.write(descriptor, b"probe\n")
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
                os.unlink(probe)
        except OSError as exc:
            raise SpoolError(
                f"cannot write to the spool directory {self.path}: {_why(exc)}"
            ) from exc

    def save(self, batch: ArchiveBatch) -> Path:
        """Write `batch` to a new file, synced with its directory; its path."""
        data = encode_spool(self.owner, batch)
        try:
            self._make_directory()
            path, file = self._create()
            with file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            _sync_directory(self.path)
        except OSError as exc:
            raise SpoolError(f"cannot write a spool file in {self.path}: {_why(exc)}") from exc
        return path

    def files(self) -> list[Path]:
        """The spool files in the directory, oldest first (none when it does not exist)."""
        try:
            names = os.listdir(self.path)
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise SpoolError(f"cannot list the spool directory {self.path}: {_why(exc)}") from exc
        numbered = [(int(m.group(1)), name) for name in names if (m := SPOOL_NAME.fullmatch(name))]
        return [self.path / name for _, name in sorted(numbered)]  # by number: 9 digits after 8

    def read(self, path: Path) -> SpoolContents:
        try:
            return decode_spool(path.read_bytes())
        except OSError as exc:
            raise SpoolError(f"cannot read the spool file {path}: {_why(exc)}") from exc

    def remove(self, path: Path) -> None:
        """Delete a file whose rows are stored, for good (the directory synced)."""
        try:
            path.unlink()
            _sync_directory(self.path)
        except OSError as exc:
            raise SpoolError(
                f"cannot remove the spool file {path}, whose rows are stored: {_why(exc)};"
                " remove it by hand before the next start"
            ) from exc

    def _make_directory(self) -> None:
        self.path.mkdir(mode=0o700, parents=True, exist_ok=True)

    def _create(self) -> tuple[Path, io.BufferedWriter]:
        while True:
            path = self.path / self._new_name()
            try:
                return path, open(path, "xb", opener=_private_append)
            except FileExistsError:
                continue

    def _new_name(self) -> str:
        numbers = (int(m.group(1)) for p in self.files() if (m := SPOOL_NAME.fullmatch(p.name)))
        stamp = datetime.fromtimestamp(self._clock(), UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        return f"{max(numbers, default=0) + 1:08d}-{stamp}-{secrets.token_hex(4)}.jsonl"


def _private_append(path: str, flags: int) -> int:
    return os.open(path, flags | os.O_APPEND, 0o600)


def _sync_directory(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)
