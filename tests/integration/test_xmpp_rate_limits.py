"""XMPP visitors under the visitor rate limits, over the real ejabberd and MariaDB: a flood reaches
the operator only up to the limit and gets policy-violation errors in the visitor's language,
nothing refused is archived, a human pace is never refused, a domain's visitors share its limits,
chats started are limited per JID, per domain and per site (web chats included), and operators are
never limited."""

from __future__ import annotations

import asyncio
import re

from component.admin import web_changes
from component.config import RateConfig
from component.visitor_limits import XMPP_LIMITS
from tests.integration.clients import Client, Received, expect_no_more
from tests.integration.helpdesk_fixtures import Desk
from tests.integration.test_web_tenancy import start as start_web_chat

HOUR = 3600.0
ENGLISH = re.compile(
    r"Too many messages at once; this one was not delivered\. Please send it again in \d+ s\."
)
RUSSIAN = re.compile(
    r"Слишком много сообщений сразу; это сообщение не доставлено\. "
    r"Отправьте его снова через \d+ с\."
)


def per_hour(count: int) -> RateConfig:
    return RateConfig(count=count, per_seconds=HOUR)


def is_refusal(received: Received) -> bool:
    return received.type == "error" and received.error_condition == "policy-violation"


async def visitor_bodies(desk: Desk) -> list[str]:
    await desk.flush_archive()
    rows = await desk.rows(
        "SELECT body FROM messages WHERE sender = 'visitor' ORDER BY chat_number, seq"
    )
    return [row[0] for row in rows]


def refused_count(desk: Desk, name: str) -> float:
    assert desk.app is not None
    prefix = f'helperchat_rate_limited_total{{limit="{name}"}} '
    lines = desk.app.metrics.render().decode().splitlines()
    return next((float(line.removeprefix(prefix)) for line in lines if line.startswith(prefix)), 0)


async def alice_and_acme(desk: Desk) -> tuple[str, Client]:
    """Operator Alice online at acme, the component running."""
    alice_jid = desk.user("alice")
    await desk.add_operator("acme", alice_jid, "Alice")
    await desk.start_component()
    return alice_jid, await desk.operator_online(alice_jid)


async def test_a_burst_reaches_the_operator_only_up_to_the_limit_and_the_rest_is_refused(
    desk: Desk,
) -> None:
    desk.set_rate_limits(messages_per_jid=per_hour(10), messages_per_domain=per_hour(100_000))
    _, alice, visitor = await desk.open_chat()  # "hello" started chat 1
    for n in range(400):
        visitor.send(desk.desk_jid(), f"m{n}")
    for n in range(10):
        await alice.expect_from(desk.chat_jid(1), f"m{n}")
    for _ in range(390):
        refusal = await visitor.expect(is_refusal)
        assert refusal.sender.split("/")[0] == desk.desk_jid()  # from where it was sent
        assert refusal.error_type == "wait"
        assert ENGLISH.fullmatch(refusal.error_text), refusal.error_text
    await expect_no_more(alice, visitor)
    assert await visitor_bodies(desk) == ["hello", *(f"m{n}" for n in range(10))]
    assert refused_count(desk, "messages_per_jid") == 390


async def test_a_visitor_writing_in_russian_is_refused_in_russian_and_others_in_the_sites_language(
    desk: Desk,
) -> None:
    await desk.admin.set_site("acme", web_changes(lang="ru"))
    desk.set_rate_limits(messages_per_jid=per_hour(1))
    await alice_and_acme(desk)
    tags = {"olga": "ru-RU", "eve": "en", "dieter": "de"}
    told = {}
    for name, tag in tags.items():
        visitor = await desk.client(desk.user(name))
        for body in ("hello", "one", "two"):  # a chat, a message, one over the limit
            visitor.send(desk.desk_jid(), f"{name} {body}", lang=tag)
        told[name] = (await visitor.expect(is_refusal)).error_text
    assert RUSSIAN.fullmatch(told["olga"]), told["olga"]
    assert ENGLISH.fullmatch(told["eve"]), told["eve"]
    assert RUSSIAN.fullmatch(told["dieter"]), "German is not spoken here: the site's Russian"
    bodies = await visitor_bodies(desk)
    assert sorted(bodies) == sorted(f"{n} {b}" for n in tags for b in ("hello", "one"))


async def test_a_visitor_at_a_human_pace_is_never_refused(desk: Desk) -> None:
    desk.set_rate_limits(messages_per_jid=RateConfig(count=3, per_seconds=3))
    _, alice, visitor = await desk.open_chat()
    for n in range(10):
        visitor.send(desk.desk_jid(), f"line {n}")
        await alice.expect_from(desk.chat_jid(1), f"line {n}")
        await asyncio.sleep(1.1)
    await expect_no_more(alice, visitor)
    assert refused_count(desk, "messages_per_jid") == 0


