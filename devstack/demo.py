"""`python -m devstack.demo [DIR]`: HelperChat for real on a local ejabberd and MariaDB.

Starts (or reuses) the throwaway servers kept in DIR, ejabberd with STARTTLS (real clients insist
on it) on the usual ports where free, creates the database, a `demo` site with two operators and a
visitor account, serves a demo shop page with the chat widget on it and Converse.js as a browser
console for each operator, prints how to connect, then runs `helperchat run` in the foreground.
Ctrl-C stops HelperChat and the servers it started; the data stays in DIR.
"""

import argparse
import json
import secrets
import signal
import subprocess
import sys
from pathlib import Path
from types import FrameType
from typing import Any

from devstack.__main__ import _load, up
from devstack.ejabberd import EjabberdPorts
from devstack.ports import free_port, port_or_free
from devstack.shop import SHOP_PAGE, snippet_from_site_show, write_shop
from devstack.webclient import StaticServer, fetch_converse, write_pages

OPERATORS = (("alice", "Alice", "10"), ("bob", "Bob", "5"))
SHOP_NAME = "Demo shop"
CONSOLE_PORT = 8000
HELPERCHAT_HTTP_PORT = 8080


def _secrets(base: Path) -> dict[str, str]:
    path = base / "demo.json"
    if path.exists():
        saved: dict[str, str] = json.loads(path.read_text())
        return saved
    made = {name: secrets.token_urlsafe(9) for name in ("db", "alice", "bob", "visitor")}
    path.write_text(json.dumps(made) + "\n")
    path.chmod(0o600)
    return made


def _write_config(base: Path, stack: dict[str, Any], db_password: str, http_port: int) -> Path:
    config = base / "config.yaml"
    config.write_text(
        "# Written by the demo: HelperChat on the throwaway servers in this directory.\n"
        "xmpp:\n"
        f"  component_jid: {stack['component_domain']}\n"
        f"  secret: {stack['component_secret']}\n"
        f"  host: {stack['host']}\n"
        f"  port: {stack['component_port']}\n"
        "mysql:\n"
        f"  host: {stack['host']}\n"
        f"  port: {stack['mariadb_port']}\n"
        "  user: helperchat\n"
        f"  password: {db_password}\n"
        "  database: helperchat\n"
        "archive:\n"
        f"  spool_dir: {base / 'spool'}\n"
        "component:\n"
        "  reload_interval: 2.0\n"
        "http:\n"
        f"  host: {stack['host']}\n"
        f"  port: {http_port}\n"
        f"  public_url: http://{stack['host']}:{http_port}\n"
        "ejabberd_api:  # operators get the desk in their rosters: nothing to accept\n"
        f"  url: http://{stack['host']}:{stack['http_port']}/api\n"
    )
    config.chmod(0o600)
    return config


