"""mod_http_api's roster commands over aiohttp: `add_rosteritem`, `delete_rosteritem`,
`get_roster`, each one POST with a total timeout, no proxy from the environment, no redirect.

Every failure (no connection, a timeout, an answer that is not 200 with the command's success
code) is an EjabberdApiError whose text names the command and the reason, never the credentials.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

import aiohttp

from component.config import EjabberdApiConfig
from component.roster_push import RosterApiError
from component.version import helperchat_version

MAX_REASON_CHARS = 200
"""How much of an error answer's body goes into the error's text."""


class EjabberdApiError(RosterApiError):
    """A call to ejabberd's API failed; the text says which and why (without secrets)."""


def _split(jid: str) -> tuple[str, str]:
    """`user@host` -> (user, host); EjabberdApiError for anything else (nothing is sent)."""
    local, at, host = jid.partition("@")
    if not at or not local or not host or "/" in host:
        raise EjabberdApiError(f"not a bare JID: {jid!r}")
    return local, host


class EjabberdApi:
    """One ejabberd's API at `config.url`; a session per call (the CLI makes one or two)."""

    def __init__(self, config: EjabberdApiConfig) -> None:
        if config.url is None:
            raise ValueError("ejabberd_api.url is not set")
        self._url = config.url
        self._timeout = config.timeout
        self._headers = {"User-Agent": f"HelperChat/{helperchat_version()}"}
        if config.token:
            self._headers["Authorization"] = f"Bearer {config.token}"
        elif config.user:
            pair = f"{config.user}:{config.password}".encode()
            self._headers["Authorization"] = f"Basic {base64.b64encode(pair).decode()}"

    @property
    def url(self) -> str:
        return self._url

    async def add_rosteritem(self, owner: str, contact: str, nick: str, group: str) -> None:
        """`contact` in `owner`'s roster with subscription both, named `nick`, in `group`.

        ejabberd up to 23.x takes `group` (a string); the API of 24.02 and later takes `groups`
        (a list) and refuses the old argument, so a refusal naming an argument tries that form.
        """
        user, host = _split(owner)
        other, other_host = _split(contact)
        base = {
            "localuser": user,
            "localhost": host,
            "user": other,
            "host": other_host,
            "nick": nick,
        }
        try:
            await self._command("add_rosteritem", {**base, "group": group, "subs": "both"})
        except _ArgumentsRefused:
            await self._command("add_rosteritem", {**base, "groups": [group], "subs": "both"})

    async def delete_rosteritem(self, owner: str, contact: str) -> None:
        """`contact` out of `owner`'s roster (nothing happens when it is not there)."""
        user, host = _split(owner)
        other, other_host = _split(contact)
        args = {"localuser": user, "localhost": host, "user": other, "host": other_host}
        await self._command("delete_rosteritem", args)

    async def get_roster(self, owner: str) -> list[dict[str, Any]]:
        """`owner`'s roster as ejabberd lists it (jid, nick, subscription, ask, group)."""
        user, host = _split(owner)
        answer = await self._call("get_roster", {"user": user, "host": host})
        if not isinstance(answer, list):
            raise EjabberdApiError(f"get_roster: unexpected answer {_short(answer)}")
        return [item for item in answer if isinstance(item, dict)]

    async def _command(self, command: str, args: Mapping[str, object]) -> None:
        """A command answering a result code: 0 is success."""
        answer = await self._call(command, args)
        if answer != 0:
            raise EjabberdApiError(f"{command}: ejabberd answered {_short(answer)}")

    async def _call(self, command: str, args: Mapping[str, object]) -> object:
        timeout = aiohttp.ClientTimeout(total=self._timeout)
        where = f"{self._url}/{command}"
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout, trust_env=False) as session,
                session.post(
                    where, json=args, headers=self._headers, allow_redirects=False
                ) as response,
            ):
                text = await response.text(errors="replace")
                if response.status != 200:
                    reason = f"{command}: HTTP {response.status} from {where}: {_short(text)}"
                    if response.status == 400 and "argument" in text:
                        raise _ArgumentsRefused(reason)
                    raise EjabberdApiError(reason)
                try:
                    return await response.json(content_type=None)
                except ValueError:
                    raise EjabberdApiError(f"{command}: not JSON: {_short(text)}") from None
        except TimeoutError:
            raise EjabberdApiError(
                f"{command}: {where} did not answer in {self._timeout:g} s"
            ) from None
        except aiohttp.ClientConnectionError as exc:
            raise EjabberdApiError(f"{command}: {where} unreachable: {exc}") from None
        except aiohttp.ClientError as exc:
            raise EjabberdApiError(f"{command}: {where} failed: {exc}") from None


class _ArgumentsRefused(EjabberdApiError):
    """400: the command's arguments are not this ejabberd's (another API version)."""


def _short(value: object) -> str:
    text = value if isinstance(value, str) else repr(value)
    text = " ".join(text.split())
    return text if len(text) <= MAX_REASON_CHARS else text[: MAX_REASON_CHARS - 1] + "…"
