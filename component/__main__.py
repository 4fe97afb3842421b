"""The `helperchat` command: run, check, db init, site and operator administration.

Exit codes: 0 done, 1 a server could not be reached or refused, 2 bad input or configuration.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Sequence

from component import app
from component.admin import Admin
from component.config import Config, ConfigError, load_config
from component.errors import InvalidInput
from component.storage import Database, StorageError, open_database
from component.storage.directory import DirectoryRepository, DuplicateError, NotFoundError
from component.storage.schema import current_version, init_schema
from component.xmpp.handshake import check_handshake

EXIT_UNAVAILABLE = 1
EXIT_BAD_INPUT = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="helperchat", description=__doc__)
    parser.add_argument(
        "-c",
        "--config",
        default=os.environ.get("HELPERCHAT_CONFIG", "config.yaml"),
        help="configuration file (default: $HELPERCHAT_CONFIG, then ./config.yaml)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="run the component until SIGTERM/SIGINT")
    commands.add_parser("check", help="check the configuration, the database and the handshake")
    db = commands.add_parser("db", help="database schema").add_subparsers(
        dest="action", required=True
    )
    db.add_parser("init", help="create the schema, or confirm it is up to date")
    _site_commands(commands)
    _operator_commands(commands)
    return parser


def _site_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    site = commands.add_parser("site", help="sites").add_subparsers(dest="action", required=True)
    add = site.add_parser("add", help="add a site")
    add.add_argument("slug")
    add.add_argument("--name", required=True)
    site.add_parser("list", help="list sites")


def _operator_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    operator = commands.add_parser("operator", help="operators of a site")
    actions = operator.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="add an operator to a site")
    add.add_argument("slug")
    add.add_argument("jid")
    add.add_argument("--name", required=True)
    add.add_argument("--priority", type=int, default=0)
    add.add_argument("--max-chats", type=int, default=0)
    add.add_argument("--admin", action="store_true", help="site admin")
    actions.add_parser("list", help="list a site's operators").add_argument("slug")
    remove = actions.add_parser("remove", help="remove an operator from a site")
    remove.add_argument("slug")
    remove.add_argument("jid")


async def _with_db(config: Config, action: Callable[[Database], Awaitable[None]]) -> None:
    db = await open_database(config.mysql)
    try:
        await action(db)
    finally:
        await db.close()


async def _db_init(db: Database) -> None:
    print(await init_schema(db))


async def _site(args: argparse.Namespace, db: Database) -> None:
    admin = Admin(DirectoryRepository(db))
    if args.action == "add":
        site = await admin.add_site(args.slug, args.name)
        print(f"site {site.slug} added ({site.name})")
    else:
        for site in await admin.list_sites():
            print(f"{site.slug}\t{site.name}\tstrategy={site.settings.strategy}")


async def _operator(args: argparse.Namespace, db: Database) -> None:
    admin = Admin(DirectoryRepository(db))
    if args.action == "add":
        op = await admin.add_operator(
            args.slug, args.jid, args.name, args.priority, args.max_chats, args.admin
        )
        print(f"operator {op.jid} added to {args.slug}; the desk will ask them for a subscription")
    elif args.action == "remove":
        await admin.remove_operator(args.slug, args.jid)
        print(f"operator {args.jid} removed from {args.slug}")
    else:
        for op in await admin.list_operators(args.slug):
            flags = " ".join(
                f for f, on in (("admin", op.is_admin), ("disabled", not op.enabled)) if on
            )
            print(f"{op.jid}\t{op.name}\tpriority={op.priority}\tmax_chats={op.max_chats}\t{flags}")


async def _check(config: Config) -> int:
    print(f"config: OK ({config.xmpp.component_jid})")
    failed = False
    try:
        db = await open_database(config.mysql)
        version = await current_version(db)
        await db.close()
        print(f"database: OK (schema version {version})" if version else "database: OK (empty)")
    except StorageError as exc:
        print(f"database: FAILED {exc}")
        failed = True
    reason = await check_handshake(config.xmpp)
    print("xmpp: OK (handshake accepted)" if reason is None else f"xmpp: FAILED {reason}")
    return EXIT_UNAVAILABLE if failed or reason is not None else 0


def _dispatch(args: argparse.Namespace, config: Config) -> int:
    if args.command == "run":
        asyncio.run(app.run(config))
        return 0
    if args.command == "check":
        return asyncio.run(_check(config))
    handlers = {"db": _db_init, "site": lambda db: _site(args, db)}
    handlers["operator"] = lambda db: _operator(args, db)
    asyncio.run(_with_db(config, handlers[args.command]))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"helperchat: configuration error:\n{exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    logging.basicConfig(
        level=config.log.level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        return _dispatch(args, config)
    except (InvalidInput, DuplicateError, NotFoundError) as exc:
        print(f"helperchat: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except StorageError as exc:
        print(f"helperchat: database error: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE


if __name__ == "__main__":
    sys.exit(main())