def helperchat(config: Path, *args: str, check: bool = True) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "component", "-c", str(config), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if check and done.returncode != 0:
        raise RuntimeError(f"helperchat {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def prepare(base: Path, usual_ports: bool = True) -> tuple[Path, dict[str, Any], dict[str, str]]:
    """Servers up, schema, site, operators and accounts in place; returns the config file."""
    base.mkdir(parents=True, exist_ok=True)
    base.chmod(0o755)
    passwords = _secrets(base)
    ports = EjabberdPorts.usual() if usual_ports else None
    stack = up(base, "helperchat", "helperchat", passwords["db"], tls=True, ports=ports)
    http_port = port_or_free(HELPERCHAT_HTTP_PORT) if usual_ports else free_port()
    config = _write_config(base, stack, passwords["db"], http_port)
    helperchat(config, "db", "init")
    if "demo\t" not in helperchat(config, "site", "list"):
        helperchat(config, "site", "add", "demo", "--name", SHOP_NAME)
    _, ejabberd, _ = _load(base.resolve())
    known = helperchat(config, "operator", "list", "demo")
    for user, name, priority in OPERATORS:
        ejabberd.register_user(user, passwords[user], exist_ok=True)
        jid = f"{user}@{stack['xmpp_domain']}"
        if jid not in known:
            helperchat(
                config, "operator", "add", "demo", jid, "--name", name, "--priority", priority
            )
    ejabberd.register_user("visitor", passwords["visitor"], exist_ok=True)
    return config, stack, passwords


def start_web(
    base: Path, stack: dict[str, Any], passwords: dict[str, str], config: Path, port: int
) -> tuple[StaticServer, str]:
    """The demo's web pages on `port`: the shop with the widget, and a Converse.js page per
    operator when npm can fetch it; (the server, why there is no console or "")."""
    web = base / "web"
    server = StaticServer(web, stack["host"], port).start()
    try:
        origins = f"{server.url},http://localhost:{server.port}"
        helperchat(config, "site", "set", "demo", "--origins", origins)
        shown = helperchat(config, "site", "show", "demo")
        write_shop(web, snippet_from_site_show(shown), SHOP_NAME)
    except BaseException:
        server.stop()
        raise
    try:
        dist = fetch_converse(base / "cache")
    except (OSError, RuntimeError) as error:
        return server, f"No browser console: {error}"
    if dist is None:
        return server, "No browser console: npm is not installed (apt-get install npm)."
    websocket = f"ws://{stack['host']}:{stack['http_port']}/ws"
    accounts = {f"{user}@{stack['xmpp_domain']}": passwords[user] for user, _, _ in OPERATORS}
    write_pages(web, dist, websocket, accounts)
    return server, ""


def instructions(
    stack: dict[str, Any],
    passwords: dict[str, str],
    console: str | None,
    note: str = "",
    shop: str | None = None,
) -> str:
    """What the demo prints: the shop page, accounts, the browser console, profanity and Gajim,
    what to do."""
    domain, host, port = stack["xmpp_domain"], stack["host"], stack["c2s_port"]
    desk, component = f"demo@{stack['component_domain']}", stack["component_domain"]
    lines = [
        "",
        "HelperChat demo is starting.",
        *([f"Demo shop with the chat widget (be the visitor here): {shop}", ""] if shop else []),
        f"XMPP server: {host} port {port} (STARTTLS, a self-signed certificate for {domain})",
        "Accounts:",
        f"  operator Alice (priority 10)  alice@{domain}    password {passwords['alice']}",
        f"  operator Bob   (priority 5)   bob@{domain}      password {passwords['bob']}",
        f"  visitor                       visitor@{domain}  password {passwords['visitor']}",
        "",
    ]
    if console:
        lines += ["Operator console in the browser (Converse.js; each page logs its operator in):"]
        lines += [f"  {name:6} {console}/{user}.html" for user, name, _ in OPERATORS]
    else:
        lines += [note]
    lines += [
        "",
        "profanity: start `profanity`, type this line and then the password:",
        f"  /connect alice@{domain} server {host} port {port} tls trust",
        f"Gajim: Accounts > Add Account, log in as alice@{domain} with its password; under",
        f"  Advanced set host {host}, port {port}, STARTTLS; trust the certificate when asked.",
        f"Other web clients: XMPP over WebSocket at ws://{host}:{stack['http_port']}/ws",
        "",
        f"1. As an operator, log in: {desk} (the desk) is in your contacts already, and its",
        "   status says how many visitors wait.",
        "2. As the visitor, open the demo shop and write in the chat window, or write to",
        f"   {desk} from an XMPP client (profanity: /msg {desk} Hello).",
        f"3. The chat reaches an operator from demo.1@{component}: answer there;",
        "   /help there lists the chat commands, also ad-hoc commands (profanity: /cmd list",
        "   and /cmd exec info in the chat's window).",
        "Ctrl-C stops HelperChat and the demo servers; data stays in the demo directory.",
        "",
    ]
    return "\n".join(lines)


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.demo", description=__doc__)
    parser.add_argument("dir", nargs="?", default=".demo", type=Path)
    parser.add_argument("--free-ports", action="store_true", help="not the usual ports")
    args = parser.parse_args(argv)
    base: Path = args.dir.resolve()
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        config, stack, passwords = prepare(base, usual_ports=not args.free_ports)
        web_port = 0 if args.free_ports else port_or_free(CONSOLE_PORT)
        web, note = start_web(base, stack, passwords, config, web_port)
    except (OSError, RuntimeError, ValueError) as error:
        print(f"demo: {error}", file=sys.stderr)
        _stop_servers(base)
        return 1
    console = None if note else web.url
    print(instructions(stack, passwords, console, note, f"{web.url}/{SHOP_PAGE}"), flush=True)
    run = subprocess.Popen([sys.executable, "-m", "component", "-c", str(config), "run"])
    try:
        return run.wait()
    except KeyboardInterrupt:
        run.terminate()
        return run.wait()
    finally:
        web.stop()
        _stop_servers(base)


def _stop_servers(base: Path) -> None:
    print("demo: stopping the servers", flush=True)
    db, ejabberd, _ = _load(base)
    ejabberd.stop()
    db.stop()


if __name__ == "__main__":
    sys.exit(main())
