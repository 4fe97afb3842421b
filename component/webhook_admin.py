"""`helperchat webhook add|list|remove`: a site's outgoing webhooks, validated before storing.

The secret is printed once, by `add`, and never again (`list` shows everything but it). Every
command names its site, and touches only that site's webhooks.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from urllib.parse import urlsplit

from component.admin import checked_slug
from component.config import Config
from component.storage import Database
from component.storage.directory import DirectoryRepository
from component.storage.webhooks import WebhookRepository, WebhookSummary
from component.webhook_events import EVENTS, checked_events
from component.webhook_signing import new_secret
from component.webhook_urls import checked_webhook_url, is_public_address, literal_address


def add_webhook_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    webhook = commands.add_parser("webhook", help="a site's outgoing webhooks")
    actions = webhook.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="add a webhook; prints its number and signing secret")
    add.add_argument("slug")
    add.add_argument("url", help="http(s)://host[:port]/path, where the events are POSTed")
    add.add_argument(
        "--events",
        metavar="E,...",
        help=f"'all' or some of {', '.join(EVENTS)} (default: all but chat.message)",
    )
    listing = actions.add_parser("list", help="a site's webhooks and their deliveries")
    listing.add_argument("slug")
    remove = actions.add_parser("remove", help="remove a webhook and its pending deliveries")
    remove.add_argument("slug")
    remove.add_argument("number", type=int)


async def run_webhook_command(args: argparse.Namespace, db: Database, config: Config) -> None:
    """InvalidInput or NotFoundError (exit 2) for bad input; nothing changes then."""
    site = await DirectoryRepository(db).get_site(checked_slug(args.slug))
    repo = WebhookRepository(db)
    if args.action == "add":
        url, events = checked_webhook_url(args.url), checked_events(args.events)
        secret = new_secret()
        number = await repo.add_webhook(site.id, url, secret, events)
        print(f"webhook {number} added to {site.slug}: {url}")
        print(f"events: {', '.join(events)}")
        print(f"secret: {secret}")
        print("(shown only now: the receiver checks X-HelperChat-Signature with it)")
        if not config.webhooks.allow_private_addresses and not _may_be_public(url):
            print(
                f"helperchat: {url} is not a public address: deliveries to it are refused"
                " while webhooks.allow_private_addresses is off",
                file=sys.stderr,
            )
    elif args.action == "remove":
        pending = await repo.remove_webhook(site.id, args.number)
        print(
            f"webhook {args.number} removed from {site.slug} ({pending} pending deliveries dropped)"
        )
    else:
        for summary in await repo.list_webhooks(site.id):
            print(webhook_line(summary))


def webhook_line(webhook: WebhookSummary) -> str:
    error = "none"
    if webhook.last_error is not None:
        status, at = webhook.last_error
        error = f"{status} at {_time(at)}"
    return "\t".join(
        (
            str(webhook.number),
            webhook.url,
            f"events={','.join(webhook.events)}",
            f"created={_time(webhook.created_at)}",
            f"pending={webhook.pending}",
            f"failed={webhook.failed}",
            f"last_error={error}",
        )
    )


def _may_be_public(url: str) -> bool:
    """False for an address or a name that is surely not public (a name may resolve to one)."""
    address = literal_address(url)
    if address is not None:
        return is_public_address(address)
    host = (urlsplit(url).hostname or "").rstrip(".")
    return host != "localhost" and not host.endswith(".localhost")


def _time(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%SZ")
