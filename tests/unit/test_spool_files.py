"""Spool files on a real file system (a temporary directory): names, saving, reading, removal."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest

from component.archive import ArchiveBatch
from component.models import Message, Sender
from component.spool import SpoolDirectory, SpoolError, SpoolOwner
from component.spool.files import SPOOL_NAME

OWNER = SpoolOwner("helpdesk.example.com", "helperchat")


def batch(seq: int) -> ArchiveBatch:
    return ArchiveBatch(messages=(Message(1, 1, seq, 1e9 + seq, Sender.VISITOR, "v", f"m{seq}"),))


class Clock:
    def __init__(self, *times: float) -> None:
        self.times = list(times)

    def __call__(self) -> float:
        return self.times.pop(0)


def test_names_sort_in_the_order_files_were_written_even_when_the_clock_goes_back(
    tmp_path: Path,
) -> None:
    clock = Clock(2e9, 1e9, 1e9, 3e9)  # NTP stepped the clock back, and twice the same instant
    spool = SpoolDirectory(tmp_path / "spool", OWNER, clock)
    saved = [spool.save(batch(seq)) for seq in range(1, 5)]
    assert spool.files() == saved == sorted(saved)
    assert len(set(saved)) == 4
    assert all(SPOOL_NAME.fullmatch(path.name) for path in saved)
    assert saved[0].name.startswith("00000001-20330518T033320.000000Z-")
    assert [spool.read(path).batch for path in spool.files()] == [batch(s) for s in range(1, 5)]


def test_a_saved_file_and_a_created_directory_are_private(tmp_path: Path) -> None:
    spool = SpoolDirectory(tmp_path / "state" / "spool", OWNER)
    path = spool.save(batch(1))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(spool.path.stat().st_mode) == 0o700
    assert spool.read(path).owner == OWNER


def test_other_files_in_the_directory_are_not_spool_files(tmp_path: Path) -> None:
    spool = SpoolDirectory(tmp_path, OWNER)
    (tmp_path / "notes.jsonl").write_text("{}\n")
    (tmp_path / ".probe-x").write_text("")
    saved = spool.save(batch(1))
    assert spool.files() == [saved]


def test_a_missing_directory_holds_no_files_and_is_made_when_checked(tmp_path: Path) -> None:
    spool = SpoolDirectory(tmp_path / "a" / "b", OWNER)
    assert spool.files() == []
    spool.check_usable()
    assert spool.path.is_dir() and list(spool.path.iterdir()) == []  # the probe is gone


def test_removing_a_file_deletes_it(tmp_path: Path) -> None:
    spool = SpoolDirectory(tmp_path, OWNER)
    path = spool.save(batch(1))
    spool.remove(path)
    assert spool.files() == [] and not path.exists()
    with pytest.raises(SpoolError, match="remove it by hand"):
        spool.remove(path)


def test_a_directory_that_cannot_be_created_is_told(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    spool = SpoolDirectory(blocker / "spool", OWNER)
    with pytest.raises(SpoolError, match=f"cannot write to the spool directory {blocker}/spool"):
        spool.check_usable()
    with pytest.raises(SpoolError, match="cannot write a spool file"):
        spool.save(batch(1))
    assert blocker.read_text() == "not a directory"


def test_a_directory_nobody_may_write_is_told() -> None:
    """sysfs takes no new directories, from root either (a chmod would not stop root)."""
    with pytest.raises(SpoolError, match="cannot write to the spool directory /sys/helperchat"):
        SpoolDirectory(Path("/sys/helperchat-spool"), OWNER).check_usable()


FULL_DISK = """
import resource, signal, sys
from pathlib import Path
from component.archive import ArchiveBatch
from component.models import Message, Sender
from component.spool import SpoolDirectory, SpoolError, SpoolOwner

spool = SpoolDirectory(Path(sys.argv[1]), SpoolOwner("helpdesk.example.com", "helperchat"))
spool.check_usable()
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails instead of killing
resource.setrlimit(resource.RLIMIT_FSIZE, (200, 200))
rows = tuple(Message(1, 1, seq, 1e9, Sender.VISITOR, "v", "x" * 50) for seq in range(1, 10))
try:
    spool.save(ArchiveBatch(messages=rows))
except SpoolError as exc:
    print(exc)
"""


def test_a_file_the_disk_cannot_hold_is_told(tmp_path: Path) -> None:
    """The kernel refuses the write past 200 bytes (RLIMIT_FSIZE), as a full disk would."""
    done = subprocess.run(
        [sys.executable, "-c", FULL_DISK, str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert "cannot write a spool file in" in done.stdout
    assert "File too large" in done.stdout


def test_a_file_saved_after_one_numbered_99999999_is_still_found_and_sorts_last(
    tmp_path: Path,
) -> None:
    spool = SpoolDirectory(tmp_path, OWNER)
    left_alone = tmp_path / "99999999-20260101T000000.000000Z-deadbeef.jsonl"
    left_alone.write_bytes(b"not a spool file of ours\n")  # kept with a warning at each start
    saved = spool.save(batch(1))
    assert spool.files() == [left_alone, saved]  # replayed at the next start, in order
