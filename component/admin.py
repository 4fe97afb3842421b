"""Administration behind the command line: sites and operators, validated before storing.

Operator JIDs are stored in XMPP's normal form, computed by the JidNormalizer the wiring passes
in (component.xmpp.jids.normalize_bare_jid): this module must not import slixmpp.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager

from component.addresses import is_bare_jid
from component.contacts import checked_feedback_emails
from component.errors import InvalidField, InvalidInput
from component.locales import shipped_catalogue
from component.models import SLUG_PATTERN, Operator, Site, Strategy
from component.names import MAX_NAME_CHARS, clean_name
from component.site_web import checked_avatar, checked_lang, checked_origins, checked_welcome
from component.storage.directory import (
    DirectoryRepository,
    NotFoundError,
    OperatorChanges,
    OperatorsCheck,
    SiteChanges,
)

__all__ = ["OperatorChanges", "SiteChanges"]  # the pure forms name them through this module

MAX_ANSWER_TIMEOUT = 86_400
MAX_RETENTION_DAYS = 36_500  # a hundred years: more is a typo, not a policy
CLEAR = ("", "none")  # what clears a default/target operator

JidNormalizer = Callable[[str], str]
"""A bare JID in XMPP's normal form; raises ValueError saying why a text is not one."""


@contextmanager
def field_named(field: str) -> Iterator[None]:
    """InvalidInput raised inside becomes InvalidField naming `field` (the same text)."""
    try:
        yield
    except InvalidField:
        raise
    except InvalidInput as error:
        raise InvalidField(field, error.text) from None


def whole_number(field: str, text: str) -> int:
    """A form's whole number as typed (the command line's argparse does this for its options)."""
    try:
        return int(text.strip())
    except ValueError:
        raise InvalidField(field, f"not a whole number: {text.strip()!r}") from None


def checked_slug(slug: str) -> str:
    if not SLUG_PATTERN.fullmatch(slug):
        raise InvalidInput(f"bad site slug {slug!r}: use 1-32 of a-z, 0-9 and '-'")
    return slug


def checked_jid(jid: str, normalize: JidNormalizer) -> str:
    try:
        normalized = normalize(jid.strip())
    except ValueError as exc:
        raise InvalidInput(f"bad operator JID: {exc}") from None
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


def checked_priority(value: int) -> int:
    if not -1_000_000 <= value <= 1_000_000:
        raise InvalidInput(f"bad priority {value}: expected -1000000..1000000")
    return value


def checked_answer_timeout(value: int) -> int:
    if not 1 <= value <= MAX_ANSWER_TIMEOUT:
        raise InvalidInput(f"bad answer timeout {value}: expected 1..{MAX_ANSWER_TIMEOUT} seconds")
    return value


def checked_retention_days(value: int) -> int:
    """Days a site's closed chats are kept after their last activity; 0 keeps them for ever."""
    if not 0 <= value <= MAX_RETENTION_DAYS:
        raise InvalidInput(
            f"bad retention days {value}: expected 0 (keep for ever)..{MAX_RETENTION_DAYS}"
        )
    return value


def checked_strategy(value: str) -> Strategy:
    try:
        return Strategy(value)
    except ValueError:
        choices = ", ".join(Strategy)
        raise InvalidInput(f"bad strategy {value!r}: expected one of {choices}") from None


def site_changes(
    normalize_jid: JidNormalizer,
    *,
    name: str | None = None,
    strategy: str | None = None,
    answer_timeout: int | None = None,
    default_operator: str | None = None,
    target_operator: str | None = None,
    max_chats: int | None = None,
    retention_days: int | None = None,
) -> SiteChanges:
    """Validated changes from raw input; None leaves a value alone, "" or "none" clears an operator.

    Operators come back as normalized JIDs; whether they belong to the site is checked later.
    """
    changes = SiteChanges()
    if name is not None:
        with field_named("name"):
            changes["name"] = checked_name(name)
    if strategy is not None:
        with field_named("strategy"):
            changes["strategy"] = checked_strategy(strategy)
    if answer_timeout is not None:
        with field_named("answer_timeout"):
            changes["answer_timeout"] = checked_answer_timeout(answer_timeout)
    if default_operator is not None:
        with field_named("default_operator"):
            changes["default_operator"] = _optional_jid(default_operator, normalize_jid)
    if target_operator is not None:
        with field_named("target_operator"):
            changes["target_operator"] = _optional_jid(target_operator, normalize_jid)
    if max_chats is not None:
        with field_named("max_chats"):
            changes["max_chats"] = checked_count(max_chats, "max chats")
    if retention_days is not None:
        with field_named("retention_days"):
            changes["retention_days"] = checked_retention_days(retention_days)
    return changes


