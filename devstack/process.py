"""Process, log and program-lookup helpers shared by the devstack servers (stdlib only)."""

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path


def pid_alive(pid: int) -> bool:
    """True while `pid` runs; a zombie (nobody reaped it) counts as gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def terminate(pid: int, timeout: float = 30.0) -> None:
    """SIGTERM `pid` and wait until it is gone; SIGKILL it if it outlives `timeout` seconds."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not pid_alive(pid):
                return
            time.sleep(0.02)
    raise RuntimeError(f"process {pid} survived SIGKILL")


def find_pids(comm: str, argument: str) -> list[int]:
    """Live processes named `comm` with `argument` as one of their command-line arguments."""
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            if not proc.name.isdigit() or (proc / "comm").read_text().strip() != comm:
                continue
            args = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argument.encode() in args and pid_alive(int(proc.name)):
            pids.append(int(proc.name))
    return pids


def read_from(path: Path, offset: int = 0) -> str:
    """The text of `path` from byte `offset` on ('' if it does not exist)."""
    try:
        with path.open("rb") as f:
            f.seek(offset)
            return f.read().decode(errors="replace")
    except OSError:
        return ""


def tail(text: str, lines: int = 30) -> str:
    """The last `lines` lines of `text`."""
    return "\n".join(text.splitlines()[-lines:])


def find_binary(name: str) -> str | None:
    """Path of the program `name` on PATH or in the sbin directories, else None."""
    path = os.pathsep.join([os.environ.get("PATH", ""), "/usr/local/sbin", "/usr/sbin", "/sbin"])
    return shutil.which(name, path=path)


def require_binary(name: str, package: str) -> str:
    """Path of the program `name`; FileNotFoundError naming the apt package if it is missing."""
    found = find_binary(name)
    if found is None:
        raise FileNotFoundError(f"{name} not found: apt-get install {package}")
    return found


def wait_until_ready(
    proc: "subprocess.Popen[bytes]",
    ready: Callable[[], bool],
    failed: Callable[[], bool],
    timeout: float,
    interval: float = 0.05,
) -> bool:
    """Poll until `ready()`; False as soon as the process dies, `failed()` or time runs out."""
    deadline = time.monotonic() + timeout
    while not ready():
        if failed() or proc.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True


def rss_kb(pid: int) -> int:
    """The resident memory of process `pid` in KB (VmRSS in /proc/PID/status)."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")
