"""XMPP clients written elsewhere, driven by the tests: go-sendxmpp, profanity in tmux, Chromium.

A missing client skips its test locally and fails it when CI=true. What a person would have seen
(screens, screenshots) goes to test-artifacts/ (or $HELPERCHAT_TEST_ARTIFACTS).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from devstack.process import find_binary
from tests.integration.stack_fixtures import require_or_skip

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("HELPERCHAT_TEST_ARTIFACTS") or ROOT / "test-artifacts")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu"]


def require_programs(*names: str) -> list[str]:
    """Paths of the programs; skip (fail on CI) naming the apt packages that are missing."""
    found = [find_binary(name) for name in names]
    missing = [name for name, path in zip(names, found, strict=True) if path is None]
    if missing:
        require_or_skip(f"not installed: {', '.join(missing)} (run scripts/install-deps)")
    return [path for path in found if path is not None]


def artifacts_dir(name: str) -> Path:
    """An emptied folder for one test's screens and screenshots."""
    path = ARTIFACTS / name
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


async def go_sendxmpp(server: Any, jid: str, password: str, to: str, body: str) -> None:
    """Send one message with go-sendxmpp over STARTTLS (`-n`: the certificate is self-signed)."""
    (program,) = require_programs("go-sendxmpp")
    done = await asyncio.to_thread(
        subprocess.run,
        [program, "-n", "-u", jid, "-p", password, "-j", f"{server.host}:{server.c2s_port}", to],
        input=body,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, f"go-sendxmpp failed: {done.stdout}{done.stderr}"


class Profanity:
    """profanity in a private tmux server: `type` a line, `wait_for` text on its screen."""

    def __init__(self, home: Path) -> None:
        self.tmux, self.profanity = require_programs("tmux", "profanity")
        self.home = home
        self.socket = home / "tmux.sock"

    def _tmux(self, *args: str) -> str:
        done = subprocess.run(
            [self.tmux, "-S", str(self.socket), *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        return done.stdout

    def start(self) -> Profanity:
        self.home.mkdir(parents=True, exist_ok=True)
        command = f"env HOME={self.home} LANG=C.UTF-8 {self.profanity}"
        self._tmux("new-session", "-d", "-s", "op", "-x", "200", "-y", "50", command)
        return self

    def type(self, line: str) -> None:
        """Type `line` (literally) and Enter."""
        self._tmux("send-keys", "-t", "op", "-l", line)
        self._tmux("send-keys", "-t", "op", "Enter")

    def screen(self) -> str:
        try:
            return self._tmux("capture-pane", "-t", "op", "-p")
        except subprocess.CalledProcessError:
            raise AssertionError(
                "profanity is no longer running (it crashed or quit: its tmux session is gone)"
            ) from None

    async def wait_for(self, text: str, timeout: float = 15.0) -> str:
        """The screen once `text` shows on it; AssertionError with the screen if it does not."""
        deadline = time.monotonic() + timeout
        while text not in (screen := self.screen()):
            if time.monotonic() > deadline:
                raise AssertionError(f"profanity never showed {text!r}; its screen:\n{screen}")
            await asyncio.sleep(0.1)
        return screen

    def stop(self) -> None:
        if self.socket.exists():
            subprocess.run(
                [self.tmux, "-S", str(self.socket), "kill-server"],
                capture_output=True,
                timeout=10,
                check=False,
            )