def web_changes(
    *,
    origins: str | None = None,
    lang: str | None = None,
    languages: Collection[str] | None = None,
    visitor_choice: bool | None = None,
    welcome: str | None = None,
    avatar: bytes | None = None,
    clear_avatar: bool = False,
) -> SiteChanges:
    """Validated web settings: origins as typed ("none" clears), a language of `languages` (by
    default the shipped catalogue's), an avatar's bytes (or clear it)."""
    changes = SiteChanges()
    if origins is not None:
        with field_named("origins"):
            changes["origins"] = checked_origins(origins)
    if lang is not None:
        known = shipped_catalogue().languages if languages is None else languages
        with field_named("lang"):
            changes["lang"] = checked_lang(lang, known)
    if visitor_choice is not None:
        changes["visitor_choice"] = visitor_choice
    if welcome is not None:
        with field_named("welcome"):
            changes["welcome"] = checked_welcome(welcome)
    if avatar is not None:
        with field_named("avatar"):
            image = checked_avatar(avatar)
        changes["avatar"], changes["avatar_type"] = image.data, image.content_type
        changes["avatar_etag"] = image.etag
    elif clear_avatar:
        changes["avatar"] = changes["avatar_type"] = changes["avatar_etag"] = None
    return changes


def feedback_changes(
    *, feedback: bool | None = None, feedback_emails: str | None = None
) -> SiteChanges:
    """The feedback form switched on or off; the addresses its feedback is mailed to, as typed
    (separated by commas or spaces; "" or "none": stored, not mailed)."""
    changes = SiteChanges()
    if feedback is not None:
        changes["feedback_form"] = feedback
    if feedback_emails is not None:
        with field_named("feedback_email"):
            changes["feedback_emails"] = checked_feedback_emails(feedback_emails)
    return changes


def site_set_changes(
    normalize_jid: JidNormalizer,
    *,
    name: str | None = None,
    strategy: str | None = None,
    answer_timeout: int | None = None,
    default_operator: str | None = None,
    target_operator: str | None = None,
    max_chats: int | None = None,
    retention_days: int | None = None,
    origins: str | None = None,
    lang: str | None = None,
    languages: Collection[str] | None = None,
    visitor_choice: bool | None = None,
    welcome: str | None = None,
    avatar: bytes | None = None,
    clear_avatar: bool = False,
    feedback: bool | None = None,
    feedback_email: str | None = None,
    operators_see_all: bool | None = None,
) -> SiteChanges:
    """What `site set`'s options ask for (named as the options, `-` -> `_`), validated: the one
    validation the command line and the desk's `settings` form share. InvalidField names the
    option of a bad value; None leaves a setting alone."""
    changes = site_changes(
        normalize_jid,
        name=name,
        strategy=strategy,
        answer_timeout=answer_timeout,
        default_operator=default_operator,
        target_operator=target_operator,
        max_chats=max_chats,
        retention_days=retention_days,
    )
    changes.update(
        web_changes(
            origins=origins,
            lang=lang,
            languages=languages,
            visitor_choice=visitor_choice,
            welcome=welcome,
            avatar=avatar,
            clear_avatar=clear_avatar,
        )
    )
    changes.update(feedback_changes(feedback=feedback, feedback_emails=feedback_email))
    if operators_see_all is not None:
        changes["operators_see_all"] = operators_see_all
    return changes


def new_api_key() -> str:
    """A site API key: 256 random bits, URL-safe text."""
    return secrets.token_urlsafe(32)


def operator_changes(
    *,
    name: str | None = None,
    priority: int | None = None,
    max_chats: int | None = None,
    enabled: bool | None = None,
    admin: bool | None = None,
) -> OperatorChanges:
    """Validated changes from raw input; None leaves a value alone."""
    changes = OperatorChanges()
    if name is not None:
        with field_named("name"):
            changes["name"] = checked_name(name)
    if priority is not None:
        with field_named("priority"):
            changes["priority"] = checked_priority(priority)
    if max_chats is not None:
        with field_named("max_chats"):
            changes["max_chats"] = checked_count(max_chats, "max chats")
    if enabled is not None:
        changes["enabled"] = enabled
    if admin is not None:
        changes["is_admin"] = admin
    return changes


