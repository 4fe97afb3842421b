"""The `helperchat` command: run, check, db init/migrate, site, operator, feedback and archive
administration.

Exit codes: 0 done, 1 a server could not be reached or refused (a database whose schema is not
this HelperChat's, an HTTP port that cannot be bound and a spool directory that cannot be
written included, and a stop that could neither store nor spool the archive's last rows), or
`feedback done` of a number the site has no feedback under, 2 bad input or configuration.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import os
import sys
import time
from collections.abc import Awaitable, Callable, Sequence

from component import app
from component.admin import (
    Admin,
    checked_slug,
    operator_changes,
    site_set_changes,
    whole_number,
)
from component.archive_admin import add_archive_commands, run_archive_command
from component.catalogue import CatalogueError
from component.config import Config, ConfigError, load_config
from component.errors import InvalidField, InvalidInput
from component.feedback import DoneOutcome, done_text
from component.feedback_list import feedback_line
from component.locales import shipped_catalogue
from component.models import Operator, Site, Strategy
from component.roster_runtime import roster_push_of
from component.site_show import site_show_lines
from component.site_web import MAX_AVATAR_BYTES, NONE
from component.smtp import ServerUnavailable, probe
from component.spool import SpoolError
from component.storage import Database, StorageError, open_database
from component.storage.directory import (
    DirectoryRepository,
    DuplicateError,
    NotFoundError,
    SiteChanges,
)
from component.storage.feedback import FeedbackRepository
from component.storage.schema import (
    current_version,
    init_schema,
    migrate_schema,
    require_current_schema,
)
from component.version import helperchat_version
from component.web.server import HttpStartError, address, port_problem
from component.webhook_admin import add_webhook_commands, run_webhook_command
from component.xmpp.handshake import check_handshake
from component.xmpp.jids import normalize_bare_jid

EXIT_UNAVAILABLE = 1
EXIT_BAD_INPUT = 2
# A migration may rebuild a big table: its statements get this long instead of query_timeout.
MIGRATION_TIMEOUT_SECONDS = 3600.0

# The options of `site set` / `operator set`, at least one of which must be given.
SITE_ROUTING_OPTIONS = (
    "name",
    "strategy",
    "answer_timeout",
    "default_operator",
    "target_operator",
    "max_chats",
    "retention_days",
)
SITE_WEB_OPTIONS = ("origins", "lang", "visitor_choice", "welcome", "avatar")
SITE_SET_OPTIONS = (
    *SITE_ROUTING_OPTIONS,
    *SITE_WEB_OPTIONS,
    "feedback",
    "feedback_email",
    "operators_see_all",
)
OPERATOR_SET_OPTIONS = ("name", "priority", "max_chats", "enabled", "admin")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="helperchat", description=__doc__)
    parser.add_argument(
        "-c",
        "--config",
        default=os.environ.get("HELPERCHAT_CONFIG", "config.yaml"),
        help="configuration file (default: $HELPERCHAT_CONFIG, then ./config.yaml)",
    )
    parser.add_argument("--version", action="version", version=f"helperchat {helperchat_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="run the component until SIGTERM/SIGINT")
    commands.add_parser(
        "check",
        help="check the configuration, the database, the handshake, the spool, the SMTP server"
        " and the HTTP port",
    )
    db = commands.add_parser("db", help="database schema").add_subparsers(
        dest="action", required=True
    )
    db.add_parser("init", help="create the schema, or confirm it is up to date")
    db.add_parser("migrate", help="apply the schema migrations the database lacks, in order")
    _site_commands(commands)
    _operator_commands(commands)
    _feedback_commands(commands)
    add_webhook_commands(commands)
    add_archive_commands(commands)
    return parser


def _whole_number(text: str) -> int:
    """An option's whole number, refused with the text the desk's forms give the same value."""
    try:
        return whole_number("", text)
    except InvalidField as error:
        raise argparse.ArgumentTypeError(error.text) from None


def _site_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    site = commands.add_parser("site", help="sites").add_subparsers(dest="action", required=True)
    add = site.add_parser("add", help="add a site")
    add.add_argument("slug")
    add.add_argument("--name", required=True)
    site.add_parser("list", help="list sites with their settings")
    show = site.add_parser("show", help="every setting, the API key and the widget snippet")
    show.add_argument("slug")
    rotate = site.add_parser("rotate-key", help="replace the site's API key, print the new one")
    rotate.add_argument("slug")
    change = site.add_parser("set", help="change a site's settings (only the options given)")
    change.add_argument("slug")
    change.add_argument("--name")
    change.add_argument("--strategy", choices=[strategy.value for strategy in Strategy])
    change.add_argument("--answer-timeout", type=_whole_number, metavar="SECONDS", help="1..86400")
    for which in ("default", "target"):
        change.add_argument(
            f"--{which}-operator", metavar="JID|none", help=f"{which} operator; none clears it"
        )
    change.add_argument(
        "--max-chats", type=_whole_number, metavar="N", help="default per operator, 0 = unlimited"
    )
    change.add_argument(
        "--retention-days",
        type=_whole_number,
        metavar="N",
        help="closed chats are purged N days after their last activity; 0 = keep for ever",
    )
    _site_web_options(change)
    change.set_defaults(set_parser=change, set_options=SITE_SET_OPTIONS)


def _site_web_options(change: argparse.ArgumentParser) -> None:
    change.add_argument(
        "--origins", metavar="URL,...", help="allowed web origins (CORS), none clears them"
    )
    change.add_argument(
        "--lang",
        metavar="LANG",
        help="what visitors are told things in by default: a language of the catalogue (en, ru)",
    )
    change.add_argument("--visitor-choice", choices=("on", "off"), help="visitors pick operators")
    change.add_argument("--welcome", metavar="TEXT", help="up to 500 characters, '' for none")
    change.add_argument(
        "--avatar", metavar="FILE|none", help="PNG, JPEG or SVG up to 256 KiB; none removes it"
    )
    change.add_argument(
        "--feedback", choices=("on", "off"), help="nobody online: visitors leave feedback"
    )
    change.add_argument(
        "--feedback-email", metavar="ADDRESS,...", help="where feedback is mailed; none: no mail"
    )
    change.add_argument(
        "--operators-see-all",
        choices=("on", "off"),
        help="every operator reads every chat of the archive, not only their own",
    )


def _operator_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    operator = commands.add_parser("operator", help="operators of a site")
    actions = operator.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="add an operator to a site")
    add.add_argument("slug")
    add.add_argument("jid")
    add.add_argument("--name", required=True)
    add.add_argument("--priority", type=_whole_number, default=0)
    add.add_argument("--max-chats", type=_whole_number, default=0)
    add.add_argument("--admin", action="store_true", help="site admin")
    actions.add_parser("list", help="list a site's operators").add_argument("slug")
    remove = actions.add_parser("remove", help="remove an operator from a site")
    remove.add_argument("slug")
    remove.add_argument("jid")
    _operator_set_command(actions)


def _operator_set_command(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    change = actions.add_parser("set", help="change an operator of a site (only the options given)")
    change.add_argument("slug")
    change.add_argument("jid")
    change.add_argument("--name")
    change.add_argument("--priority", type=_whole_number, metavar="N", help="-1000000..1000000")
    change.add_argument("--max-chats", type=_whole_number, metavar="N", help="0 = the site's limit")
    enabled = change.add_mutually_exclusive_group()
    enabled.add_argument("--enabled", dest="enabled", action="store_const", const=True)
    enabled.add_argument("--disabled", dest="enabled", action="store_const", const=False)
    change.add_argument("--admin", choices=("on", "off"), help="site admin (settings, operators)")
    change.set_defaults(set_parser=change, set_options=OPERATOR_SET_OPTIONS)


def _feedback_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    feedback = commands.add_parser(
        "feedback", help="feedback visitors left while nobody was online"
    )
    actions = feedback.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="a site's feedback, oldest first, with its mail")
    listing.add_argument("slug")
    listing.add_argument("--open", action="store_true", help="only feedback not marked done")
    done = actions.add_parser("done", help="mark feedback done (again: nothing changes)")
    done.add_argument("slug")
    done.add_argument("number", type=int)


class UnknownFeedback(Exception):
    """`feedback done` of a number the site has no feedback under (exit code 1)."""


def _require_an_option(args: argparse.Namespace) -> None:
    """`site set` / `operator set` with nothing to set: a usage error (exit 2)."""
    options: tuple[str, ...] = getattr(args, "set_options", ())
    if options and all(getattr(args, option) is None for option in options):
        flags = ", ".join("--" + option.replace("_", "-") for option in options)
        args.set_parser.error(f"nothing to change: give at least one of {flags}")


async def _with_db(config: Config, action: Callable[[Database], Awaitable[None]]) -> None:
    db = await open_database(config.mysql)
    try:
        await action(db)
    finally:
        await db.close()


async def _db(args: argparse.Namespace, db: Database) -> None:
    if args.action == "init":
        print(await init_schema(db))
    else:
        print(await migrate_schema(db, tell=lambda line: print(line, flush=True)))


def _for_migrating(config: Config) -> Config:
    """`db migrate` waits longer for each statement than the running component would."""
    mysql = dataclasses.replace(config.mysql, query_timeout=MIGRATION_TIMEOUT_SECONDS)
    return dataclasses.replace(config, mysql=mysql)


def _normalize_and_tell(text: str) -> str:
    """XMPP's normal form of a typed JID; says on stderr when it is not what was typed."""
    jid = normalize_bare_jid(text)
    if jid != text:
        print(f"helperchat: JID {text!r} read as {jid} (its XMPP normal form)", file=sys.stderr)
    return jid


