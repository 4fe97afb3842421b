"""Who the web visitor is, over the real stack: signed identities, target visitors, operator
choice, the operator's header and /info (also after a restart), page notes over the WebSocket."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from typing import Any

import aiohttp

from component.admin import site_changes, web_changes
from component.xmpp.jids import normalize_bare_jid
from tests.integration.helpdesk_fixtures import Desk
from tests.integration.test_http import url
from tests.integration.test_routing_e2e import back_and_settled
from tests.integration.test_visitor_api import call

CHATS = "/api/v1/sites/acme/chats"


def signed(claims: dict[str, Any], key: str) -> str:
    """What a site's server does (README): base64url JSON, a dot, hex HMAC-SHA256 of it."""
    data = json.dumps(claims).encode("utf-8")
    payload = base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")
    return payload + "." + hmac.new(key.encode(), payload.encode(), hashlib.sha256).hexdigest()


async def api_key(desk: Desk, slug: str = "acme") -> str:
    key = (await desk.admin.show_site(slug)).settings.api_key
    assert key
    return key


async def two_operators(desk: Desk) -> tuple[str, str]:
    """Alice (priority 10: the strategy's choice) and Bob (priority 0) of acme."""
    alice, bob = desk.user("alice"), desk.user("bob")
    await desk.add_operator("acme", alice, "Alice", priority=10)
    await desk.add_operator("acme", bob, "Bob", priority=0)
    return alice, bob


async def until_reloaded(desk: Desk, check: Any) -> None:
    await desk.wait_for(lambda: bool(check(desk.service.state.site("acme").settings)))


async def test_a_signed_target_visitor_goes_to_the_target_operator_with_a_full_header(
    desk: Desk,
) -> None:
    alice_jid, bob_jid = await two_operators(desk)
    await desk.admin.set_site("acme", site_changes(normalize_bare_jid, target_operator=bob_jid))
    key = await api_key(desk)
    await desk.start_component()
    alice = await desk.operator_online(alice_jid)
    bob = await desk.operator_online(bob_jid)
    identity = signed(
        {"id": "cust-42", "name": "Ann Verified", "email": "ann@shop.test", "target": True}, key
    )
    status, started = await call(
        desk,
        "POST",
        CHATS,
        body={
            "text": "where is my order?",
            "name": "typed name",
            "email": "typed@x.test",
            "page": "https://shop.test/orders?id=7",
            "referrer": "https://mail.test/",
            "lang": "de",
            "identity": identity,
        },
    )
    assert status == 201, started
    assert started["operator"]["name"] == "Bob"
    header = (await bob.expect_from(desk.chat_jid(1), "New chat acme.1 from Ann Verified")).body
    for line in (
        "Identity: verified by the site, customer id cust-42",
        "Target visitor: yes",
        "E-mail: ann@shop.test",
        "Page: https://shop.test/orders?id=7",
        "Referrer: https://mail.test/",
        "Language: de",
    ):
        assert f"\n{line}\n" in header, header
    assert header.endswith("---\nwhere is my order?") and "typed" not in header

    status, plain = await call(desk, "POST", CHATS, body={"text": "just looking"})
    assert status == 201 and plain["operator"]["name"] == "Alice"  # not target: the strategy
    normal = (await alice.expect_from(desk.chat_jid(2), "New chat acme.2")).body
    assert "Identity: not verified" in normal and "Target visitor: no" in normal
    await desk.flush_archive()
    assert await desk.rows(
        "SELECT chat_number, verified, target, customer_id, email FROM web_chats ORDER BY 1"
    ) == [(1, 1, 1, "cust-42", "ann@shop.test"), (2, 0, 0, "", "")]


