"""A throwaway Prosody in a caller's directory, on free 127.0.0.1 ports (stdlib only).

It runs as root (`run_as_root`) in the foreground (`-F`), so the process is our own child and a
crash shows at once; the system instance's files (/etc/prosody, /var/lib/prosody) are not used.
"""

import os
import re
import secrets
import signal
import socket
import subprocess
from os import PathLike
from pathlib import Path

from devstack.ports import free_ports
from devstack.process import pid_alive, read_from, require_binary, tail, terminate, wait_until_ready

DEFAULT_COMPONENT_DOMAIN = "helpdesk.localhost"

# presence, message, iq, offline (storage of messages to offline users) and posix (pidfile) are
# always loaded by Prosody 0.12; roster and saslauth are what subscriptions and logins need.
_CONFIG = """\
run_as_root = true
pidfile = {pidfile}
data_path = {data_path}
certificates = {certificates}
log = {{ info = {log_file} }}
interfaces = {{ "127.0.0.1" }}
c2s_ports = {{ {c2s} }}
component_ports = {{ {component} }}
component_interface = "127.0.0.1"
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
authentication = "internal_plain"
modules_enabled = {{ "roster", "saslauth", "disco", "ping" }}
modules_disabled = {{ "s2s", "tls" }}

VirtualHost {domain}

Component {component_domain}
    component_secret = {component_secret}
"""

_START_FAILED = re.compile(r"\t(error|critical)\t|Failed to open server port")


def _lua_string(value: str) -> str:
    """`value` as a double-quoted Lua string literal."""
    if any(ord(c) < 0x20 for c in value):
        raise ValueError(f"control character in a Prosody config value: {value!r}")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _encode(name: str) -> str:
    """A user or host name as Prosody's file storage (util.datamanager) spells it on disk."""
    return "".join(
        chr(b) if chr(b).isascii() and chr(b).isalnum() else f"%{b:02x}" for b in name.encode()
    )


def _accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class Prosody:
    """One Prosody run from its own directory with its own config, data and log."""

    host = "127.0.0.1"
    domain = "localhost"

    def __init__(self) -> None:
        self.base_dir = Path()
        self.c2s_port = 0
        self.component_port = 0
        self.component_domain = DEFAULT_COMPONENT_DOMAIN
        self.component_secret = ""
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def config_file(self) -> Path:
        return self.base_dir / "prosody.cfg.lua"

    @property
    def log_file(self) -> Path:
        return self.base_dir / "prosody.log"

    @property
    def pid_file(self) -> Path:
        return self.base_dir / "prosody.pid"

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    def start(
        self,
        base_dir: str | PathLike[str],
        component_domain: str = DEFAULT_COMPONENT_DOMAIN,
        component_secret: str | None = None,
        c2s_port: int | None = None,
        component_port: int | None = None,
    ) -> None:
        """Write the config into `base_dir`, run Prosody there and wait until both ports accept."""
        prosody = require_binary("prosody", "prosody")
        self.base_dir = Path(base_dir).resolve()
        self.component_domain = component_domain
        self.component_secret = component_secret or secrets.token_hex(16)
        if c2s_port is None or component_port is None:
            c2s_port, component_port = free_ports(2)
        self.c2s_port, self.component_port = c2s_port, component_port
        if self.running():
            raise RuntimeError(f"a prosody already runs with {self.config_file}")
        self._write_config()
        offset = self.log_file.stat().st_size if self.log_file.exists() else 0
        with (self.base_dir / "console.log").open("ab") as console:
            # -F, not -D: in the foreground it stays our child (prosody --version would START it)
            self._proc = subprocess.Popen(
                [prosody, "--config", str(self.config_file), "-F"],
                stdin=subprocess.DEVNULL,
                stdout=console,
                stderr=console,
                start_new_session=True,
            )
        self._wait_ready(self._proc, offset)

    def _write_config(self) -> None:
        for path in (self.base_dir, self.data_dir, self.base_dir / "certs"):
            path.mkdir(parents=True, exist_ok=True)
        self.config_file.write_text(
            _CONFIG.format(
                pidfile=_lua_string(str(self.pid_file)),
                data_path=_lua_string(str(self.data_dir)),
                certificates=_lua_string(str(self.base_dir / "certs")),
                log_file=_lua_string(str(self.log_file)),
                c2s=self.c2s_port,
                component=self.component_port,
                domain=_lua_string(self.domain),
                component_domain=_lua_string(self.component_domain),
                component_secret=_lua_string(self.component_secret),
            )
        )

    def _wait_ready(
        self, proc: subprocess.Popen[bytes], log_offset: int, timeout: float = 20.0
    ) -> None:
        """Wait until the c2s and component ports accept; fail fast if Prosody dies or errs."""
        ports = (self.c2s_port, self.component_port)
        expected = [f"on [{self.host}]:{port}" for port in ports]

        def log() -> str:
            return read_from(self.log_file, log_offset)

        def ready() -> bool:
            listening = all(line in log() for line in expected)
            return listening and all(_accepts(self.host, port) for port in ports)

        if not wait_until_ready(
            proc, ready, lambda: _START_FAILED.search(log()) is not None, timeout, 0.02
        ):
            self.stop()
            console = read_from(self.base_dir / "console.log")
            raise RuntimeError(
                f"prosody did not start in {self.base_dir} "
                f"(c2s {self.c2s_port}, component {self.component_port}):\n"
                f"{tail(log())}\n{tail(console)}"
            )

    def _pids(self) -> list[int]:
        """Live prosody processes (not prosodyctl) started with this directory's config file."""
        config = str(self.config_file).encode()
        pids = []
        for proc in Path("/proc").iterdir():
            try:
                if not proc.name.isdigit():
                    continue
                args = (proc / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            is_prosody = any(os.path.basename(arg) == b"prosody" for arg in args)
            if is_prosody and config in args and pid_alive(int(proc.name)):
                pids.append(int(proc.name))
        return pids

    def running(self) -> bool:
        """True while a prosody with this directory's config runs."""
        return bool(self._pids())

    def stop(self) -> None:
        """SIGTERM this Prosody and wait until it is gone (a no-op if it is not running)."""
        for pid in self._pids():
            terminate(pid, timeout=10.0)
        if self._proc is not None:
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self._proc.pid, signal.SIGKILL)
                self._proc.wait()
            self._proc = None
        if self.running():
            raise RuntimeError(f"prosody with {self.config_file} survived stop()")

    def restart(self) -> None:
        """Stop, then start again from the same directory on the same ports."""
        self.stop()
        self.start(
            self.base_dir,
            self.component_domain,
            self.component_secret,
            self.c2s_port,
            self.component_port,
        )

    def _account_file(self, user: str) -> Path:
        return self.data_dir / _encode(self.domain) / "accounts" / f"{_encode(user)}.dat"

    def register_user(self, user: str, password: str, exist_ok: bool = False) -> None:
        """Register user@localhost with prosodyctl (`exist_ok` tolerates an existing one).

        `prosodyctl register` overwrites an existing account's password without a word, so the
        account file is checked first; an existing account is left as it is.
        """
        if self._account_file(user).exists():
            if exist_ok:
                return
            raise RuntimeError(f"registering {user}: already registered")
        result = subprocess.run(
            [
                require_binary("prosodyctl", "prosody"),
                *("--config", str(self.config_file)),
                *("register", user, self.domain, password),
            ],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0 or not self._account_file(user).exists():
            raise RuntimeError(
                f"registering {user}: prosodyctl exit {result.returncode}\n"
                f"{result.stdout}{result.stderr}"
            )
