"""Tests for component/version.py and `helperchat --version`: the installed version, else the
checkout's pyproject.toml, else "unknown"."""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

import pytest

from component import version
from component.__main__ import main

ROOT = Path(__file__).resolve().parents[2]
PROJECT_VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
    "version"
]


def not_installed(name: str) -> str:
    raise metadata.PackageNotFoundError(name)


def test_version_prints_and_needs_no_configuration(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HELPERCHAT_CONFIG", "/nonexistent/config.yaml")
    with pytest.raises(SystemExit) as stopped:
        main(["--version"])
    assert stopped.value.code == 0
    assert capsys.readouterr().out == f"helperchat {version.helperchat_version()}\n"


def test_the_installed_distribution_is_asked_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(version.metadata, "version", lambda name: "9.8.7")
    assert version.helperchat_version() == "9.8.7"


def test_a_checkout_that_is_not_installed_reads_pyproject(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(version.metadata, "version", not_installed)
    assert version.helperchat_version() == f"{PROJECT_VERSION} (not installed)"


@pytest.mark.parametrize(
    "pyproject",
    [None, "not toml [", '[project]\nname = "other"\nversion = "1.0"\n', "[project]\n"],
)
def test_otherwise_the_version_is_unknown(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, pyproject: str | None
) -> None:
    monkeypatch.setattr(version.metadata, "version", not_installed)
    if pyproject is not None:
        (tmp_path / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    monkeypatch.setattr(version, "CHECKOUT_PYPROJECT", tmp_path / "pyproject.toml")
    assert version.helperchat_version() == "unknown"
