"""A throwaway ejabberd in a caller's directory, on free 127.0.0.1 ports (stdlib only).

Plain c2s by default (the project's tests); with `tls` it offers STARTTLS with a self-signed
certificate made in its directory, as real clients (profanity, Gajim, go-sendxmpp) insist on it.
Its HTTP listener serves the admin API on /api and XMPP over WebSocket on /ws (web clients).
"""

import json
import os
import pwd
import secrets
import shutil
import signal
import stat
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

from devstack.ports import free_ports, port_or_free
from devstack.process import find_pids, read_from, require_binary, tail, terminate, wait_until_ready
from devstack.tls import self_signed

DEFAULT_COMPONENT_DOMAIN = "helpdesk.localhost"

_CONFIG = """\
hosts: [localhost]
loglevel: info
{certfiles}disable_sasl_mechanisms: ["digest-md5", "x-oauth2"]
shaper_rules:
  c2s_shaper: none
  s2s_shaper: none
  max_user_sessions: 1000
  max_user_offline_messages: 100000
listen:
  - port: {c2s}
    ip: "127.0.0.1"
    module: ejabberd_c2s
    starttls: {starttls}
    shaper: none
  - port: {component}
    ip: "127.0.0.1"
    module: ejabberd_service
    shaper: none
    hosts:
      {component_domain}:
        password: {component_secret}
  - port: {http}
    ip: "127.0.0.1"
    module: ejabberd_http
    request_handlers:
      /api: mod_http_api
      /ws: ejabberd_http_ws
api_permissions:
  "loopback may call everything":
    who:
      ip: 127.0.0.1/8
    what: "*"
modules:
  mod_admin_extra: {{}}
  mod_disco: {{}}
  mod_http_api: {{}}
  mod_offline:
    access_max_user_messages: max_user_offline_messages
  mod_ping: {{}}
  mod_roster: {{}}
  mod_stream_mgmt: {{}}
{client_modules}"""

# What real clients expect beyond the tests' needs: Converse.js waits for a block list forever
# without XEP-0191 (mod_blocking needs mod_privacy); profanity runs no /cmd unless the server
# itself offers ad-hoc commands (mod_adhoc); carbons and vCards spare them errors.
_CLIENT_MODULES = """\
  mod_adhoc: {}
  mod_blocking: {}
  mod_carboncopy: {}
  mod_privacy: {}
  mod_vcard: {}
"""

_CTL_CONFIG = """\
ERLANG_NODE={node}
ERL_DIST_PORT={dist}
INET_DIST_INTERFACE=127.0.0.1
EJABBERD_BYPASS_WARNINGS=true
ERL_OPTIONS="-setcookie {cookie}"
"""


@dataclass(frozen=True)
class EjabberdPorts:
    """The TCP ports of one ejabberd: c2s, XEP-0114 component, HTTP API, Erlang distribution."""

    c2s: int
    component: int
    http: int
    dist: int

    @classmethod
    def free(cls) -> "EjabberdPorts":
        """Four distinct ports that were free a moment ago."""
        return cls(*free_ports(4))

    @classmethod
    def usual(cls) -> "EjabberdPorts":
        """The usual ports (5222 clients, 5347 components, 5280 HTTP) where free, else free ones."""
        return cls(port_or_free(5222), port_or_free(5347), port_or_free(5280), free_ports(1)[0])


