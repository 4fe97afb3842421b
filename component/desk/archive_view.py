"""Who may read which chats of a site's archive (`recent`, `transcript`, `search`), and how they
page.

An operator sees only the sites they belong to; a site admin every chat of the site; any other
operator only the chats assigned to them. A chat one may not see is told exactly as one that does
not exist. Pure: plain values, no I/O (the reads are the ArchiveBrowsing port's).
"""

from __future__ import annotations

from dataclasses import dataclass

from component.desk.helpdesk import HelpDesk
from component.errors import UnknownChat
from component.models import Chat, Site

ARCHIVE_COMMANDS = ("recent", "transcript", "search")
"""At a desk `site@D`, for every operator of the site; what each shows depends on who asks."""
RECENT_PAGE = 20
"""Chats on one page of `recent`."""
STATES = ("queued", "assigned", "closed", "offline")
"""The chat states `recent` filters by (its `state` field; empty: all)."""


@dataclass(frozen=True, slots=True)
class Scope:
    """What one operator may read of one site's archive: every chat, or only `only_operator`'s."""

    site: Site
    requester: str
    only_operator: str | None

    def may_see(self, chat: Chat) -> bool:
        if chat.site_id != self.site.id:
            return False
        return self.only_operator is None or chat.operator == self.only_operator


def scope_of(desk: HelpDesk, requester: str, slug: str) -> Scope:
    """The requester's view of `slug`'s archive: UnknownSite, NotAllowed for anyone but its
    operators."""
    site = desk.state.site(slug)
    operator = desk.state.operator_of(site, requester, "read its archive")
    sees_all = operator.is_admin or site.settings.operators_see_all
    return Scope(site, operator.jid, None if sees_all else operator.jid)


def visible(scope: Scope, chat: Chat | None, number: int) -> Chat:
    """The chat if the scope may see it; else UnknownChat, the same as for a missing one."""
    if chat is None or not scope.may_see(chat):
        raise UnknownChat(f"there is no chat {scope.site.slug}.{number}")
    return chat


def turn(offset: int, action: str, has_next: bool, size: int = RECENT_PAGE) -> int:
    """The offset after a paging action: next (when there is one), prev (not before 0), else
    the same page."""
    if action == "next" and has_next:
        return offset + size
    if action == "prev":
        return max(0, offset - size)
    return offset


def parse_number(text: str, slug: str) -> int | None:
    """A chat number of `slug` as typed (`12`, `#12`, `acme.12`, in ASCII digits); None when it
    is none, or names another site's chat."""
    site, dot, digits = text.strip().removeprefix("#").rpartition(".")
    if dot and site.lower() != slug.lower():
        return None
    return int(digits) if digits.isascii() and digits.isdigit() and len(digits) < 10 else None
