"""A throwaway nginx in front of HelperChat's HTTP side (stdlib only).

`README.md`'s nginx block is the configuration site admins copy; `readme_server_block` takes it
from there and `Nginx` runs it on loopback (plain HTTP on a free port instead of `listen 443 ssl`,
HelperChat's port instead of 8080), so the tests prove the lines the README shows.
"""

import re
import socket
import subprocess
from pathlib import Path

from devstack.process import read_from, require_binary, tail, terminate, wait_until_ready

_MAIN = """\
daemon off;
user root;
worker_processes 1;
pid {base}/nginx.pid;
error_log {base}/error.log info;
events {{ worker_connections 1024; }}
http {{
    access_log {base}/access.log;
    client_body_temp_path {base}/tmp/body;
    proxy_temp_path {base}/tmp/proxy;
    fastcgi_temp_path {base}/tmp/fastcgi;
    uwsgi_temp_path {base}/tmp/uwsgi;
    scgi_temp_path {base}/tmp/scgi;
{server}
}}
"""


def readme_server_block(readme: str) -> str:
    """The `server { ... }` block of the README's ```nginx section."""
    found = re.search(r"```nginx\n(server \{.*?\n\})\n```", readme, re.DOTALL)
    if found is None:
        raise ValueError("the README has no ```nginx block with a server { ... }")
    return found.group(1)


def on_loopback(block: str, listen_port: int, upstream_port: int) -> str:
    """The README's block listening on 127.0.0.1:`listen_port` without TLS, sending to
    HelperChat on `upstream_port`."""
    block = re.sub(r"listen 443 ssl;", f"listen 127.0.0.1:{listen_port};", block)
    if f"127.0.0.1:{listen_port}" not in block:
        raise ValueError("the README's server block no longer says `listen 443 ssl;`")
    return block.replace("http://127.0.0.1:8080", f"http://127.0.0.1:{upstream_port}")


class Nginx:
    """nginx running `server_block` from directory `base` until `stop()`."""

    def __init__(self, base: Path, server_block: str, port: int) -> None:
        self.base, self.port = base, port
        (base / "tmp").mkdir(parents=True, exist_ok=True)
        self.config = base / "nginx.conf"
        self.config.write_text(_MAIN.format(base=base, server=server_block))
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 10.0) -> "Nginx":
        binary = require_binary("nginx", "nginx")
        self._proc = subprocess.Popen(
            [binary, "-p", str(self.base), "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        if not wait_until_ready(self._proc, self._accepts, lambda: False, timeout):
            self.stop()
            log = tail(read_from(self.base / "error.log"))
            raise RuntimeError(f"nginx did not start on port {self.port}:\n{log}")
        return self

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            terminate(self._proc.pid)
            self._proc.wait()
        self._proc = None

    def _accepts(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
        except OSError:
            return False
        return True
