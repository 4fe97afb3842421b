"""Converse.js, a browser XMPP client, as the demo's operator console (stdlib only).

`fetch_converse` gets the pinned release from npm once (`npm pack`, cached), `write_pages` writes
one page per account that logs it straight in over ejabberd's WebSocket, and `StaticServer`
serves them from a thread on loopback.
"""

import contextlib
import functools
import html
import json
import shutil
import subprocess
import tarfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from devstack.process import find_binary

CONVERSE_VERSION = "14.0.0"
PACKAGE = f"converse.js@{CONVERSE_VERSION}"

_PAGE = """\
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="stylesheet" href="/dist/converse.min.css">
<script type="module" src="/dist/converse.min.js"></script>
</head>
<body class="converse-fullscreen">
<script type="module">
converse.initialize({options});
</script>
</body>
</html>
"""


def fetch_converse(cache: Path, npm: str | None = None) -> Path | None:
    """The `dist/` folder of Converse.js, unpacked under `cache`; None when npm is missing.

    The first call runs `npm pack` (a tarball of about 9 MB); later calls use the cache.
    """
    unpacked = cache / f"converse.js-{CONVERSE_VERSION}"
    if (unpacked / "dist" / "converse.min.js").exists():
        return unpacked / "dist"
    npm = npm or find_binary("npm")
    if npm is None:
        return None
    cache.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [npm, "pack", PACKAGE, "--pack-destination", str(cache), "--silent"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    tarball = cache / f"converse.js-{CONVERSE_VERSION}.tgz"
    if done.returncode != 0 or not tarball.exists():
        raise RuntimeError(f"npm pack {PACKAGE} failed: {done.stderr.strip()}")
    partial = unpacked.with_name(unpacked.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    with tarfile.open(tarball) as archive:
        archive.extractall(partial, filter="data")
    (partial / "package").rename(unpacked)
    shutil.rmtree(partial)
    tarball.unlink()
    return unpacked / "dist"


def converse_options(websocket_url: str, jid: str, password: str) -> dict[str, Any]:
    """What `converse.initialize` gets: log `jid` straight in, full screen, no discovery."""
    return {
        "websocket_url": websocket_url,
        "jid": jid,
        "password": password,
        "auto_login": True,
        "discover_connection_methods": False,
        "view_mode": "fullscreen",
        "allow_non_roster_messaging": True,
        "show_controlbox_by_default": True,
        "i18n": "en",
        "loglevel": "warn",
    }


def write_pages(root: Path, dist: Path, websocket_url: str, accounts: dict[str, str]) -> None:
    """`root/dist` (a link to Converse.js) and `root/<user>.html` per JID in `accounts`."""
    root.mkdir(parents=True, exist_ok=True)
    target, link = dist.resolve(), root / "dist"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(target, target_is_directory=True)
    for jid, password in accounts.items():
        options = json.dumps(converse_options(websocket_url, jid, password), indent=2)
        options = options.replace("<", "\\u003c")  # no "</script>" can end the script early
        page = _PAGE.format(title=html.escape(f"HelperChat operator {jid}"), options=options)
        path = root / f"{jid.split('@')[0]}.html"
        path.write_text(page)
        path.chmod(0o600)


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class StaticServer:
    """Files under `root` over HTTP on `host:port` (0: a free port), from a daemon thread."""

    def __init__(self, root: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        handler = functools.partial(_Quiet, directory=str(root))
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self.host, self.port = host, int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> "StaticServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self._server.shutdown()
        self._server.server_close()
