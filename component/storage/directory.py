"""Sites and operators: the repository behind `helperchat site|operator` and settings reload."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, TypedDict

import pymysql

from component.models import Operator, Site, SiteSettings, Strategy
from component.site_web import Avatar
from component.storage.database import Database, Row, StorageError, from_db_time, to_db_time

_SITE_COLUMNS = (
    "id, slug, name, strategy, answer_timeout, default_operator, target_operator, max_chats,"
    " origins, lang, visitor_choice, welcome, avatar_type, avatar_etag, api_key, feedback_form,"
    " feedback_emails, operators_see_all, retention_days"
)
_OPERATOR_COLUMNS = (
    "site_id, jid, name, priority, max_chats, is_admin, enabled, paused, subscribed_at,"
    " last_assigned_at, id"
)


class SiteChanges(TypedDict, total=False):
    """Site settings `update_site` may change; keys left out stay as they are."""

    name: str
    strategy: Strategy
    answer_timeout: int
    default_operator: str | None
    target_operator: str | None
    max_chats: int
    origins: tuple[str, ...]
    lang: str
    visitor_choice: bool
    welcome: str
    avatar: bytes | None
    avatar_type: str | None
    avatar_etag: str | None
    feedback_form: bool
    feedback_emails: tuple[str, ...]
    operators_see_all: bool
    retention_days: int


class OperatorChanges(TypedDict, total=False):
    """Operator values `update_operator` may change; keys left out stay as they are."""

    name: str
    priority: int
    max_chats: int
    enabled: bool
    is_admin: bool


# Change key -> column: the only column names an UPDATE is built from (never from the caller).
_SITE_SETTABLE = {
    "name": "name",
    "strategy": "strategy",
    "answer_timeout": "answer_timeout",
    "default_operator": "default_operator",
    "target_operator": "target_operator",
    "max_chats": "max_chats",
    "origins": "origins",
    "lang": "lang",
    "visitor_choice": "visitor_choice",
    "welcome": "welcome",
    "avatar": "avatar",
    "avatar_type": "avatar_type",
    "avatar_etag": "avatar_etag",
    "feedback_form": "feedback_form",
    "feedback_emails": "feedback_emails",
    "operators_see_all": "operators_see_all",
    "retention_days": "retention_days",
}
_OPERATOR_SETTABLE = {
    "name": "name",
    "priority": "priority",
    "max_chats": "max_chats",
    "enabled": "enabled",
    "is_admin": "is_admin",
}


OperatorsCheck = Callable[[list[Operator]], None]
"""A rule over a site's operators as they are, checked with their rows locked before a change
is made in the same transaction (it raises to refuse: nothing is changed)."""


class DuplicateError(StorageError):
    """The row exists already (a site slug, an operator of a site)."""


class NotFoundError(StorageError):
    """No such site or operator."""


class DirectoryRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add_site(self, slug: str, name: str, api_key: str | None = None) -> Site:
        try:
            await self._db.execute(
                "INSERT INTO sites (slug, name, api_key, created_at) VALUES (%s, %s, %s, %s)",
                (slug, name, api_key, to_db_time(time.time())),
            )
        except StorageError as exc:
            if isinstance(exc.__cause__, pymysql.err.IntegrityError):
                raise DuplicateError(f"site {slug!r} exists already") from exc
            raise
        return await self.get_site(slug)

    async def get_site(self, slug: str) -> Site:
        rows = await self._db.fetch_all(
            f"SELECT {_SITE_COLUMNS} FROM sites WHERE slug = %s", (slug,)
        )
        if not rows:
            raise NotFoundError(f"no site {slug!r}")
        return _site(rows[0])

    async def list_sites(self) -> list[Site]:
        rows = await self._db.fetch_all(f"SELECT {_SITE_COLUMNS} FROM sites ORDER BY slug")
        return [_site(row) for row in rows]

    async def update_site(
        self, site_id: int, changes: SiteChanges, check: OperatorsCheck | None = None
    ) -> None:
        """Change the given settings of one site in a single UPDATE; with `check`, only if the
        site's operators, read locked in the same transaction, pass it."""
        assignments, values = _set_clause(_SITE_SETTABLE, changes)

        async def update(cursor: Any) -> None:
            if check is not None:
                await _check_locked(cursor, site_id, check)
            await cursor.execute(
                f"UPDATE sites SET {assignments} WHERE id = %s", (*values, site_id)
            )

        await self._db.in_transaction(update)

    async def get_avatar(self, site_id: int) -> Avatar | None:
        """The site's avatar image as stored (bytes, type, ETag); None when it has none."""
        rows = await self._db.fetch_all(
            "SELECT avatar, avatar_type, avatar_etag FROM sites"
            " WHERE id = %s AND avatar IS NOT NULL",
            (site_id,),
        )
        if not rows:
            return None
        data, content_type, etag = rows[0]
        return Avatar(bytes(data), str(content_type), str(etag))

    async def set_api_key(self, site_id: int, api_key: str, *, only_if_none: bool = False) -> None:
        """Store a new API key; with only_if_none, only for a site that has none yet."""
        unset = " AND api_key IS NULL" if only_if_none else ""
        await self._db.execute(
            f"UPDATE sites SET api_key = %s WHERE id = %s{unset}", (api_key, site_id)
        )

    async def add_operator(self, operator: Operator) -> None:
        try:
            await self._db.execute(
                "INSERT INTO operators (site_id, jid, name, priority, max_chats, is_admin, enabled,"
                " created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    operator.site_id,
                    operator.jid,
                    operator.name,
                    operator.priority,
                    operator.max_chats,
                    operator.is_admin,
                    operator.enabled,
                    to_db_time(time.time()),
                ),
            )
        except StorageError as exc:
            if isinstance(exc.__cause__, pymysql.err.IntegrityError):
                raise DuplicateError(f"{operator.jid} is an operator of this site already") from exc
            raise

    async def list_operators(self, site_id: int | None = None) -> list[Operator]:
        where, args = ("WHERE site_id = %s", (site_id,)) if site_id is not None else ("", ())
        rows = await self._db.fetch_all(
            f"SELECT {_OPERATOR_COLUMNS} FROM operators {where}"
            " ORDER BY site_id, priority DESC, jid",
            args,
        )
        return [_operator(row) for row in rows]

    async def find_operator(self, site_id: int, jid: str) -> Operator | None:
        rows = await self._db.fetch_all(
            f"SELECT {_OPERATOR_COLUMNS} FROM operators WHERE site_id = %s AND jid = %s",
            (site_id, jid),
        )
        return _operator(rows[0]) if rows else None

    async def update_operator(
        self,
        site_id: int,
        jid: str,
        changes: OperatorChanges,
        check: OperatorsCheck | None = None,
    ) -> None:
        """Change the given values of one operator of one site in a single UPDATE; with `check`,
        only if the site's operators, read locked in the same transaction, pass it."""
        assignments, values = _set_clause(_OPERATOR_SETTABLE, changes)

        async def update(cursor: Any) -> None:
            if check is not None:
                await _check_locked(cursor, site_id, check)
            await cursor.execute(
                f"UPDATE operators SET {assignments} WHERE site_id = %s AND jid = %s",
                (*values, site_id, jid),
            )

        await self._db.in_transaction(update)

    async def mark_subscribed(self, site_id: int, jid: str, at: float) -> None:
        """The operator's presence is the desk's since `at` (their roster has the desk with
        subscription both); nothing when they already approved it earlier."""
        await self._db.execute(
            "UPDATE operators SET subscribed_at = COALESCE(subscribed_at, %s)"
            " WHERE site_id = %s AND jid = %s",
            (to_db_time(at), site_id, jid),
        )

    async def remove_operator(
        self, site_id: int, jid: str, check: OperatorsCheck | None = None
    ) -> None:
        """Remove the membership and, in the same transaction, the site's references to it; with
        `check`, only if the site's operators, read locked in that transaction, pass it."""

        async def remove(cursor: Any) -> None:
            if check is not None:
                await _check_locked(cursor, site_id, check)
            removed = await cursor.execute(
                "DELETE FROM operators WHERE site_id = %s AND jid = %s", (site_id, jid)
            )
            if not removed:
                raise NotFoundError(f"{jid} is not an operator of this site")
            for column in ("default_operator", "target_operator"):
                await cursor.execute(
                    f"UPDATE sites SET {column} = NULL WHERE id = %s AND {column} = %s",
                    (site_id, jid),
                )

        await self._db.in_transaction(remove)


