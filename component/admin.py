"""Administration behind the command line: sites and operators, validated before storing."""

from __future__ import annotations

from component.addresses import is_bare_jid
from component.errors import InvalidInput
from component.models import SLUG_PATTERN, Operator, Site
from component.service import MAX_NAME_CHARS, clean_name
from component.storage.directory import DirectoryRepository


def checked_slug(slug: str) -> str:
    if not SLUG_PATTERN.fullmatch(slug):
        raise InvalidInput(f"bad site slug {slug!r}: use 1-32 of a-z, 0-9 and '-'")
    return slug


def checked_jid(jid: str) -> str:
    normalized = jid.strip().lower()
    if not is_bare_jid(normalized):
        raise InvalidInput(f"bad operator JID {jid!r}: expected a bare JID like alice@example.com")
    return normalized


def checked_name(name: str) -> str:
    cleaned = clean_name(name)
    if not cleaned or cleaned != name.strip():
        raise InvalidInput(
            f"bad name {name!r}: 1-{MAX_NAME_CHARS} printable characters, no control characters"
        )
    return cleaned


def checked_count(value: int, what: str) -> int:
    if value < 0 or value > 1_000_000:
        raise InvalidInput(f"bad {what} {value}: expected 0..1000000")
    return value


class Admin:
    def __init__(self, repo: DirectoryRepository) -> None:
        self._repo = repo

    async def add_site(self, slug: str, name: str) -> Site:
        return await self._repo.add_site(checked_slug(slug), checked_name(name))

    async def list_sites(self) -> list[Site]:
        return await self._repo.list_sites()

    async def add_operator(
        self, slug: str, jid: str, name: str, priority: int, max_chats: int, admin: bool
    ) -> Operator:
        site = await self._repo.get_site(checked_slug(slug))
        if not -1_000_000 <= priority <= 1_000_000:
            raise InvalidInput(f"bad priority {priority}: expected -1000000..1000000")
        operator = Operator(
            site_id=site.id,
            jid=checked_jid(jid),
            name=checked_name(name),
            priority=priority,
            max_chats=checked_count(max_chats, "max chats"),
            is_admin=admin,
        )
        await self._repo.add_operator(operator)
        return operator

    async def list_operators(self, slug: str) -> list[Operator]:
        site = await self._repo.get_site(checked_slug(slug))
        return await self._repo.list_operators(site.id)

    async def remove_operator(self, slug: str, jid: str) -> None:
        site = await self._repo.get_site(checked_slug(slug))
        await self._repo.remove_operator(site.id, checked_jid(jid))