async def test_a_bad_identity_is_refused_and_creates_nothing(desk: Desk) -> None:
    alice_jid = desk.user("alice")
    await desk.add_operator("acme", alice_jid, "Alice")
    await desk.admin.add_site("globex", "Globex")
    key, globex_key = await api_key(desk), await api_key(desk, "globex")
    await desk.start_component()
    alice = await desk.operator_online(alice_jid)
    good = signed({"id": "c1", "target": True}, key)
    payload, signature = good.split(".")
    forged = signed({"id": "c2", "target": True}, key).split(".")[0]  # another customer
    not_json = "bm90IGpzb24"  # base64url of "not json"
    refused = {
        "a wrong key": signed({"id": "c1"}, "not the key"),
        "site B's key": signed({"id": "c1"}, globex_key),
        "a tampered signature": f"{payload}.{'0' * len(signature)}",
        "a tampered payload": f"{forged}.{signature}",
        "expired": signed({"id": "c1", "exp": 1_000_000_000}, key),
        "not JSON": f"{not_json}.{hmac.new(key.encode(), not_json.encode(), 'sha256').hexdigest()}",
        "a wrong type": signed({"id": "c1", "target": "yes"}, key),
    }
    for why, identity in refused.items():
        status, body = await call(desk, "POST", CHATS, body={"text": "hi", "identity": identity})
        assert (status, body["error"]["code"]) == (400, "invalid_identity"), (why, body)
    status, body = await call(desk, "POST", CHATS, body={"text": "hi", "target": True})
    assert (status, body["error"]["code"]) == (400, "invalid")  # only an identity sets target
    await desk.flush_archive()
    assert await desk.rows("SELECT COUNT(*) FROM chats") == [(0,)]
    assert await desk.rows("SELECT COUNT(*) FROM web_chats") == [(0,)]
    await alice.expect_nothing()

    status, started = await call(desk, "POST", CHATS, body={"text": "hi", "identity": good})
    assert status == 201, started  # the same identity, well signed, is taken
    await alice.expect_from(desk.chat_jid(1), "customer id c1")
    new_key = await desk.admin.rotate_key("acme")
    await until_reloaded(desk, lambda settings: settings.api_key == new_key)
    status, body = await call(desk, "POST", CHATS, body={"text": "again", "identity": good})
    assert (status, body["error"]["code"]) == (400, "invalid_identity")  # the old key is gone
    fresh = signed({"id": "c1"}, new_key)
    status, _ = await call(desk, "POST", CHATS, body={"text": "again", "identity": fresh})
    assert status == 201


async def test_a_visitor_picks_an_operator_only_where_the_site_allows_it(desk: Desk) -> None:
    alice_jid, bob_jid = await two_operators(desk)
    await desk.start_component()
    alice = await desk.operator_online(alice_jid)
    bob = await desk.operator_online(bob_jid)
    bob_id = await id_of(desk, bob_jid)
    status, body = await call(desk, "POST", CHATS, body={"text": "hi", "operator": bob_id})
    assert (status, body["error"]["code"]) == (400, "choice_disabled")

    await desk.admin.set_site("acme", web_changes(visitor_choice=True))
    await until_reloaded(desk, lambda settings: settings.visitor_choice)
    status, info = await call(desk, "GET", "/api/v1/sites/acme")
    listed = {op["name"]: op["id"] for op in info["operators"]}
    assert listed == {"Alice": await id_of(desk, alice_jid), "Bob": bob_id}, info
    assert "@" not in str(info)  # no operator's JID is shown to visitors
    status, body = await call(desk, "POST", CHATS, body={"text": "hi", "operator": bob_id + 1000})
    assert (status, body["error"]["code"]) == (400, "unknown_operator")
    await desk.flush_archive()
    assert await desk.rows("SELECT COUNT(*) FROM chats") == [(0,)]
    await alice.expect_nothing()
    await bob.expect_nothing()

    status, started = await call(
        desk, "POST", CHATS, body={"text": "Bob please", "operator": bob_id}
    )
    assert status == 201 and started["operator"]["name"] == "Bob"
    await bob.expect_from(desk.chat_jid(1), "Bob please")
    status, started = await call(desk, "POST", CHATS, body={"text": "anyone"})
    assert status == 201 and started["operator"]["name"] == "Alice"
    await alice.expect_from(desk.chat_jid(2), "anyone")


