"""Per-site figures for the metrics, read from the desk's state: queue length, operators online.

Pure and read-only: takes the directory, the chat book and the presence table, changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from component.chats import ChatBook
from component.directory import Directory
from component.models import Tier
from component.presence import PresenceTable


@dataclass(frozen=True, slots=True)
class SiteStats:
    slug: str
    queued: int
    operators_online: int


def site_stats(directory: Directory, chats: ChatBook, presence: PresenceTable) -> list[SiteStats]:
    """Every site: chats waiting in its queue, enabled operators online at its desk (any show)."""
    return [
        SiteStats(
            site.slug,
            queued=len(chats.queued(site.id)),
            operators_online=sum(
                1
                for op in directory.operators(site.id)
                if op.enabled and presence.tier_of(op.jid, site.id) is not Tier.OFFLINE
            ),
        )
        for site in directory.sites()
    ]