def _admin(db: Database) -> Admin:
    return Admin(DirectoryRepository(db), _normalize_and_tell)


async def _site(args: argparse.Namespace, db: Database, config: Config) -> None:
    admin = _admin(db)
    if args.action == "add":
        site = await admin.add_site(args.slug, args.name)
        print(f"site {site.slug} added ({site.name})")
    elif args.action == "set":
        print(_site_line(await admin.set_site(args.slug, _site_set_changes(args))))
    elif args.action == "show":
        print("\n".join(site_show_lines(await admin.show_site(args.slug), config.http.public_url)))
    elif args.action == "rotate-key":
        print(f"new API key of {args.slug}: {await admin.rotate_key(args.slug)}")
    else:
        for site in await admin.list_sites():
            print(_site_line(site))


async def _operator(args: argparse.Namespace, db: Database, config: Config) -> None:
    admin = _admin(db)
    roster = roster_push_of(config, DirectoryRepository(db))
    if args.action == "add":
        op = await admin.add_operator(
            args.slug, args.jid, args.name, args.priority, args.max_chats, args.admin
        )
        site = await DirectoryRepository(db).get_site(args.slug)
        pushed = roster.enabled and await roster.operator_added(site, op) is None
        then = (
            "the desk is in their roster" if pushed else "the desk will ask them for a subscription"
        )
        print(f"operator {op.jid} added to {args.slug}; {then}")
    elif args.action == "remove":
        jid = await admin.remove_operator(args.slug, args.jid)
        await roster.operator_removed(await DirectoryRepository(db).get_site(args.slug), jid)
        print(f"operator {jid} removed from {args.slug}")
    elif args.action == "set":
        given = {option: getattr(args, option) for option in OPERATOR_SET_OPTIONS}
        changes = operator_changes(**{**given, "admin": _on(args.admin)})
        print(_operator_line(await admin.set_operator(args.slug, args.jid, changes)))
    else:
        for op in await admin.list_operators(args.slug):
            print(_operator_line(op))


