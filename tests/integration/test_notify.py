"""The notification API over the real stack: `helperchat run`'s HTTP side, ejabberd, MariaDB and
slixmpp operators. A wrong key or another site's is 401 and nobody is told; `online` reaches the
operators online now and `all` the others too, through ejabberd's offline storage (which keeps
`chat` messages and drops `headline`s: the reason for the message type); the same
Idempotency-Key twice, one after the other or at the same moment, sends once; the site's limit
is 429; each notification is a site event in the archive; expired keys are purged."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from component.config import RateConfig
from component.idempotency import CLAIM_STALE_SECONDS, Seen, seen
from component.storage.notify_requests import NotifyRequestRepository
from tests.integration.clients import Client, expect_no_more
from tests.integration.helpdesk_fixtures import Desk

pytestmark = pytest.mark.integration

CART = {"text": "Cart filled: 3 anvils", "url": "https://shop.acme.test/carts/7", "to": "online"}
TOLD = "Cart filled: 3 anvils\nhttps://shop.acme.test/carts/7"


async def api_key(desk: Desk, slug: str = "acme") -> str:
    key = (await desk.admin.show_site(slug)).settings.api_key
    assert key
    return key


class Api:
    """HTTP requests to the running component's notification API."""

    def __init__(self, desk: Desk, session: aiohttp.ClientSession) -> None:
        self.base = f"http://127.0.0.1:{desk.config.http.port}/api/v1/sites"
        self.session = session

    async def notify(
        self, key: str, body: dict[str, str], slug: str = "acme", **headers: str
    ) -> tuple[int, Any, Any]:
        """(status, JSON body, headers) of one notification."""
        auth = {"Authorization": f"Bearer {key}", **headers}
        async with self.session.post(f"{self.base}/{slug}/notify", json=body, headers=auth) as r:
            return r.status, await r.json(), r.headers


@pytest.fixture
async def api(desk: Desk) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        yield Api(desk, session)


async def alice_online(desk: Desk) -> Client:
    """Alice (acme) online, Bob (acme) an operator who is offline, the component running."""
    await desk.add_operator("acme", desk.user("alice"), "Alice", priority=10)
    await desk.add_operator("acme", desk.user("bob"), "Bob")
    await desk.start_component()
    return await desk.operator_online(desk.user("alice"))


async def site_events(desk: Desk) -> list[tuple[Any, ...]]:
    await desk.flush_archive()
    return await desk.rows(
        "SELECT category, body, url, audience, delivered_to FROM site_events ORDER BY id"
    )


async def test_a_wrong_key_or_another_sites_is_401_and_nobody_is_told(desk: Desk, api: Api) -> None:
    await desk.admin.add_site("globex", "Globex")
    alice = await alice_online(desk)
    for key in ("wrong", await api_key(desk, "globex"), ""):
        status, body, headers = await api.notify(key, CART, **{"Idempotency-Key": "k"})
        assert (status, body["error"]["code"]) == (401, "unauthorized")
        assert headers["WWW-Authenticate"] == 'Bearer realm="helperchat"'
    await expect_no_more(alice)
    assert await site_events(desk) == []
    assert await desk.rows("SELECT COUNT(*) FROM notify_requests") == [(0,)]


async def test_online_reaches_who_is_online_and_all_the_others_through_offline_storage(
    desk: Desk, api: Api
) -> None:
    alice, key = await alice_online(desk), await api_key(desk)
    assert (await api.notify(key, CART))[:2] == (202, {"delivered_to": 1})
    told = await alice.expect_from(desk.desk_jid())
    assert (told.body, told.type) == (TOLD, "chat")
    order = {"text": "Order #123 placed", "to": "all"}
    assert (await api.notify(key, order))[:2] == (202, {"delivered_to": 2})
    assert (await alice.expect_from(desk.desk_jid())).body == "Order #123 placed"

    bob = await desk.operator_online(desk.user("bob"))  # ejabberd hands over what it kept
    assert (await bob.expect_from(desk.desk_jid())).body == "Order #123 placed"
    await expect_no_more(alice, bob)  # the `online` one never reached Bob
    assert await site_events(desk) == [
        ("notify", CART["text"], CART["url"], "online", 1),
        ("notify", "Order #123 placed", "", "all", 2),
    ]


async def test_ejabberd_keeps_a_chat_message_for_an_offline_user_but_not_a_headline(
    desk: Desk,
) -> None:
    """Why notifications are `chat` messages: RFC 6121 §5.2.2 lets a server drop a headline for
    an offline user, and ejabberd's mod_offline does, while it stores a `chat` message."""
    olga, sender = desk.user("olga"), await desk.client(desk.user("sender"))
    await desk.register(olga)
    sender.send(olga, "a headline", mtype="headline")
    sender.send(olga, "a chat message", mtype="chat")
    sender.send(olga, "a normal message", mtype="normal")
    await expect_no_more(sender)  # the server took them (an error would have come back)
    inbox = await desk.client(olga)
    kept = [await inbox.expect(), await inbox.expect()]
    assert sorted(r.body for r in kept) == ["a chat message", "a normal message"]
    await expect_no_more(inbox)


