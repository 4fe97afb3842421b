"""`helperchat archive purge|export`: a site's archive past its retention deleted (or counted),
and a site's chats with their messages written to stdout for an owner who leaves or audits.

Bad input (an unknown slug, a bad date) is InvalidInput or NotFoundError, exit 2, before
anything is written or deleted.
"""

from __future__ import annotations

import argparse
import io
import sys
import time

from component.admin import checked_slug
from component.archive_export import FORMATS, csv_lines, jsonl_line, parse_since
from component.config import Config
from component.storage import Database
from component.storage.directory import DirectoryRepository
from component.storage.export import ArchiveExport
from component.storage.purge import ChatPurge, PurgeFailed


def add_archive_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    archive = commands.add_parser("archive", help="the chat archive: retention purge, export")
    actions = archive.add_subparsers(dest="action", required=True)
    purge = actions.add_parser(
        "purge",
        help="delete closed chats older than their site's --retention-days, with their messages",
    )
    purge.add_argument("slug", nargs="?", help="only this site (default: every site)")
    purge.add_argument(
        "--dry-run", action="store_true", help="print what would be deleted, delete nothing"
    )
    export = actions.add_parser(
        "export", help="write a site's chats with their messages to stdout, one row per message"
    )
    export.add_argument("slug")
    export.add_argument(
        "--since", metavar="DATE", help="only chats opened at or after DATE (UTC): 2026-01-31"
    )
    export.add_argument("--format", choices=FORMATS, default="jsonl", help="default: jsonl")


async def run_archive_command(args: argparse.Namespace, db: Database, config: Config) -> None:
    del config  # the same signature as the other command groups
    if args.action == "purge":
        await _purge(args, db)
    else:
        await _export(args, db)


async def _purge(args: argparse.Namespace, db: Database) -> None:
    directory = DirectoryRepository(db)
    if args.slug is None:
        sites = await directory.list_sites()
    else:
        sites = [await directory.get_site(checked_slug(args.slug))]
    purge = ChatPurge(db)
    for site in sites:
        try:
            counts = await purge.purge_site(site, time.time(), dry_run=args.dry_run)
        except PurgeFailed as error:  # what it deleted before the failure, then the error
            print(error.counts.line(dry_run=args.dry_run), flush=True)
            raise
        print(counts.line(dry_run=args.dry_run), flush=True)


async def _export(args: argparse.Namespace, db: Database) -> None:
    since = 0.0 if args.since is None else parse_since(args.since)
    site = await DirectoryRepository(db).get_site(checked_slug(args.slug))
    out = sys.stdout
    if isinstance(out, io.TextIOWrapper):  # UTF-8 whatever the locale; CSV's CRLF kept as is
        out.reconfigure(encoding="utf-8", newline="")
    first = True
    async for page in ArchiveExport(db).pages(site.id, since):
        if args.format == "csv":
            out.write(csv_lines(page, header=first))
        else:
            out.writelines(jsonl_line(row) for row in page)
        first = False
    if first and args.format == "csv":
        out.write(csv_lines([], header=True))  # no messages: the header alone
    out.flush()
