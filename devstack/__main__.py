"""`python -m devstack up|down DIR`: run ejabberd and MariaDB for a demo, state kept in DIR."""

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

from devstack.ejabberd import Ejabberd, EjabberdPorts
from devstack.mariadb import MariaDB


def _load(base: Path) -> tuple[MariaDB, Ejabberd, dict[str, Any]]:
    """Server objects for the stack in `base`, with its saved ports and secret if any."""
    state_file = base / "stack.json"
    state: dict[str, Any] = json.loads(state_file.read_text()) if state_file.exists() else {}
    db, ej = MariaDB(), Ejabberd()
    db.base_dir, db.port = base / "mariadb", state.get("mariadb_port", 0)
    ej.base_dir = base / "ejabberd"
    if "ejabberd_ports" in state:
        ej.ports = EjabberdPorts(**state["ejabberd_ports"])
        ej.component_domain = state["component_domain"]
        ej.component_secret = state["component_secret"]
    ej.tls = bool(state.get("tls", False))
    return db, ej, state


def up(
    base: Path,
    database: str | None,
    user: str | None,
    password: str | None,
    *,
    tls: bool = False,
    ports: EjabberdPorts | None = None,
) -> dict[str, Any]:
    """Start whatever of the stack in `base` is not running; its addresses (kept in stack.json).

    A new stack's ejabberd takes `ports` (default: free ones); a saved stack keeps its own.
    `tls` makes c2s offer STARTTLS (kept once set).
    """
    base.mkdir(parents=True, exist_ok=True)
    db, ej, state = _load(base.resolve())
    try:
        if not db.running():
            db.start(db.base_dir, port=db.port or None)
        if not ej.running():
            secret = ej.component_secret or None
            saved = ej.ports if ej.ports.c2s else None
            ej.start(ej.base_dir, ej.component_domain, secret, saved or ports, tls or ej.tls)
        if database:
            db.create_database(database, user or database, password or database)
    except BaseException:
        ej.stop()
        db.stop()
        raise
    state = {
        "host": ej.host,
        "xmpp_domain": ej.domain,
        "c2s_port": ej.c2s_port,
        "component_port": ej.component_port,
        "http_port": ej.http_port,
        "component_domain": ej.component_domain,
        "component_secret": ej.component_secret,
        "tls": ej.tls,
        "cert_file": str(ej.cert_file) if ej.tls else None,
        "ejabberd_ports": dataclasses.asdict(ej.ports),
        "mariadb_port": db.port,
        "mariadb_socket": str(db.base_dir / "mysql.sock"),
    }
    (base / "stack.json").write_text(json.dumps(state, indent=2) + "\n")
    return state


def down(base: Path) -> None:
    """Stop both servers of the stack in `base` (their data stays)."""
    db, ej, _ = _load(base.resolve())
    ej.stop()
    db.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__)
    parser.add_argument("action", choices=["up", "down"])
    parser.add_argument("dir", type=Path, help="directory holding the stack (created by up)")
    parser.add_argument("--database", help="up: also create this database, with a user")
    parser.add_argument("--db-user", help="user for --database (default: its name)")
    parser.add_argument("--db-password", help="password for --db-user (default: the db name)")
    parser.add_argument("--tls", action="store_true", help="up: c2s offers STARTTLS")
    args = parser.parse_args(argv)
    try:
        if args.action == "up":
            state = up(args.dir, args.database, args.db_user, args.db_password, tls=args.tls)
            print(json.dumps(state))
        else:
            down(args.dir)
    except (OSError, RuntimeError, ValueError) as error:
        print(f"devstack {args.action}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
