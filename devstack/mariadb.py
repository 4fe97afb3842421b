"""A throwaway MariaDB server in a caller's directory, on a free 127.0.0.1 port (stdlib only)."""

import re
import subprocess
from os import PathLike
from pathlib import Path

from devstack.ports import free_port
from devstack.process import find_pids, read_from, require_binary, tail, terminate, wait_until_ready

_NAME = re.compile(r"^[A-Za-z0-9_]{1,64}$")


def _quote(value: str) -> str:
    """A single-quoted SQL string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _ident(name: str) -> str:
    """`name` if it is a plain identifier, checked so it can be spliced into SQL."""
    if not _NAME.match(name):
        raise ValueError(f"not a plain SQL identifier: {name!r}")
    return name


class MariaDB:
    """One mariadbd with its own datadir, unix socket and TCP port; root logs in over the socket."""

    host = "127.0.0.1"

    def __init__(self) -> None:
        self.base_dir = Path()
        self.port = 0
        self.socket = ""
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def datadir(self) -> Path:
        return self.base_dir / "data"

    @property
    def error_log(self) -> Path:
        return self.base_dir / "error.log"

    def start(self, base_dir: str | PathLike[str], port: int | None = None) -> None:
        """Initialise the datadir if needed, start mariadbd and wait until it answers."""
        self.base_dir = Path(base_dir).resolve()
        self.base_dir.mkdir(parents=True, exist_ok=True)
        if self.running():
            raise RuntimeError(f"a mariadbd already runs on {self.datadir}")
        self.port = port or free_port()
        self.socket = str(self.base_dir / "mysql.sock")
        if len(self.socket) > 100:
            raise ValueError(f"unix socket path too long: {self.socket}")
        if not (self.datadir / "mysql").is_dir():
            self._install()
        offset = self.error_log.stat().st_size if self.error_log.exists() else 0
        with self.error_log.open("ab") as log:
            self._proc = subprocess.Popen(
                [
                    require_binary("mariadbd", "mariadb-server"),
                    "--no-defaults",
                    f"--datadir={self.datadir}",
                    f"--socket={self.socket}",
                    f"--port={self.port}",
                    f"--bind-address={self.host}",
                    "--user=root",
                    f"--pid-file={self.base_dir / 'mariadbd.pid'}",
                    f"--log-error={self.error_log}",
                    "--skip-log-bin",
                    "--character-set-server=utf8mb4",
                    "--collation-server=utf8mb4_unicode_ci",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        self._wait_ready(self._proc, offset)

    def _install(self) -> None:
        result = subprocess.run(
            [
                require_binary("mariadb-install-db", "mariadb-server"),
                "--no-defaults",
                f"--datadir={self.datadir}",
                "--user=root",
                "--auth-root-authentication-method=socket",
                "--skip-test-db",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"mariadb-install-db failed:\n{result.stdout}{result.stderr}")

    def _wait_ready(
        self, proc: subprocess.Popen[bytes], log_offset: int, timeout: float = 30.0
    ) -> None:
        admin = require_binary("mariadb-admin", "mariadb-server")
        ping = [admin, "--no-defaults", f"--socket={self.socket}", "-uroot", "ping"]

        def ready() -> bool:
            return subprocess.run(ping, capture_output=True, check=False).returncode == 0

        if not wait_until_ready(proc, ready, lambda: False, timeout):
            self.stop()
            raise RuntimeError(
                f"mariadbd did not start (port {self.port}):\n"
                + tail(read_from(self.error_log, log_offset))
            )

    def running(self) -> bool:
        """True while the mariadbd of this datadir runs."""
        return bool(find_pids("mariadbd", f"--datadir={self.datadir}"))

    def stop(self) -> None:
        """SIGTERM mariadbd and wait until it has exited (a no-op when it is not running)."""
        for pid in find_pids("mariadbd", f"--datadir={self.datadir}"):
            terminate(pid)
        if self._proc is not None:
            self._proc.wait()
            self._proc = None

    def restart(self) -> None:
        """Stop, then start again on the same port and datadir."""
        self.stop()
        self.start(self.base_dir, self.port)

    def sql(self, statements: str) -> str:
        """Run SQL as root over the unix socket; return the tab-separated output."""
        result = subprocess.run(
            [
                require_binary("mariadb", "mariadb-client"),
                "--no-defaults",
                f"--socket={self.socket}",
                "-uroot",
                "--batch",
                "-e",
                statements,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"mariadb: {result.stderr.strip()}")
        return result.stdout

    def create_database(self, name: str, user: str, password: str) -> None:
        """Create database `name` and `user`@127.0.0.1/localhost with all rights on it."""
        db, pw = _ident(name), _quote(password)
        sql = [f"CREATE DATABASE IF NOT EXISTS `{db}` CHARACTER SET utf8mb4"]
        for host in ("127.0.0.1", "localhost"):
            account = f"'{_ident(user)}'@'{host}'"
            sql += [
                f"CREATE USER IF NOT EXISTS {account} IDENTIFIED BY {pw}",
                f"ALTER USER {account} IDENTIFIED BY {pw}",
                f"GRANT ALL PRIVILEGES ON `{db}`.* TO {account}",
            ]
        self.sql(";\n".join(sql))

    def drop_database(self, name: str) -> None:
        """Drop database `name` if it exists (its users stay)."""
        self.sql(f"DROP DATABASE IF EXISTS `{_ident(name)}`")
