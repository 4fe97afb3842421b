"""Session-scoped fixtures for a real MariaDB, ejabberd and Prosody; skip locally, fail on CI."""

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack import Ejabberd, MariaDB, Prosody
from devstack.process import find_binary


def require_or_skip(reason: str) -> None:
    """Skip the test with `reason`, or fail it when CI=true: a missing server never passes CI."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: this must not be skipped)", pytrace=False)
    pytest.skip(reason)


def require_servers(*programs: str) -> None:
    """require_or_skip unless we are root and every program is installed."""
    missing = [name for name in programs if find_binary(name) is None]
    if missing:
        require_or_skip(f"not installed: {', '.join(missing)} (run scripts/install-deps)")
    if os.geteuid() != 0:
        require_or_skip("the real-server fixtures must run as root")


@pytest.fixture(scope="session")
def stack_dir() -> Iterator[Path]:
    """A fresh directory that the ejabberd user can enter (pytest's own tmp dirs are 0700)."""
    path = Path(tempfile.mkdtemp(prefix="helperchat-stack-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def mariadb(stack_dir: Path) -> Iterator[MariaDB]:
    """A running MariaDB for the whole session; root administers it over `mariadb.socket`."""
    require_servers("mariadbd", "mariadb-install-db", "mariadb-admin", "mariadb")
    server = MariaDB()
    server.start(stack_dir / "mariadb")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def ejabberd(stack_dir: Path) -> Iterator[Ejabberd]:
    """A running ejabberd for the whole session, with the component domain helpdesk.localhost."""
    require_servers("ejabberdctl")
    server = Ejabberd()
    server.start(stack_dir / "ejabberd")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def ejabberd_tls(stack_dir: Path) -> Iterator[Ejabberd]:
    """A second ejabberd whose c2s offers STARTTLS (self-signed, `cert_file`), for real clients."""
    require_servers("ejabberdctl", "openssl")
    server = Ejabberd()
    server.start(stack_dir / "ejabberd-tls", tls=True)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def prosody(stack_dir: Path) -> Iterator[Prosody]:
    """A running Prosody for the whole session, with the component domain helpdesk.localhost."""
    require_servers("prosody", "prosodyctl")
    server = Prosody()
    server.start(stack_dir / "prosody")
    yield server
    server.stop()
