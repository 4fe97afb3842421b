"""The visitor limits (component.visitor_limits): web and XMPP visitors over one set of buckets,
refusals named by their limit, bounded memory; and the language a refusal is told in."""

from __future__ import annotations

import dataclasses

import pytest

from component.config import RateConfig, RateLimitsConfig
from component.visitor_limits import SITE_LIMITS, WEB_LIMITS, XMPP_LIMITS, VisitorLimits
from tests.unit.fakes import Clock

SITE = 1


def limits(refused: list[str] | None = None, **rates: RateConfig) -> VisitorLimits:
    """VisitorLimits over RateLimitsConfig(**rates), its clock standing still; `refused` collects
    the names of the limits that refused."""
    sink = refused if refused is not None else []
    return VisitorLimits(RateLimitsConfig(**rates), Clock(), sink.append)


def one_per_hour() -> RateConfig:
    return RateConfig(count=1, per_seconds=3600)


def test_every_rate_of_the_configuration_is_a_limit_and_the_other_way_round() -> None:
    assert set(RateLimitsConfig().rates()) == {*WEB_LIMITS, *XMPP_LIMITS, *SITE_LIMITS}


def test_web_and_xmpp_chats_share_the_site_ceiling() -> None:
    refused: list[str] = []
    shared = limits(refused, chats_per_site=RateConfig(count=2, per_seconds=3600))
    assert shared.web_chat("192.0.2.1", SITE) == 0.0
    assert shared.xmpp_chat("vera@v.test", "v.test", SITE) == 0.0
    assert shared.xmpp_chat("olga@o.test", "o.test", SITE) == pytest.approx(1800)
    assert shared.web_chat("192.0.2.2", SITE) > 0
    assert shared.xmpp_chat("olga@o.test", "o.test", SITE + 1) == 0.0, "another site is apart"
    assert refused == ["chats_per_site", "chats_per_site"]


def test_chats_per_jid_and_per_domain() -> None:
    refused: list[str] = []
    xmpp = limits(
        refused,
        chats_per_jid=one_per_hour(),
        chats_per_domain=RateConfig(count=2, per_seconds=3600),
    )
    assert xmpp.xmpp_chat("vera@v.test", "v.test", SITE) == 0.0
    assert xmpp.xmpp_chat("vera@v.test", "v.test", SITE) > 0  # her own second chat
    assert xmpp.xmpp_chat("vlad@v.test", "v.test", SITE) == 0.0  # another JID of the domain
    assert xmpp.xmpp_chat("vika@v.test", "v.test", SITE) > 0  # the domain's third
    assert xmpp.xmpp_chat("olga@o.test", "o.test", SITE) == 0.0  # another domain
    assert refused == ["chats_per_jid", "chats_per_domain"]


def test_messages_per_jid_and_per_domain_are_apart_from_chats() -> None:
    refused: list[str] = []
    xmpp = limits(refused, messages_per_jid=RateConfig(count=2, per_seconds=60))
    assert xmpp.xmpp_chat("vera@v.test", "v.test", SITE) == 0.0  # a start takes no message token
    assert [xmpp.xmpp_message("vera@v.test", "v.test") for _ in range(2)] == [0.0, 0.0]
    assert xmpp.xmpp_message("vera@v.test", "v.test") == pytest.approx(30)
    assert xmpp.xmpp_message("vlad@v.test", "v.test") == 0.0
    domain = limits(messages_per_domain=RateConfig(count=2, per_seconds=60))
    assert domain.xmpp_message("vera@v.test", "v.test") == 0.0
    assert domain.xmpp_message("vlad@v.test", "v.test") == 0.0
    assert domain.xmpp_message("vika@v.test", "v.test") > 0
    assert refused == ["messages_per_jid"]


def test_a_refused_chat_takes_no_token_from_the_other_limits() -> None:
    xmpp = limits(chats_per_jid=one_per_hour(), chats_per_site=RateConfig(count=2, per_seconds=60))
    assert xmpp.xmpp_chat("vera@v.test", "v.test", SITE) == 0.0
    for _ in range(50):
        assert xmpp.xmpp_chat("vera@v.test", "v.test", SITE) > 0
    assert xmpp.xmpp_chat("olga@o.test", "o.test", SITE) == 0.0  # the site's second token is left


