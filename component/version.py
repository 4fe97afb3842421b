"""HelperChat's version: the installed distribution's, else the source checkout's pyproject.toml."""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

DISTRIBUTION = "helperchat"
CHECKOUT_PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def helperchat_version() -> str:
    """`0.1.0` when installed; `0.1.0 (not installed)` run from a checkout; else `unknown`."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        checkout = _checkout_version(CHECKOUT_PYPROJECT)
        return f"{checkout} (not installed)" if checkout else "unknown"


def _checkout_version(pyproject: Path) -> str | None:
    try:
        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
    except (OSError, tomllib.TOMLDecodeError):
        return None
    if project.get("name") != DISTRIBUTION or not isinstance(project.get("version"), str):
        return None
    return str(project["version"])