async def _feedback(args: argparse.Namespace, db: Database) -> None:
    site = await DirectoryRepository(db).get_site(checked_slug(args.slug))
    feedback = FeedbackRepository(db)
    if args.action == "list":
        for entry in await feedback.list_feedback(site.id, only_open=args.open):
            print(feedback_line(entry))
        return
    if args.number < 1:
        raise InvalidInput(f"bad feedback number {args.number}: expected 1 or more")
    outcome = await feedback.mark_done(site.id, args.number, time.time())
    if outcome is DoneOutcome.UNKNOWN:
        raise UnknownFeedback(f"{site.slug} has no feedback {args.number}")
    print(done_text(site.slug, args.number, outcome))


def _site_set_changes(args: argparse.Namespace) -> SiteChanges:
    """The options of `site set`, validated as the desk's `settings` form is; the avatar file is
    read here."""
    clear_avatar = args.avatar is not None and args.avatar.strip().lower() in NONE
    avatar = None if args.avatar is None or clear_avatar else _read_avatar(args.avatar)
    return site_set_changes(
        _normalize_and_tell,
        **{option: getattr(args, option) for option in SITE_ROUTING_OPTIONS},
        origins=args.origins,
        lang=args.lang,
        visitor_choice=_on(args.visitor_choice),
        welcome=args.welcome,
        avatar=avatar,
        clear_avatar=clear_avatar,
        feedback=_on(args.feedback),
        feedback_email=args.feedback_email,
        operators_see_all=_on(args.operators_see_all),
    )


def _on(choice: str | None) -> bool | None:
    """An `on|off` option as a flag; None when it was not given."""
    return None if choice is None else choice == "on"