async def test_the_same_idempotency_key_twice_sends_once(desk: Desk, api: Api) -> None:
    alice, key = await alice_online(desk), await api_key(desk)
    once = {"Idempotency-Key": "order-123-placed"}
    first = (await api.notify(key, CART, **once))[:2]
    again = (await api.notify(key, CART, **once))[:2]
    assert first == again == (202, {"delivered_to": 1})
    other = await api.notify(key, {**CART, "text": "Cart emptied"}, **once)
    assert (other[0], other[1]["error"]["code"]) == (422, "idempotency_key_reused")
    assert (await alice.expect_from(desk.desk_jid())).body == TOLD
    await expect_no_more(alice)  # one stanza for three requests
    assert len(await site_events(desk)) == 1
    assert await desk.rows("SELECT idempotency_key, answer FROM notify_requests") == [
        ("order-123-placed", '{"delivered_to": 1}')
    ]


async def test_the_same_key_at_the_same_moment_sends_once(desk: Desk, api: Api) -> None:
    alice, key = await alice_online(desk), await api_key(desk)
    same = {"Idempotency-Key": "at-once"}
    answers = await asyncio.gather(*(api.notify(key, CART, **same) for _ in range(8)))
    statuses = sorted(status for status, _, _ in answers)
    assert 202 in statuses and set(statuses) <= {202, 409}  # 409: the first still answering
    assert (await alice.expect_from(desk.desk_jid())).body == TOLD
    await expect_no_more(alice)
    assert len(await site_events(desk)) == 1


async def test_over_the_sites_limit_is_429_and_nothing_is_sent(desk: Desk, api: Api) -> None:
    desk.set_rate_limits(notify_per_site=RateConfig(count=2, per_seconds=3600))
    alice, key = await alice_online(desk), await api_key(desk)
    for n in range(2):
        assert (await api.notify(key, {**CART, "text": f"n{n}"}))[0] == 202
    status, body, headers = await api.notify(key, {**CART, "text": "one too many"})
    assert (status, body["error"]["code"]) == (429, "rate_limited")
    assert int(headers["Retry-After"]) > 0
    assert [(await alice.expect_from(desk.desk_jid())).body for _ in range(2)] == [
        f"n0\n{CART['url']}",
        f"n1\n{CART['url']}",
    ]
    await expect_no_more(alice)
    assert len(await site_events(desk)) == 2


async def test_keys_are_claimed_once_answered_and_purged_in_the_database(desk: Desk) -> None:
    repo = NotifyRequestRepository(desk.db)
    site_id = (await desk.admin.show_site("acme")).id
    now = 1_800_000_000.0
    assert await repo.claim(site_id, "k", "h1", now) is None  # new: this request's
    pending = await repo.claim(site_id, "k", "h1", now + 1)
    assert pending is not None and seen(pending, "h1", now + 1) is Seen.IN_PROGRESS
    mismatch = await repo.claim(site_id, "k", "h2", now + 1)
    assert mismatch is not None and seen(mismatch, "h2", now + 1) is Seen.MISMATCH
    await repo.complete(site_id, "k", '{"delivered_to": 3}')
    replay = await repo.claim(site_id, "k", "h1", now + 2)
    assert replay is not None and (replay.answer, replay.created_at) == ('{"delivered_to": 3}', now)

    assert await repo.claim(site_id, "gone", "h1", now) is None
    await repo.release(site_id, "gone", "h1")  # refused: free again
    assert await repo.claim(site_id, "gone", "h2", now + 1) is None
    assert await repo.claim(site_id, "stale", "h1", now) is None  # never answered
    assert await repo.claim(site_id, "stale", "h1", now + CLAIM_STALE_SECONDS) is None

    assert await repo.purge(now + 30) == 2  # "k" and "gone"; "stale" was taken over at + 60
    assert await desk.rows("SELECT idempotency_key FROM notify_requests") == [("stale",)]


async def test_a_running_helperchat_purges_expired_keys(desk: Desk) -> None:
    site_id = (await desk.admin.show_site("acme")).id
    await desk.db.execute(
        "INSERT INTO notify_requests VALUES (%s, 'old', %s, '{}', '2020-01-01 00:00:00')",
        (site_id, "0" * 64),
    )
    await desk.db.execute(
        "INSERT INTO notify_requests VALUES (%s, 'new', %s, '{}', UTC_TIMESTAMP(6))",
        (site_id, "0" * 64),
    )
    await desk.start_component()

    async def keys() -> list[tuple[Any, ...]]:
        return await desk.rows("SELECT idempotency_key FROM notify_requests")

    for _ in range(300):
        if await keys() == [("new",)]:
            break
        await asyncio.sleep(0.05)
    assert await keys() == [("new",)]
