"""The README's claim that HelperChat works with Prosody, too: a real chat through a real Prosody.

Same world as the ejabberd tests (tests/integration/helpdesk_fixtures.py's Desk), but the component
and every client connect to the session's Prosody; the archive is checked in MariaDB.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest

from component.models import Tier
from devstack import Prosody
from tests.integration.clients import expect_no_more
from tests.integration.helpdesk_fixtures import Desk, desk_world


@pytest.fixture
async def prosody_desk(prosody: Prosody, mariadb: Any) -> AsyncIterator[Desk]:
    """Schema, site `acme` (Acme Inc.), no operators yet, component not started; XMPP is Prosody."""
    async with desk_world(prosody, mariadb, f"p{secrets.token_hex(3)}") as world:
        yield world


async def test_chat_through_prosody_is_relayed_and_archived(prosody_desk: Desk) -> None:
    desk = prosody_desk
    alice_jid = desk.user("alice")
    await desk.add_operator("acme", alice_jid, "Alice")
    await desk.start_component()

    alice = await desk.client(alice_jid)
    # The desk's request was sent while she was offline: Prosody keeps it pending (a probe before
    # her approval would make Prosody answer `unsubscribed` for her and drop the request).
    await desk.wait_for(
        lambda: any(
            p["type"] == "subscribe" and p["from"].bare == desk.desk_jid() for p in alice.presences
        )
    )
    # alice's client approves and subscribes back; the desk then sees her presence
    await desk.wait_for(lambda: desk.service.presence.tier_of(alice_jid) is Tier.AVAILABLE)

    visitor = await desk.client(desk.user("visitor"))
    visitor.send(desk.desk_jid(), "Hello from Prosody", nick="Vera")
    header = await alice.expect_from(desk.chat_jid(1))
    assert "New chat acme.1 from Vera" in header.body
    assert visitor.jid in header.body and "Acme Inc. (acme)" in header.body
    assert header.body.endswith("Hello from Prosody")
    assert header.nick == "Vera (acme)"

    alice.send(desk.chat_jid(1), "Hi Vera, how can I help?")
    answer = await visitor.expect_from(desk.desk_jid())
    assert answer.body == "Hi Vera, how can I help?"

    visitor.send(desk.desk_jid(), "Just testing")
    assert (await alice.expect_from(desk.chat_jid(1))).body == "Just testing"

    alice.send(desk.chat_jid(1), "/close")
    assert "closed" in (await visitor.expect_from(desk.desk_jid())).body
    assert "acme.1 closed" in (await alice.expect_from(desk.chat_jid(1))).body

    await desk.flush_archive()
    chats = await desk.rows("SELECT number, visitor, visitor_name, state, operator_jid FROM chats")
    assert chats == [(1, visitor.jid, "Vera", "closed", alice_jid)]
    messages = await desk.rows(
        "SELECT seq, sender, body FROM messages WHERE chat_number = 1 ORDER BY seq"
    )
    said = [(sender, body) for _, sender, body in messages]
    assert said[0] == ("visitor", "Hello from Prosody")
    assert ("operator", "Hi Vera, how can I help?") in said
    assert ("visitor", "Just testing") in said
    assert [s for s, _ in said].count("system") >= 2  # assignment and closing notices
    assert [m[0] for m in messages] == list(range(1, len(messages) + 1))
    await expect_no_more(alice, visitor)


async def test_prosody_stores_the_chat_for_an_offline_operator(prosody_desk: Desk) -> None:
    desk = prosody_desk
    alice_jid = desk.user("alice")
    await desk.add_operator("acme", alice_jid, "Alice")
    await desk.start_component()
    visitor = await desk.client(desk.user("visitor"))
    visitor.send(desk.desk_jid(), "first")
    notice = await visitor.expect_from(desk.desk_jid())
    assert "No operator is online right now" in notice.body
    visitor.send(desk.desk_jid(), "second")
    await desk.flush_archive()
    assert await desk.rows("SELECT state, operator_jid FROM chats") == [("assigned", alice_jid)]

    alice = await desk.client(alice_jid)  # Prosody's mod_offline delivers what it stored
    header = await alice.expect_from(desk.chat_jid(1))
    assert header.body.endswith("first")
    assert (await alice.expect_from(desk.chat_jid(1))).body == "second"
    # the desk's subscription request, sent while she was offline, reaches her now too
    await desk.wait_for(lambda: desk.service.presence.tier_of(alice_jid) is Tier.AVAILABLE)
    alice.send(desk.chat_jid(1), "sorry for the wait")
    assert (await visitor.expect_from(desk.desk_jid())).body == "sorry for the wait"
    await expect_no_more(alice, visitor)  # stored messages delivered once, nothing re-announced