async def test_two_visitors_of_one_domain_share_its_limits(desk: Desk) -> None:
    desk.set_rate_limits(
        messages_per_domain=per_hour(4),
        chats_per_domain=per_hour(2),
        messages_per_jid=per_hour(100),
    )
    _, alice = await alice_and_acme(desk)
    vera, vlad, vika = [await desk.client(desk.user(name)) for name in ("vera", "vlad", "vika")]
    vera.send(desk.desk_jid(), "vera starts")
    await alice.expect_from(desk.chat_jid(1), "vera starts")
    vlad.send(desk.desk_jid(), "vlad starts")
    await alice.expect_from(desk.chat_jid(2), "vlad starts")
    vika.send(desk.desk_jid(), "vika starts")  # the domain's third chat
    assert ENGLISH.fullmatch((await vika.expect(is_refusal)).error_text)
    for n in range(2):  # four messages for the domain, two from each
        for visitor, chat in ((vera, 1), (vlad, 2)):
            visitor.send(desk.desk_jid(), f"{n} from {chat}")
            await alice.expect_from(desk.chat_jid(chat), f"{n} from {chat}")
    for visitor in (vera, vlad):  # each far from their own limit, and both refused
        visitor.send(desk.desk_jid(), "one more")
        assert ENGLISH.fullmatch((await visitor.expect(is_refusal)).error_text)
    await expect_no_more(alice, vera, vlad, vika)
    assert refused_count(desk, "chats_per_domain") == 1
    assert refused_count(desk, "messages_per_domain") == 2


async def test_chats_started_per_jid_are_limited_and_a_refused_start_opens_nothing(
    desk: Desk,
) -> None:
    desk.set_rate_limits(chats_per_jid=per_hour(2))
    _, alice, visitor = await desk.open_chat()  # the first chat
    alice.send(desk.chat_jid(1), "/close")
    await visitor.expect_from(desk.desk_jid(), "closed")
    visitor.send(desk.desk_jid(), "second chat")
    await alice.expect_from(desk.chat_jid(2), "second chat")
    alice.send(desk.chat_jid(2), "/close")
    await visitor.expect_from(desk.desk_jid(), "closed")
    visitor.send(desk.desk_jid(), "third chat")
    refusal = await visitor.expect(is_refusal)
    assert ENGLISH.fullmatch(refusal.error_text)
    await alice.expect(lambda r: "closed" in r.body)  # the replies to the two /close
    await alice.expect(lambda r: "closed" in r.body)
    await expect_no_more(alice, visitor)
    assert desk.service.chats.of_visitor(1, visitor.jid) is None
    assert await desk.rows("SELECT COUNT(*) FROM chats") == [(2,)]
    assert refused_count(desk, "chats_per_jid") == 1


async def test_the_sites_ceiling_counts_web_and_xmpp_chats_together(desk: Desk) -> None:
    desk.set_rate_limits(chats_per_site=per_hour(2))
    _, alice = await alice_and_acme(desk)
    await start_web_chat(desk, "acme", "from the widget")
    await alice.expect_from(desk.chat_jid(1), "from the widget")
    vera, vlad = await desk.client(desk.user("vera")), await desk.client(desk.user("vlad"))
    vera.send(desk.desk_jid(), "from a client")
    await alice.expect_from(desk.chat_jid(2), "from a client")
    vlad.send(desk.desk_jid(), "one too many")
    assert ENGLISH.fullmatch((await vlad.expect(is_refusal)).error_text)
    await expect_no_more(alice, vlad)
    assert refused_count(desk, "chats_per_site") == 1


async def test_operators_of_the_site_are_never_limited(desk: Desk) -> None:
    desk.set_rate_limits(**dict.fromkeys(XMPP_LIMITS, per_hour(1)), chats_per_site=per_hour(1))
    alice_jid, alice, visitor = await desk.open_chat()
    for n in range(30):
        alice.send(desk.desk_jid(), "/status")
        alice.send(desk.chat_jid(1), f"answer {n}")
        alice.send_typing(desk.chat_jid(1), "composing")
    for n in range(30):
        await visitor.expect_from(desk.desk_jid(), f"answer {n}")
        await alice.expect_from(desk.desk_jid(), "Open chats")
    for _ in range(30):
        await visitor.expect_signal(desk.desk_jid(), "composing")
    await expect_no_more(alice, visitor)
    assert await desk.rows(
        "SELECT COUNT(*) FROM messages WHERE sender = 'operator' AND author = %s", alice_jid
    ) == [(30,)]
    assert refused_count(desk, "messages_per_jid") == refused_count(desk, "signals_per_jid") == 0


async def test_a_visitors_signals_are_bounded_and_dropped_quietly(desk: Desk) -> None:
    desk.set_rate_limits(signals_per_jid=per_hour(3))
    _, alice, visitor = await desk.open_chat()
    for _ in range(20):
        visitor.send_typing(desk.desk_jid(), "composing")
    for _ in range(3):
        await alice.expect_signal(desk.chat_jid(1), "composing")
    visitor.send(desk.desk_jid(), "words still go")  # their own limit
    await alice.expect_from(desk.chat_jid(1), "words still go")
    await expect_no_more(alice, visitor)  # no error for a signal
    assert alice.signals == []
    assert refused_count(desk, "signals_per_jid") == 17


async def test_signals_from_a_jid_without_a_chat_leave_no_bucket_behind(desk: Desk) -> None:
    _, alice = await alice_and_acme(desk)
    stranger = await desk.client(desk.user("stranger"))
    for _ in range(5):  # any JID on any server can send these, by the million
        stranger.send_typing(desk.desk_jid(), "composing")
    stranger.send(desk.desk_jid(), "hello")  # after the states, on the same stream
    await alice.expect_from(desk.chat_jid(1), "hello")
    assert desk.app is not None
    assert desk.app.limits.keys_held()["signals_per_jid"] == 0  # nothing to limit: dropped
    assert alice.signals == []
