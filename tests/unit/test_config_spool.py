"""archive.spool_dir: where the spool goes by default, and what a configured one becomes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from component.config import ArchiveConfig, default_spool_dir, parse_config, spool_dir_of
from tests.unit.test_config import problems_of, with_value

XDG_PART = ".local/state/helperchat/spool"


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"STATE_DIRECTORY": "/var/lib/hc", "HOME": "/home/x"}, "/var/lib/hc/spool"),
        ({"STATE_DIRECTORY": "/var/lib/hc:/var/lib/other"}, "/var/lib/hc/spool"),
        ({"XDG_STATE_HOME": "/home/x/.st", "HOME": "/home/x"}, "/home/x/.st/helperchat/spool"),
        ({"XDG_STATE_HOME": "rel", "HOME": "/home/x"}, f"/home/x/{XDG_PART}"),
        ({"HOME": "/home/x"}, f"/home/x/{XDG_PART}"),
        ({"STATE_DIRECTORY": "", "HOME": "/srv/hc"}, f"/srv/hc/{XDG_PART}"),
    ],
)
def test_the_default_spool_follows_systemd_then_xdg(environ: dict[str, str], expected: str) -> None:
    assert default_spool_dir(environ) == expected


def test_without_a_setting_the_default_place_is_used() -> None:
    archive = parse_config(with_value("archive", {}), {}).archive
    assert archive.spool_dir is None
    assert spool_dir_of(archive, {"STATE_DIRECTORY": "/var/lib/hc"}) == Path("/var/lib/hc/spool")


def test_a_configured_spool_dir_is_made_absolute_with_home_expanded() -> None:
    given = parse_config(with_value("archive", {"spool_dir": "spool"}), {}).archive
    assert given.spool_dir == os.path.join(os.getcwd(), "spool")
    home = parse_config(with_value("archive", {"spool_dir": "~/hc"}), {}).archive
    assert home.spool_dir == os.path.join(os.path.expanduser("~"), "hc")
    assert spool_dir_of(ArchiveConfig(spool_dir="/data/spool"), {}) == Path("/data/spool")


@pytest.mark.parametrize(
    ("value", "problem"),
    [("  ", "must not be empty"), (5, "expected a string, got an integer")],
)
def test_a_bad_spool_dir_is_refused_by_its_key(value: object, problem: str) -> None:
    assert problems_of(with_value("archive", {"spool_dir": value})) == [
        f"archive.spool_dir: {problem}"
    ]