def _read_avatar(path: str) -> bytes:
    """The file's bytes, at most one more than an avatar may have (enough to refuse it)."""
    try:
        with open(path, "rb") as image:
            return image.read(MAX_AVATAR_BYTES + 1)
    except OSError as exc:
        raise InvalidInput(f"cannot read avatar {path}: {exc.strerror or exc}") from None


def _site_line(site: Site) -> str:
    settings = site.settings
    return "\t".join(
        (
            site.slug,
            site.name,
            f"strategy={settings.strategy}",
            f"answer_timeout={settings.answer_timeout:.0f}",
            f"default_operator={settings.default_operator or 'none'}",
            f"target_operator={settings.target_operator or 'none'}",
            f"max_chats={settings.max_chats}",
        )
    )


def _operator_line(op: Operator) -> str:
    flags = (("admin", op.is_admin), ("disabled", not op.enabled), ("paused", op.paused))
    shown = " ".join(flag for flag, on in flags if on)
    limits = f"priority={op.priority}\tmax_chats={op.max_chats}"
    return f"{op.jid}\t{op.name}\t{limits}\tid={op.id}\t{shown}"


async def _check(config: Config) -> int:
    print(f"config: OK ({config.xmpp.component_jid})")
    failed = False
    try:
        await _with_db(config, _check_schema)
    except StorageError as exc:
        print(f"database: FAILED {exc}")
        failed = True
    reason = await check_handshake(config.xmpp)
    print("xmpp: OK (handshake accepted)" if reason is None else f"xmpp: FAILED {reason}")
    failed = failed or reason is not None
    failed = _check_spool(config) or failed
    failed = _check_catalogue() or failed
    failed = await _check_smtp(config) or failed
    return EXIT_UNAVAILABLE if _check_http(config) or failed else 0


def _check_catalogue() -> bool:
    """Read the visitor texts as `run` would; True when they cannot serve."""
    try:
        languages = ", ".join(sorted(shipped_catalogue().languages))
    except CatalogueError as exc:
        print(f"visitor texts: FAILED {exc}")
        return True
    print(f"visitor texts: OK ({languages})")
    return False


async def _check_smtp(config: Config) -> bool:
    """Connect, log in and QUIT as the mail drainer would; True when that failed."""
    if not config.smtp.configured:
        print("smtp: not configured (no smtp section): mails stay queued in the outbox")
        return False
    try:
        print(f"smtp: OK ({await probe(config.smtp)})")
    except ServerUnavailable as exc:
        print(f"smtp: FAILED {exc}")
        return True
    return False


def _check_spool(config: Config) -> bool:
    """Create and write the spool directory as `run` would; True when that failed."""
    spool = app.spool_of(config)
    try:
        spool.check_usable()
        waiting = len(spool.files())
    except SpoolError as exc:
        print(f"spool: FAILED {exc}")
        return True
    files = f"; {waiting} file(s) wait for `run` to store them" if waiting else ""
    print(f"spool: OK ({spool.path}{files})")
    return False


def _check_http(config: Config) -> bool:
    """Bind and release the HTTP port as `run` would; True when that failed."""
    problem = port_problem(config.http.host, config.http.port)
    where = address(config.http.host, config.http.port)
    print(f"http: OK ({where})" if problem is None else f"http: FAILED {problem}")
    return problem is not None


async def _check_schema(db: Database) -> None:
    """What `run` would say about the database's schema, or its version."""
    await require_current_schema(db)
    print(f"database: OK (schema version {await current_version(db)})")


def _dispatch(args: argparse.Namespace, config: Config) -> int:
    if args.command == "run":
        asyncio.run(app.run(config))
        return 0
    if args.command == "check":
        return asyncio.run(_check(config))
    if args.command == "db" and args.action == "migrate":
        config = _for_migrating(config)
    handlers = {"db": lambda db: _db(args, db), "site": lambda db: _site(args, db, config)}
    handlers["operator"] = lambda db: _operator(args, db, config)
    handlers["feedback"] = lambda db: _feedback(args, db)
    handlers["webhook"] = lambda db: run_webhook_command(args, db, config)
    handlers["archive"] = lambda db: run_archive_command(args, db, config)
    asyncio.run(_with_db(config, handlers[args.command]))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _require_an_option(args)
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
    except (HttpStartError, SpoolError, UnknownFeedback) as exc:
        print(f"helperchat: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except CatalogueError as exc:
        print(f"helperchat: the visitor texts cannot be used: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE


if __name__ == "__main__":
    sys.exit(main())