def test_the_limit_named_is_the_one_that_decides_the_wait() -> None:
    refused: list[str] = []
    xmpp = limits(
        refused,
        messages_per_jid=RateConfig(count=1, per_seconds=10),
        messages_per_domain=RateConfig(count=1, per_seconds=100),
    )
    assert xmpp.xmpp_message("vera@v.test", "v.test") == 0.0
    assert xmpp.xmpp_message("vera@v.test", "v.test") == pytest.approx(100)
    assert refused == ["messages_per_domain"]


def test_signals_have_their_own_bucket_per_jid() -> None:
    refused: list[str] = []
    xmpp = limits(refused, signals_per_jid=RateConfig(count=3, per_seconds=60))
    assert [xmpp.xmpp_signal("vera@v.test") for _ in range(4)][-1] > 0
    assert xmpp.xmpp_signal("vlad@v.test") == 0.0
    assert xmpp.xmpp_message("vera@v.test", "v.test") == 0.0
    assert refused == ["signals_per_jid"]


def test_web_limits_are_named_too() -> None:
    refused: list[str] = []
    web = limits(refused, requests_per_ip=one_per_hour(), messages_per_chat=one_per_hour())
    assert web.web_request("192.0.2.1") == 0.0
    assert web.web_request("192.0.2.1") > 0
    assert web.web_message("192.0.2.1", (SITE, 1)) == 0.0
    assert web.web_message("192.0.2.2", (SITE, 1)) > 0
    assert refused == ["requests_per_ip", "messages_per_chat"]


def test_a_limit_missing_from_the_settings_is_an_error() -> None:
    class Partial:
        max_ips = max_jids = 10

        def rates(self) -> dict[str, RateConfig]:
            rates = RateLimitsConfig().rates()
            del rates["signals_per_jid"]
            return rates

    with pytest.raises(ValueError, match="signals_per_jid"):
        VisitorLimits(Partial(), Clock())


def test_a_million_strangers_cost_bounded_memory_and_idle_buckets_are_swept() -> None:
    cap, clock = 1000, Clock()
    unlimited_site = RateConfig(count=10**9, per_seconds=1)  # so every stranger takes tokens
    config = dataclasses.replace(
        RateLimitsConfig(), chats_per_site=unlimited_site, max_jids=cap, max_ips=cap
    )
    xmpp = VisitorLimits(config, clock)
    for n in range(200_000):
        jid, domain = f"s{n}@d{n}.test", f"d{n}.test"
        assert xmpp.xmpp_chat(jid, domain, SITE) == 0.0
        assert xmpp.xmpp_message(jid, domain) == 0.0
        assert xmpp.xmpp_signal(jid) == 0.0
    held = xmpp.keys_held()
    by_jid = ("chats_per_jid", "chats_per_domain", "messages_per_jid", "messages_per_domain")
    assert {name: held[name] for name in (*by_jid, "signals_per_jid")} == dict.fromkeys(
        (*by_jid, "signals_per_jid"), cap
    )
    assert held["chats_per_site"] == 1
    clock.advance(601)  # every bucket is full again: the next check on each path sweeps them
    xmpp.xmpp_chat("late@l.test", "l.test", SITE)
    xmpp.xmpp_message("late@l.test", "l.test")
    xmpp.xmpp_signal("late@l.test")
    assert set(xmpp.keys_held().values()) <= {0, 1}


# --- the language a refusal is told in -------------------------------------------------------


def test_a_sites_notifications_are_limited_per_site_and_counted_by_name() -> None:
    refused: list[str] = []
    notify = limits(refused, notify_per_site=RateConfig(count=2, per_seconds=60))
    assert [notify.site_notify(SITE) for _ in range(2)] == [0.0, 0.0]
    assert notify.site_notify(SITE) == pytest.approx(30.0)
    assert notify.site_notify(SITE + 1) == 0.0  # another site has its own allowance
    assert notify.web_chat("192.0.2.1", SITE) == 0.0  # and visitors are not held back by it
    assert refused == ["notify_per_site"]