class Ejabberd:
    """One ejabberd node run by `ejabberdctl` entirely from its own directory, as user ejabberd."""

    host = "127.0.0.1"
    domain = "localhost"

    def __init__(self) -> None:
        self.base_dir = Path()
        self.ports = EjabberdPorts(0, 0, 0, 0)
        self.component_domain = DEFAULT_COMPONENT_DOMAIN
        self.component_secret = ""
        self.tls = False
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def c2s_port(self) -> int:
        return self.ports.c2s

    @property
    def component_port(self) -> int:
        return self.ports.component

    @property
    def http_port(self) -> int:
        return self.ports.http

    @property
    def node(self) -> str:
        """Erlang node name, unique per distribution port and stable across restarts."""
        return f"hc{self.ports.dist}@localhost"

    @property
    def log_file(self) -> Path:
        return self.base_dir / "log" / "ejabberd.log"

    @property
    def cert_file(self) -> Path:
        """The self-signed certificate c2s offers with `tls` (clients may trust it as a CA)."""
        return self.base_dir / "tls" / "cert.pem"

    def start(
        self,
        base_dir: str | PathLike[str],
        component_domain: str = DEFAULT_COMPONENT_DOMAIN,
        component_secret: str | None = None,
        ports: EjabberdPorts | None = None,
        tls: bool = False,
    ) -> None:
        """Write the config into `base_dir`, run ejabberd there and wait until it accepts.

        With `tls`, c2s offers STARTTLS (not required) with the certificate `cert_file`.
        """
        self.base_dir = Path(base_dir).resolve()
        self.tls = tls
        self.component_domain = component_domain
        self.component_secret = component_secret or secrets.token_hex(16)
        self.ports = ports or EjabberdPorts.free()
        if self.running():
            raise RuntimeError(f"ejabberd node {self.node} is already running")
        self._write_config()
        offset = self.log_file.stat().st_size if self.log_file.exists() else 0
        d = self.base_dir
        with (d / "log" / "console.log").open("ab") as console:
            self._proc = subprocess.Popen(
                [
                    require_binary("ejabberdctl", "ejabberd"),
                    *("--config-dir", str(d), "--config", str(d / "ejabberd.yml")),
                    *("--ctl-config", str(d / "ejabberdctl.cfg")),
                    *("--spool", str(d / "db"), "--logs", str(d / "log"), "foreground-quiet"),
                ],
                stdin=subprocess.DEVNULL,
                stdout=console,
                stderr=console,
                start_new_session=True,
            )
        self._wait_ready(self._proc, offset)

    def _write_config(self) -> None:
        user = pwd.getpwnam("ejabberd")
        (self.base_dir / "log").mkdir(parents=True, exist_ok=True)
        _check_reachable(self.base_dir, user.pw_uid)
        (self.base_dir / "db").mkdir(exist_ok=True)
        certfiles = ""
        if self.tls:
            pem = self_signed(self.cert_file.parent)
            certfiles = "certfiles:\n" + "".join(f"  - {json.dumps(str(p))}\n" for p in pem)
        (self.base_dir / "ejabberd.yml").write_text(
            _CONFIG.format(
                certfiles=certfiles,
                starttls=json.dumps(self.tls),
                client_modules=_CLIENT_MODULES if self.tls else "",
                c2s=self.ports.c2s,
                component=self.ports.component,
                http=self.ports.http,
                component_domain=json.dumps(self.component_domain),
                component_secret=json.dumps(self.component_secret),
            )
        )
        (self.base_dir / "ejabberdctl.cfg").write_text(
            _CTL_CONFIG.format(node=self.node, dist=self.ports.dist, cookie=secrets.token_hex(16))
        )
        shutil.copyfile("/etc/ejabberd/inetrc", self.base_dir / "inetrc")
        for path in [self.base_dir, *self.base_dir.rglob("*")]:
            os.chown(path, user.pw_uid, user.pw_gid)

    def _wait_ready(
        self, proc: subprocess.Popen[bytes], log_offset: int, timeout: float = 30.0
    ) -> None:
        """Wait for ejabberd to log that all three listeners accept; fail fast on a crash."""
        ports = (self.ports.c2s, self.ports.component, self.ports.http)
        expected = [f"Start accepting TCP connections at {self.host}:{port} " for port in ports]

        def log() -> str:
            return read_from(self.log_file, log_offset)

        def ready() -> bool:
            return all(line in log() for line in expected)

        def failed() -> bool:
            text = log()
            return "Failed to start ejabberd" in text or "[critical]" in text

        if not wait_until_ready(proc, ready, failed, timeout):
            self.stop()
            console = read_from(self.base_dir / "log" / "console.log")
            raise RuntimeError(
                f"ejabberd did not start in {self.base_dir}:\n{tail(log())}\n{tail(console)}"
            )

    def running(self) -> bool:
        """True while this node's beam.smp runs."""
        return bool(find_pids("beam.smp", self.node))

    def stop(self) -> None:
        """SIGTERM this node's beam.smp and wait until it is gone (a no-op if it is not running)."""
        for pid in find_pids("beam.smp", self.node):
            terminate(pid)
        if self._proc is not None:
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self._proc.pid, signal.SIGKILL)
                self._proc.wait()
            self._proc = None

    def restart(self) -> None:
        """Stop, then start again from the same directory on the same ports."""
        self.stop()
        self.start(
            self.base_dir, self.component_domain, self.component_secret, self.ports, self.tls
        )

    def register_user(self, user: str, password: str, exist_ok: bool = False) -> None:
        """Register user@localhost through mod_http_api (`exist_ok` tolerates an existing one)."""
        body = json.dumps({"user": user, "host": self.domain, "password": password}).encode()
        request = urllib.request.Request(
            f"http://{self.host}:{self.http_port}/api/register",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10):
                return
        except urllib.error.HTTPError as error:
            reply = error.read().decode(errors="replace")
            if not (exist_ok and "already registered" in reply):
                raise RuntimeError(f"registering {user}: HTTP {error.code} {reply}") from None


def _check_reachable(path: Path, uid: int) -> None:
    """Fail clearly when user `uid` (ejabberd) could not enter `path` through its parents."""
    for parent in path.parents:
        info = parent.stat()
        if not info.st_mode & stat.S_IXOTH and info.st_uid != uid:
            raise PermissionError(f"user ejabberd cannot enter {parent}: choose another base_dir")
