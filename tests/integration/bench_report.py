"""The benchmarks' smoke tests: a bench under bench/ run in its quick form, its report matched
line by line against the patterns its test expects."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def quick_report(script: str, report: Sequence[str], timeout: float = 600) -> list[re.Match[str]]:
    """Run `script --quick` from the checkout; every line of what it prints matches its pattern
    in `report` (as many lines as patterns). The matches, in order."""
    run = subprocess.run(
        [sys.executable, script, "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    lines = run.stdout.splitlines()
    assert len(lines) == len(report), run.stdout
    found = []
    for line, pattern in zip(lines, report, strict=True):
        match = re.search(pattern, line)
        assert match, f"{line!r} does not match {pattern!r}"
        found.append(match)
    return found
