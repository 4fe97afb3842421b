"""Edges of a web visitor's card over the real stack: values the database must keep as given."""

from __future__ import annotations

import asyncio

import aiohttp

from tests.integration.helpdesk_fixtures import Desk
from tests.integration.test_http import url
from tests.integration.test_routing_e2e import back_and_settled
from tests.integration.test_visitor_api import call

CHATS = "/api/v1/sites/acme/chats"


async def test_a_non_ascii_language_is_a_clear_400_and_starts_nothing(desk: Desk) -> None:
    alice_jid = desk.user("alice")
    await desk.add_operator("acme", alice_jid, "Alice")
    await desk.start_component()
    alice = await desk.operator_online(alice_jid)
    for lang in ("ру", "de\u00e9", "en US"):
        status, body = await call(desk, "POST", CHATS, body={"text": "привет", "lang": lang})
        assert (status, body["error"]["code"]) == (400, "invalid"), (lang, body)
    await alice.expect_nothing()
    await desk.flush_archive()
    assert await desk.rows("SELECT COUNT(*) FROM chats") == [(0,)]
    status, started = await call(desk, "POST", CHATS, body={"text": "hi", "lang": "pt-BR"})
    assert status == 201, started
    header = (await alice.expect_from(desk.chat_jid(1), "New chat acme.1")).body
    assert "\nLanguage: pt-BR\n" in header, header


async def test_the_latest_page_title_survives_a_restart(desk: Desk) -> None:
    alice_jid = desk.user("alice")
    await desk.add_operator("acme", alice_jid, "Alice")
    await desk.start_component()
    alice = await desk.operator_online(alice_jid)
    status, started = await call(desk, "POST", CHATS, body={"text": "hi", "page": "https://s/"})
    assert status == 201, started
    await alice.expect_from(desk.chat_jid(1), "New chat acme.1")
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(url(desk, f"/api/v1/chats/{started['chat']}/live")) as ws,
    ):
        await ws.send_json({"type": "hello", "token": started["token"], "after": 0})
        await ws.send_json({"type": "page", "url": "https://s/cart", "title": "Your cart"})
        await alice.expect_from(desk.chat_jid(1), "Visitor now on /cart — Your cart")
    saved = "SELECT page, page_title FROM web_chats WHERE chat_number = 1"
    for _ in range(200):  # the socket's end saves the latest page
        if await desk.rows(saved) == [("https://s/cart", "Your cart")]:
            break
        await asyncio.sleep(0.05)
    alice.send(desk.chat_jid(1), "/info")
    before = (await alice.expect_from(desk.chat_jid(1), "Chat acme.1 on")).body
    assert "\nPage: https://s/cart (Your cart)\n" in before, before

    await desk.stop_component()
    await desk.start_component()
    await back_and_settled(desk, alice_jid, meanwhile=lambda: None)
    alice.send(desk.chat_jid(1), "/info")
    after = (await alice.expect_from(desk.chat_jid(1), "Chat acme.1 on")).body
    assert "\nPage: https://s/cart (Your cart)\n" in after, after
