"""The wheel, built from a copy of the checkout and installed with its dependencies into a fresh
virtualenv outside it, works from another directory against the real MariaDB and ejabberd:
`--version`, `db init`, `db migrate`, `site add`, `site list`, `check`.

The virtualenv gets nothing but the wheel and what its declared dependencies pull from the package
index (as `pip install helperchat` would), so a file missing from the wheel or a dependency missing
from pyproject.toml fails here.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from component.storage.schema_files import shipped_schema
from devstack.ports import free_port

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
SCHEMA_VERSION = shipped_schema().version  # of the checkout's schema/, read here
# What a checkout may hold besides its sources; the build must neither see nor write into it.
NOT_SOURCES = shutil.ignore_patterns(
    ".git",
    ".venv",
    ".demo",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".*_cache",
    "config.yaml",
)
# Variables that would let the installed command see the checkout or the test's virtualenv.
LEAKY = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "PYTHONUSERBASE")


def run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key not in LEAKY}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    done = subprocess.run(
        [str(arg) for arg in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"{args}:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built (`pip wheel`, isolated like `pip install .`) from a copy of the checkout."""
    base = tmp_path_factory.mktemp("build")
    source = base / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCES)
    run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "-q",
        "--no-deps",
        "-w",
        base / "dist",
        source,
        cwd=base,
    )
    (built,) = (base / "dist").glob("helperchat-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """bin/ of a fresh virtualenv holding the wheel and its dependencies only."""
    venv = tmp_path_factory.mktemp("venv")
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=venv)
    python = venv / "bin" / "python"
    run(sys.executable, "-m", "pip", "--python", python, "install", "-q", wheel, cwd=venv)
    return venv / "bin"


def test_the_wheel_holds_the_package_and_its_schema_only(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "component/schema/mysql.sql" in names
    assert "component/schema/migrations/README.md" in names
    assert "component/web/openapi.json" in names  # served at GET /api/v1/openapi.json
    assert "component/web/widget/widget.js" in names  # served at GET /widget.js
    assert "component/web/widget/widget.css" in names
    shipped_migrations = {
        name.rsplit("/", 1)[1] for name in names if name.startswith("component/schema/migrations/")
    }
    assert shipped_migrations == {path.name for path in (ROOT / "schema/migrations").iterdir()}
    assert "component/storage/schema_files.py" in names
    top = {name.split("/", 1)[0] for name in names}
    assert top == {"component", f"helperchat-{PROJECT['version']}.dist-info"}
    entry_points = zipfile.ZipFile(wheel).read(
        f"helperchat-{PROJECT['version']}.dist-info/entry_points.txt"
    )
    assert b"helperchat = component.__main__:main" in entry_points


@pytest.fixture
def elsewhere(mariadb: Any, ejabberd: Any, tmp_path: Path) -> Iterator[Path]:
    """An empty directory away from the checkout, with a config.yaml for a fresh empty database."""
    name, password = f"hcw{secrets.token_hex(4)}", secrets.token_hex(8)
    mariadb.create_database(name, name, password)
    (tmp_path / "config.yaml").write_text(
        f"xmpp:\n  component_jid: {ejabberd.component_domain}\n"
        f'  secret: "{ejabberd.component_secret}"\n'
        f"  host: {ejabberd.host}\n  port: {ejabberd.component_port}\n"
        f"mysql:\n  host: {mariadb.host}\n  port: {mariadb.port}\n  user: {name}\n"
        f'  password: "{password}"\n  database: {name}\n'
        f"archive:\n  spool_dir: {tmp_path / 'spool'}\n"
        f"http:\n  port: {free_port()}\n",
        encoding="utf-8",
    )
    yield tmp_path
    mariadb.drop_database(name)


def test_the_installed_command_works_from_another_directory(
    installed: Path, elsewhere: Path
) -> None:
    helperchat = installed / "helperchat"

    def says(*args: str) -> str:
        return run(helperchat, *args, cwd=elsewhere).stdout

    imported = run(
        installed / "python", "-c", "import component; print(component.__file__)", cwd=elsewhere
    )
    assert Path(imported.stdout.strip()).is_relative_to(installed.parent)
    assert says("--version") == f"helperchat {PROJECT['version']}\n"
    assert says("db", "init") == f"schema created (version {SCHEMA_VERSION})\n"
    assert says("db", "migrate") == f"schema is up to date (version {SCHEMA_VERSION})\n"
    assert says("site", "add", "acme", "--name", "Acme Inc.") == "site acme added (Acme Inc.)\n"
    assert says("site", "list").startswith("acme\tAcme Inc.\tstrategy=priority")
    checked = says("check")
    assert f"database: OK (schema version {SCHEMA_VERSION})" in checked
    assert "xmpp: OK" in checked
    assert "http: OK (127.0.0.1:" in checked
    assert f"spool: OK ({elsewhere / 'spool'})" in checked
