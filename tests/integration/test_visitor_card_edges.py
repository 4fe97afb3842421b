"""Edges of a web visitor's card over the real stack: values the database must keep as given."""

from __future__ import annotations

import pytest

from tests.integration.helpdesk_fixtures import Desk
from tests.integration.test_visitor_api import call

CHATS = "/api/v1/sites/acme/chats"


@pytest.mark.xfail(strict=True, reason="web_chats.lang is ASCII: a non-ASCII lang is a 500")
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
