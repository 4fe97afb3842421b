"""Every visitor rate limit, web and XMPP, over one set of token buckets (http.rate_limits), and
the limit on what a site's own server may send its operators (notify_per_site).

One object per running HelperChat, used by both adapters, so the site-wide ceiling on chats
started counts both kinds of visitor in one bucket per site. Each check answers the seconds to
wait (0.0: go ahead); a refused one takes no token from any limit and is reported, under the
name of the limit that refused it, to `on_refused` (the metrics). Pure: the clock is passed in;
must not import asyncio, an adapter library or component.config (it reads its settings through
the small protocols below).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import Protocol

from component.ratelimit import Buckets, Rate, acquire, slowest

WEB_LIMITS = (
    "chats_per_ip",
    "chats_per_site",
    "messages_per_ip",
    "messages_per_chat",
    "requests_per_ip",
    "feedback_per_ip",
    "feedback_per_site",
)
"""Keyed by client address, site or chat, at most max_ips keys each (chats_per_site counts the
chats XMPP visitors start too)."""
XMPP_LIMITS = (
    "chats_per_jid",
    "chats_per_domain",
    "messages_per_jid",
    "messages_per_domain",
    "signals_per_jid",
)
"""Keyed by bare JID or domain, which anyone on a federated server can make up by the million; at
most max_jids keys each."""
SITE_LIMITS = ("notify_per_site",)
"""What a site's own server may do (the notification API), keyed by site; at most max_ips keys."""


class RateSetting(Protocol):
    @property
    def count(self) -> int: ...

    @property
    def per_seconds(self) -> float: ...


class LimitSettings(Protocol):
    """What http.rate_limits holds (component.config.RateLimitsConfig)."""

    @property
    def max_ips(self) -> int: ...

    @property
    def max_jids(self) -> int: ...

    def rates(self) -> Mapping[str, RateSetting]: ...


def _count_nothing(limit: str) -> None:
    """The default `on_refused`."""


class VisitorLimits:
    def __init__(
        self,
        settings: LimitSettings,
        clock: Callable[[], float],
        on_refused: Callable[[str], None] = _count_nothing,
    ) -> None:
        """`clock`: monotonic seconds; `on_refused(limit)`: called once per refusal."""
        rates = settings.rates()
        missing = [name for name in (*WEB_LIMITS, *XMPP_LIMITS, *SITE_LIMITS) if name not in rates]
        if missing:
            raise ValueError(f"rate limits missing: {', '.join(missing)}")

        def buckets(name: str, max_keys: int) -> Buckets:
            return Buckets(Rate(rates[name].count, rates[name].per_seconds), max_keys, name)

        self._buckets = {
            name: buckets(name, settings.max_ips) for name in (*WEB_LIMITS, *SITE_LIMITS)
        }
        self._buckets |= {name: buckets(name, settings.max_jids) for name in XMPP_LIMITS}
        self._clock = clock
        self._on_refused = on_refused

    # -- web visitors, by client address (an IPv6 client by its /64: the adapter's key) --------

    def web_request(self, ip: str) -> float:
        """Any request to the visitor API."""
        return self._acquire(("requests_per_ip", ip))

    def web_chat(self, ip: str, site_id: int) -> float:
        """A chat started from the widget or the API."""
        return self._acquire(("chats_per_ip", ip), ("chats_per_site", site_id))

    def web_message(self, ip: str, chat: tuple[int, int]) -> float:
        """A message in an open web chat, `chat` being (site id, number)."""
        return self._acquire(("messages_per_ip", ip), ("messages_per_chat", chat))

    def web_feedback(self, ip: str, site_id: int) -> float:
        """Feedback left through the web form or the API (each one is a mail to the site)."""
        return self._acquire(("feedback_per_ip", ip), ("feedback_per_site", site_id))

    # -- XMPP visitors, by bare JID and its domain ---------------------------------------------

    def xmpp_chat(self, jid: str, domain: str, site_id: int) -> float:
        """A message from a visitor with no open chat at the site: it starts one."""
        return self._acquire(
            ("chats_per_jid", jid), ("chats_per_domain", domain), ("chats_per_site", site_id)
        )

    def xmpp_message(self, jid: str, domain: str) -> float:
        """A message from a visitor into their open chat."""
        return self._acquire(("messages_per_jid", jid), ("messages_per_domain", domain))

    def xmpp_signal(self, jid: str) -> float:
        """A chat state, receipt or marker sent alone."""
        return self._acquire(("signals_per_jid", jid))

    # -- a site's own server -------------------------------------------------------------------

    def site_notify(self, site_id: int) -> float:
        """A notification from the site's server to its operators."""
        return self._acquire(("notify_per_site", site_id))

    def keys_held(self) -> dict[str, int]:
        """How many keys each limit holds a bucket for (each at most its cap)."""
        return {name: len(buckets) for name, buckets in self._buckets.items()}

    def _acquire(self, *limits: tuple[str, Hashable]) -> float:
        now = self._clock()
        keyed = [(self._buckets[name], key) for name, key in limits]
        wait = acquire(keyed, now)
        if wait > 0:
            self._on_refused(slowest(keyed, now).name)
        return wait