async def id_of(desk: Desk, jid: str) -> int:
    """The operator's number in `acme`, as the database gave it."""
    (row,) = await desk.rows("SELECT id FROM operators WHERE site_id = 1 AND jid = %s", jid)
    return int(row[0])


async def test_the_card_survives_a_restart(desk: Desk) -> None:
    alice_jid = desk.user("alice")
    await desk.add_operator("acme", alice_jid, "Alice")
    key = await api_key(desk)
    await desk.start_component()
    alice = await desk.operator_online(alice_jid)
    identity = signed({"id": "c-7", "name": "Ann", "email": "ann@shop.test"}, key)
    body = {"text": "hello", "page": "https://shop.test/cart", "lang": "fr", "identity": identity}
    status, _ = await call(desk, "POST", CHATS, body=body)
    assert status == 201
    await alice.expect_from(desk.chat_jid(1), "customer id c-7")

    await desk.stop_component()
    await desk.start_component()
    await back_and_settled(desk, alice_jid, meanwhile=lambda: None)
    alice.send(desk.chat_jid(1), "/info")
    info = (await alice.expect_from(desk.chat_jid(1), "Chat acme.1 on")).body
    for line in (
        "Identity: verified by the site, customer id c-7",
        "E-mail: ann@shop.test",
        "Page: https://shop.test/cart",
        "Language: fr",
    ):
        assert line in info, info
    answer = await alice.run_command(desk.chat_jid(1), "info")  # the ad-hoc twin of /info
    (note,) = answer["command"]["notes"]
    assert "Identity: verified by the site, customer id c-7" in note[1], note


async def test_page_frames_reach_the_operator_as_rate_limited_notes(desk: Desk) -> None:
    alice_jid = desk.user("alice")
    await desk.add_operator("acme", alice_jid, "Alice")
    await desk.start_component()
    alice = await desk.operator_online(alice_jid)
    status, started = await call(
        desk, "POST", CHATS, body={"text": "hello", "page": "https://shop.test/"}
    )
    assert status == 201
    await alice.expect_from(desk.chat_jid(1), "New chat acme.1")
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(url(desk, f"/api/v1/chats/{started['chat']}/live")) as ws,
    ):
        await ws.send_json({"type": "hello", "token": started["token"], "after": 2})  # 2: operator
        for n in range(1, 11):
            page = {"type": "page", "url": f"https://shop.test/p{n}?step={n}", "title": f"P{n}"}
            await ws.send_json(page)
        await ws.send_json({"type": "page", "url": 5})  # a bad frame: an error, socket open
        error = await ws.receive_json(timeout=10)
        assert error["type"] == "error" and error["error"]["code"] == "invalid"
        note = await alice.expect_from(desk.chat_jid(1), "Visitor now on", timeout=30)
        assert note.body == "Visitor now on /p10?step=10 — P10"  # the latest page of the burst
        await alice.expect_no_more()  # ten frames, one note
        alice.send(desk.chat_jid(1), "/info")
        info = (await alice.expect_from(desk.chat_jid(1), "Chat acme.1 on")).body
        assert "Page: https://shop.test/p10?step=10 (P10)" in info
    saved = "SELECT page FROM web_chats WHERE chat_number = 1"
    for _ in range(200):  # the socket's end saves the latest page, for the card after a restart
        if await desk.rows(saved) == [("https://shop.test/p10?step=10",)]:
            break
        await asyncio.sleep(0.05)
    assert await desk.rows(saved) == [("https://shop.test/p10?step=10",)]
    await desk.flush_archive()
    archived = await desk.rows("SELECT body FROM messages WHERE body LIKE '%%now on%%'")
    assert archived == []  # a note for the operator, not a line of the conversation
