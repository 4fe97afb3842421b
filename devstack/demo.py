"""`python -m devstack.demo DIR`: HelperChat for real on a local ejabberd and MariaDB.

Starts (or reuses) the throwaway servers kept in DIR, creates the database, a `demo` site with two
operators and a visitor account, prints how to connect, then runs `helperchat run` in the
foreground. Ctrl-C stops HelperChat and the servers it started; the data stays in DIR.
"""

import json
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

from devstack.__main__ import _load, up

OPERATORS = (("alice", "Alice", "10"), ("bob", "Bob", "5"))


def _secrets(base: Path) -> dict[str, str]:
    path = base / "demo.json"
    if path.exists():
        saved: dict[str, str] = json.loads(path.read_text())
        return saved
    made = {name: secrets.token_urlsafe(9) for name in ("db", "alice", "bob", "visitor")}
    path.write_text(json.dumps(made) + "\n")
    path.chmod(0o600)
    return made


def _write_config(base: Path, stack: dict[str, Any], db_password: str) -> Path:
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
        "component:\n"
        "  reload_interval: 2.0\n"
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


def prepare(base: Path) -> tuple[Path, dict[str, Any], dict[str, str]]:
    """Servers up, schema, site, operators and accounts in place; returns the config file."""
    base.mkdir(parents=True, exist_ok=True)
    base.chmod(0o755)
    passwords = _secrets(base)
    up(base, "helperchat", "helperchat", passwords["db"])
    stack: dict[str, Any] = json.loads((base / "stack.json").read_text())
    config = _write_config(base, stack, passwords["db"])
    helperchat(config, "db", "init")
    if "demo\t" not in helperchat(config, "site", "list"):
        helperchat(config, "site", "add", "demo", "--name", "Demo shop")
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


def instructions(stack: dict[str, Any], passwords: dict[str, str]) -> str:
    domain, server = stack["xmpp_domain"], f"{stack['host']}:{stack['c2s_port']}"
    desk = f"demo@{stack['component_domain']}"
    lines = [
        "",
        "HelperChat demo is starting.",
        f"XMPP server: {server} (plain connection, no TLS: tell your client to allow it)",
        "Accounts:",
        f"  operator Alice (priority 10)  alice@{domain}    password {passwords['alice']}",
        f"  operator Bob   (priority 5)   bob@{domain}      password {passwords['bob']}",
        f"  visitor                       visitor@{domain}  password {passwords['visitor']}",
        f"Log in as an operator and accept the contact request from {desk} (the desk).",
        f"Log in as the visitor and write to {desk}: the chat reaches the operator",
        f"from demo.1@{stack['component_domain']}; answer there. /help lists the commands.",
        "Ctrl-C stops HelperChat and the demo servers; data stays in the demo directory.",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    base = Path(sys.argv[1] if len(sys.argv) > 1 else ".demo").resolve()
    try:
        config, stack, passwords = prepare(base)
    except (OSError, RuntimeError, ValueError) as error:
        print(f"demo: {error}", file=sys.stderr)
        return 1
    print(instructions(stack, passwords), flush=True)
    run = subprocess.Popen([sys.executable, "-m", "component", "-c", str(config), "run"])
    try:
        return run.wait()
    except KeyboardInterrupt:
        return run.wait()
    finally:
        print("demo: stopping the servers", flush=True)
        db, ejabberd, _ = _load(base)
        ejabberd.stop()
        db.stop()


if __name__ == "__main__":
    sys.exit(main())