async def _check_locked(cursor: Any, site_id: int, check: OperatorsCheck) -> None:
    """The site's operators read with their rows locked until the transaction ends (a second
    change of the same site waits here, then reads what the first one left), given to `check`."""
    await cursor.execute(
        f"SELECT {_OPERATOR_COLUMNS} FROM operators WHERE site_id = %s ORDER BY jid FOR UPDATE",
        (site_id,),
    )
    check([_operator(row) for row in await cursor.fetchall()])


def _set_clause(
    settable: Mapping[str, str], changes: Mapping[str, object]
) -> tuple[str, list[object]]:
    """`col = %s, ...` and its values; columns come from `settable` only.

    Bytes go as hex text into `UNHEX(%s)`: aiomysql 0.3 cannot escape a bytes parameter under
    PyMySQL >= 1.1 (its `escape_bytes_prefixed` import is a placeholder string there).
    """
    unknown = set(changes) - set(settable)
    if unknown or not changes:
        raise ValueError(f"nothing to update or not settable: {sorted(unknown)}")
    values = [_db_value(value) for value in changes.values()]
    assignments = [
        f"{settable[key]} = {'UNHEX(%s)' if isinstance(value, bytes) else '%s'}"
        for key, value in changes.items()
    ]
    return ", ".join(assignments), [v.hex() if isinstance(v, bytes) else v for v in values]


def _db_value(value: object) -> object:
    """Enums as their text, origins and feedback addresses one per line; the rest as it is."""
    if isinstance(value, Strategy):
        return str(value)
    if isinstance(value, tuple):
        return "\n".join(value)
    return value


def _site(row: Row) -> Site:
    settings = SiteSettings(
        strategy=Strategy(row[3]),
        answer_timeout=float(row[4]),
        default_operator=row[5],
        target_operator=row[6],
        max_chats=int(row[7]),
        origins=tuple(row[8].split("\n")) if row[8] else (),
        lang=row[9],
        visitor_choice=bool(row[10]),
        welcome=row[11],
        avatar_type=row[12],
        avatar_etag=row[13],
        api_key=row[14],
        feedback_form=bool(row[15]),
        feedback_emails=tuple(row[16].split("\n")) if row[16] else (),
        operators_see_all=bool(row[17]),
        retention_days=int(row[18]),
    )
    return Site(id=int(row[0]), slug=row[1], name=row[2], settings=settings)


def _operator(row: Row) -> Operator:
    return Operator(
        site_id=int(row[0]),
        jid=row[1],
        name=row[2],
        priority=int(row[3]),
        max_chats=int(row[4]),
        is_admin=bool(row[5]),
        enabled=bool(row[6]),
        paused=bool(row[7]),
        subscribed=row[8] is not None,
        last_assigned_at=from_db_time(row[9]),
        id=int(row[10]),
    )