def _not_an_operator(key: str, jid: str, site: Site) -> InvalidField:
    what = key.replace("_", " ")
    return InvalidField(key, f"bad {what} {jid}: not an operator of {site.slug}")


def _optional_jid(value: str, normalize: JidNormalizer) -> str | None:
    return None if value.strip().lower() in CLEAR else checked_jid(value, normalize)


class Admin:
    def __init__(
        self,
        repo: DirectoryRepository,
        normalize_jid: JidNormalizer,
        make_key: Callable[[], str] = new_api_key,
    ) -> None:
        self._repo = repo
        self._normalize_jid = normalize_jid
        self._make_key = make_key

    async def add_site(self, slug: str, name: str) -> Site:
        return await self._repo.add_site(checked_slug(slug), checked_name(name), self._make_key())

    async def show_site(self, slug: str) -> Site:
        """The site with every setting; one made before schema version 3 gets its API key now."""
        site = await self._repo.get_site(checked_slug(slug))
        if site.settings.api_key is not None:
            return site
        await self._repo.set_api_key(site.id, self._make_key(), only_if_none=True)
        return await self._repo.get_site(site.slug)

    async def rotate_key(self, slug: str) -> str:
        """Replace the site's API key; returns the new one."""
        site = await self._repo.get_site(checked_slug(slug))
        key = self._make_key()
        await self._repo.set_api_key(site.id, key)
        return key

    async def list_sites(self) -> list[Site]:
        return await self._repo.list_sites()

    async def add_operator(
        self, slug: str, jid: str, name: str, priority: int, max_chats: int, admin: bool
    ) -> Operator:
        site = await self._repo.get_site(checked_slug(slug))
        with field_named("jid"):
            jid = checked_jid(jid, self._normalize_jid)
        with field_named("name"):
            name = checked_name(name)
        with field_named("priority"):
            priority = checked_priority(priority)
        with field_named("max_chats"):
            max_chats = checked_count(max_chats, "max chats")
        operator = Operator(
            site_id=site.id,
            jid=jid,
            name=name,
            priority=priority,
            max_chats=max_chats,
            is_admin=admin,
        )
        await self._repo.add_operator(operator)
        return operator

    async def list_operators(self, slug: str) -> list[Operator]:
        site = await self._repo.get_site(checked_slug(slug))
        return await self._repo.list_operators(site.id)

    async def remove_operator(
        self, slug: str, jid: str, check: OperatorsCheck | None = None
    ) -> str:
        """Remove the operator; returns the JID as stored. `check`: see update_operator."""
        site = await self._repo.get_site(checked_slug(slug))
        jid = checked_jid(jid, self._normalize_jid)
        try:
            await self._repo.remove_operator(site.id, jid, check)
        except NotFoundError:
            raise NotFoundError(f"{jid} is not an operator of {site.slug}") from None
        return jid

    async def set_site(self, slug: str, changes: SiteChanges) -> Site:
        """Change a site's settings; a default/target operator must be an operator of that site."""
        if not changes:
            raise InvalidInput("nothing to change")
        site = await self._repo.get_site(checked_slug(slug))
        named = {
            key: jid
            for key in ("default_operator", "target_operator")
            if isinstance(jid := changes.get(key), str)
        }
        for key, jid in named.items():
            if await self._repo.find_operator(site.id, jid) is None:
                raise _not_an_operator(key, jid, site)

        def still_operators(operators: list[Operator]) -> None:
            """Decided again as the change is stored: an operator removed meanwhile is not."""
            members = {op.jid for op in operators}
            for key, jid in named.items():
                if jid not in members:
                    raise _not_an_operator(key, jid, site)

        await self._repo.update_site(site.id, changes, still_operators if named else None)
        return await self._repo.get_site(site.slug)

    async def set_operator(
        self,
        slug: str,
        jid: str,
        changes: OperatorChanges,
        check: OperatorsCheck | None = None,
    ) -> Operator:
        """Change an operator; `check` (a rule over the site's operators, such as keeping an
        admin) is decided with their rows locked, in the transaction of the change."""
        if not changes:
            raise InvalidInput("nothing to change")
        site = await self._repo.get_site(checked_slug(slug))
        jid = checked_jid(jid, self._normalize_jid)
        if await self._repo.find_operator(site.id, jid) is None:
            raise NotFoundError(f"{jid} is not an operator of {site.slug}")
        await self._repo.update_operator(site.id, jid, changes, check)
        updated = await self._repo.find_operator(site.id, jid)
        if updated is None:  # removed meanwhile
            raise NotFoundError(f"{jid} is not an operator of {site.slug}")
        return updated
