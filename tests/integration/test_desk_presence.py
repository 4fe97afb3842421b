"""The desk's presence on a real ejabberd: its status follows the queue, and a subscription
request lost because the operator's account did not exist yet is asked again."""

import asyncio

import pytest

from component.desk import roster
from tests.integration.clients import Client
from tests.integration.helpdesk_fixtures import Desk

pytestmark = pytest.mark.integration


async def desk_status(world: Desk, client: Client, text: str) -> None:
    """Wait until `client` receives the desk's available presence with status `text`."""
    await world.wait_for(
        lambda: any(
            p["from"].bare == world.desk_jid() and p["type"] == "available" and p["status"] == text
            for p in client.presences
        )
    )


async def test_operators_see_how_many_visitors_wait_in_the_desks_status(desk: Desk) -> None:
    alice_jid = desk.user("alice")
    await desk.add_operator("acme", alice_jid, "Alice", max_chats=1)
    await desk.start_component()
    alice = await desk.operator_online(alice_jid)
    await desk_status(desk, alice, "No one waiting")
    first, second = await desk.client(desk.user("v1")), await desk.client(desk.user("v2"))
    first.send(desk.desk_jid(), "hello")
    await alice.expect_from(desk.chat_jid(1), "hello")
    second.send(desk.desk_jid(), "me too")
    await desk_status(desk, alice, "1 visitor waiting")
    alice.presences.clear()
    alice.send(desk.chat_jid(1), "/close")
    await alice.expect_from(desk.chat_jid(2), "me too")
    await desk_status(desk, alice, "No one waiting")


async def test_a_request_lost_before_the_account_existed_is_asked_again(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(roster, "REASK_SECONDS", 1.0)
    monkeypatch.setattr(roster, "REASK_SCAN_SECONDS", 0.2)
    pat_jid = desk.user("pat")
    await desk.admin.add_operator("acme", pat_jid, "Pat", 0, 0, admin=False)  # no account yet
    await desk.start_component()  # the desk's request to the missing account is lost
    await asyncio.sleep(0.5)
    pat = await desk.client(pat_jid)  # registers the account, logs in, approves requests
    await desk.wait_for(lambda: any(p["type"] == "subscribe" for p in pat.presences))
    await desk.wait_for(lambda: is_subscribed(desk, pat_jid))
    await desk_status(desk, pat, "No one waiting")


def is_subscribed(desk: Desk, jid: str) -> bool:
    site = desk.service.directory.site("acme")
    operator = None if site is None else desk.service.directory.operator(site.id, jid)
    return operator is not None and operator.subscribed
