"""Webhooks over the real stack: a running HelperChat on ejabberd and MariaDB, slixmpp visitors and
operators, and a real aiohttp receiver checking every signature. Every event of a chat's life,
the operator events debounced, feedback, and what one site's webhooks never see of another's."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from component.models import VisitorKind
from component.records import FeedbackLeft
from component.webhook_events import DEFAULT_EVENTS, EVENTS
from tests.integration.helpdesk_fixtures import Desk
from tests.integration.test_archive_store import acme_id
from tests.integration.webhook_fixtures import add_webhook, deliveries, none_pending, quick_webhooks
from tests.integration.webhook_receiver import Delivery, Receiver

pytestmark = pytest.mark.integration


@pytest.fixture
async def receiver() -> object:
    started = await Receiver().start()
    yield started
    await started.stop()


def assert_genuine(got: list[Delivery], site: str = "acme") -> None:
    """What a careful receiver checks of every delivery."""
    assert got
    for delivery in got:
        assert delivery.signed, delivery
        assert delivery.fresh, delivery
        assert delivery.content_type == "application/json"
        assert delivery.event_header == delivery.event
        assert delivery.delivery_header == delivery.id
        assert list(delivery.body) == ["id", "event", "site", "at", "data"]
        assert delivery.body["site"] == site


async def test_a_chats_life_and_feedback_arrive_signed(desk: Desk, receiver: Receiver) -> None:
    quick_webhooks(desk)
    await add_webhook(desk, receiver, "all", EVENTS)
    await add_webhook(desk, receiver, "defaults", DEFAULT_EVENTS)
    alice_jid, alice, visitor = await desk.open_chat()  # "hello" from the visitor
    alice.send(desk.chat_jid(1), "hi, Alice here")
    await visitor.expect_from(desk.desk_jid(), "hi, Alice here")
    alice.send(desk.chat_jid(1), "/close")
    await visitor.expect_from(desk.desk_jid(), "closed")
    site = await acme_id(desk)
    feedback = FeedbackLeft(site, 1, time.time(), VisitorKind.WEB, "Call me", name="Ann")
    desk.service.state.archive.add_record(feedback)  # as the feedback side appends it
    chat_events = ["chat.started", "chat.assigned", "chat.closed", "feedback.received"]
    await desk.wait_for(lambda: set(chat_events) <= {d.event for d in receiver.of("defaults")})
    await none_pending(desk)  # delivered means received: the receiver answers after recording
    assert_genuine(receiver.got)
    by_event = {d.event: d.body for d in receiver.of("all")}
    assert by_event["chat.started"]["data"]["chat"]["id"] == "acme.1"
    assert by_event["chat.assigned"]["data"]["operator"]["name"] == "Alice"
    assert by_event["chat.closed"]["data"]["state"] == "closed"
    assert by_event["feedback.received"]["data"]["feedback"]["text"] == "Call me"
    texts = [d.body["data"]["text"] for d in receiver.of("all") if d.event == "chat.message"]
    assert sorted(texts) == ["hello", "hi, Alice here"]
    assert "chat.message" not in {d.event for d in receiver.of("defaults")}
    assert alice_jid not in b"".join(d.raw for d in receiver.got).decode()
    ids = [d.id for d in receiver.got]
    assert len(set(ids)) == len(ids)
    assert {(d["id"], d["delivered"]) for d in await deliveries(desk)} == {(i, 1) for i in ids}


async def test_operator_events_are_debounced(desk: Desk, receiver: Receiver) -> None:
    quick_webhooks(desk, operator_debounce=2.0)
    await add_webhook(desk, receiver, "ops", ("operator.online", "operator.offline"))
    alice_jid = desk.user("alice")
    await desk.add_operator("acme", alice_jid, "Alice")
    await desk.start_component()
    alice = await desk.operator_online(alice_jid)
    await desk.wait_for(lambda: len(receiver.of("ops")) == 1)
    alice.xmpp.send_presence(ptype="unavailable")  # a flap: gone and back at once
    alice.xmpp.send_presence()
    await alice.stop()  # really gone
    await desk.wait_for(lambda: len(receiver.of("ops")) >= 2)
    await none_pending(desk)
    events = [(d.event, d.body["data"]["operator"]["name"]) for d in receiver.of("ops")]
    assert events == [("operator.online", "Alice"), ("operator.offline", "Alice")]
    assert_genuine(receiver.of("ops"))


async def test_metrics_tell_the_webhook_backlog_and_deliveries(
    desk: Desk, receiver: Receiver
) -> None:
    quick_webhooks(desk)
    await add_webhook(desk, receiver, "m", ("chat.started",))
    await desk.open_chat()
    await desk.wait_for(lambda: len(receiver.of("m")) == 1)
    url = f"http://127.0.0.1:{desk.config.http.port}/metrics"
    async with aiohttp.ClientSession() as session:
        deadline = time.monotonic() + 15
        text = ""
        while "helperchat_webhook_delivered_total 1.0" not in text:
            assert time.monotonic() < deadline, text
            await asyncio.sleep(0.1)
            async with session.get(url) as answer:
                text = await answer.text()
    assert "helperchat_webhook_backlog_deliveries" in text


async def test_a_site_never_gets_another_sites_events(desk: Desk, receiver: Receiver) -> None:
    quick_webhooks(desk)
    await desk.admin.add_site("globex", "Globex")
    await add_webhook(desk, receiver, "acme", EVENTS, slug="acme")
    await add_webhook(desk, receiver, "globex", EVENTS, slug="globex")
    bob_jid = desk.user("bob")
    await desk.add_operator("globex", bob_jid, "Bob")
    await desk.start_component()
    bob = await desk.operator_online(bob_jid)
    visitor = await desk.client(desk.user("visitor"))
    visitor.send(desk.desk_jid("globex"), "hello globex")
    await bob.expect_from(desk.chat_jid(1, "globex"), "hello globex")
    await desk.wait_for(lambda: {d.event for d in receiver.of("globex")} >= {"chat.assigned"})
    await none_pending(desk)
    assert receiver.of("acme") == []
    assert_genuine(receiver.of("globex"), site="globex")
