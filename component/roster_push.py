"""The desk put straight into an operator's roster through the XMPP server's API (ejabberd's
mod_http_api), with subscription both: presence flows at once, with no request to accept.

One use case for every path that adds or removes an operator (the command line today). Without
the API, or when it fails, nothing else changes: the desk asks the operator for a subscription as
it always did. Reaches the API through the RosterApi port; must not import any adapter library.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from component.addresses import Addresses
from component.models import Operator, Site

log = logging.getLogger(__name__)


class RosterApiError(Exception):
    """A call to the server's roster API failed; the text says why (never a secret)."""


class RosterApi(Protocol):
    async def add_rosteritem(self, owner: str, contact: str, nick: str, group: str) -> None:
        """`contact` in `owner`'s roster with subscription both; RosterApiError if not."""

    async def delete_rosteritem(self, owner: str, contact: str) -> None:
        """`contact` out of `owner`'s roster; RosterApiError if that failed."""


MarkSubscribed = Callable[[Site, Operator], Awaitable[None]]
"""Store that the operator's presence is the desk's already (as if they had approved it)."""


class RosterPush:
    """Puts a site's desk into its operators' rosters and takes it out; `api` None: not used."""

    def __init__(
        self,
        api: RosterApi | None,
        addresses: Addresses,
        group: str,
        mark_subscribed: MarkSubscribed,
    ) -> None:
        self._api = api
        self._addresses = addresses
        self._group = group
        self._mark_subscribed = mark_subscribed

    @property
    def enabled(self) -> bool:
        return self._api is not None

    async def operator_added(self, site: Site, operator: Operator) -> str | None:
        """The desk (named after the site) into the new operator's roster, then the operator
        stored as subscribed, so the desk probes their presence instead of asking for it.

        Returns a warning (also logged) when the API failed: then the desk asks them, as without
        the API. None when the desk is in their roster, or when there is no API.
        """
        if self._api is None:
            return None
        desk = self._addresses.desk(site.slug)
        try:
            await self._api.add_rosteritem(operator.jid, desk, site.name, self._group)
        except RosterApiError as exc:
            return _warn(
                f"could not put the desk {desk} into {operator.jid}'s roster through ejabberd's"
                f" API ({exc}); the desk will ask them for a subscription instead"
            )
        await self._mark_subscribed(site, operator)
        log.info("the desk %s is in %s's roster (subscription both)", desk, operator.jid)
        return None

    async def operator_removed(self, site: Site, jid: str) -> str | None:
        """The desk out of a removed operator's roster; a warning (logged) when that failed."""
        if self._api is None:
            return None
        desk = self._addresses.desk(site.slug)
        try:
            await self._api.delete_rosteritem(jid, desk)
        except RosterApiError as exc:
            return _warn(
                f"could not take the desk {desk} out of {jid}'s roster through ejabberd's API"
                f" ({exc}); the desk ends both subscriptions itself"
            )
        log.info("the desk %s is out of %s's roster", desk, jid)
        return None


def _warn(text: str) -> str:
    log.warning("%s", text)
    return text
