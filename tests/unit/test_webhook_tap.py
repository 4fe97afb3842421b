"""Webhook events of a chat's life and of feedback, seen on the desk's archive port (a real desk
over fakes): what each webhook of a site gets, in order, and what never leaves the site."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass

from component.desk.commands import operator_wrote_chat
from component.desk.webhook_tap import ChatEventTap
from component.desk.webhooks import WebhookBook, WebhookEmitter
from component.models import VisitorCard, VisitorKind
from component.records import DeliveryQueued, FeedbackLeft
from component.webhook_events import DEFAULT_EVENTS, EVENTS, WebhookTarget
from tests.unit.fakes import ACME, ALICE, BOB, GLOBEX, MALLORY, FakeArchive, World, make_world

VISITOR = "vera@v.test"


@dataclass
class Hooked:
    world: World
    book: WebhookBook

    def deliveries(self) -> list[DeliveryQueued]:
        return [r for r in self.world.archive.records if isinstance(r, DeliveryQueued)]

    def events(self, site_id: int = ACME.id, number: int = 1) -> list[str]:
        return [
            d.event for d in self.deliveries() if (d.site_id, d.webhook_number) == (site_id, number)
        ]

    def bodies(self, event: str) -> list[dict[str, object]]:
        return [json.loads(d.body) for d in self.deliveries() if d.event == event]


def hooked(*targets: WebhookTarget) -> Hooked:
    book = WebhookBook()
    book.replace(targets or (WebhookTarget(ACME.id, 1, frozenset(DEFAULT_EVENTS)),))
    ids = (f"00000000-0000-4000-8000-{n:012d}" for n in itertools.count(1))
    taps: list[ChatEventTap] = []

    def wrap(archive: FakeArchive) -> ChatEventTap:
        taps.append(ChatEventTap(archive, WebhookEmitter(book, archive, lambda: next(ids))))
        return taps[0]

    world = make_world(wrap_archive=wrap)
    taps[0].attach(world.desk.state)
    return Hooked(world, book)


def xmpp_visitor_writes(world: World, body: str, slug: str = "acme") -> None:
    world.desk.visitor_wrote(slug, VISITOR, VisitorKind.XMPP, "Vera", body)


def test_a_chats_life_gives_started_assigned_and_closed_in_order() -> None:
    hook = hooked()
    hook.world.online(ALICE.jid)
    xmpp_visitor_writes(hook.world, "hello")
    operator_wrote_chat(hook.world.desk, ALICE.jid, "acme", 1, "hi")
    operator_wrote_chat(hook.world.desk, ALICE.jid, "acme", 1, "/close")
    assert hook.events() == ["chat.started", "chat.assigned", "chat.closed"]
    started, assigned, closed = (hook.bodies(e)[0] for e in hook.events())
    chat = {
        "id": "acme.1",
        "number": 1,
        "opened_at": started["at"],
        "visitor": {"kind": "xmpp", "name": "Vera", "jid": VISITOR},
    }
    assert started["data"] == {"chat": chat}
    assert assigned["data"] == {
        "chat": chat,
        "operator": {"id": ALICE.id, "name": "Alice"},
        "operator_online": True,
    }
    assert closed["data"] == {
        "chat": chat,
        "state": "closed",
        "operator": {"id": ALICE.id, "name": "Alice"},
    }


def test_every_delivery_is_the_envelope_with_its_own_id_signed_as_stored() -> None:
    hook = hooked()
    hook.world.online(ALICE.jid)
    xmpp_visitor_writes(hook.world, "hello")
    for delivery in hook.deliveries():
        body = json.loads(delivery.body)
        assert list(body) == ["id", "event", "site", "at", "data"]
        assert (body["id"], body["event"], body["site"]) == (
            delivery.delivery_id,
            delivery.event,
            "acme",
        )
        assert str(body["at"]).endswith("Z")
    assert len({d.delivery_id for d in hook.deliveries()}) == len(hook.deliveries())


def test_messages_go_only_to_webhooks_that_opted_in() -> None:
    hook = hooked(
        WebhookTarget(ACME.id, 1, frozenset(DEFAULT_EVENTS)),
        WebhookTarget(ACME.id, 2, frozenset({"chat.message"})),
    )
    hook.world.online(ALICE.jid)
    xmpp_visitor_writes(hook.world, "hello")
    operator_wrote_chat(hook.world.desk, ALICE.jid, "acme", 1, "hi there")
    assert "chat.message" not in hook.events(number=1)
    assert hook.events(number=2) == ["chat.message", "chat.message"]
    visitor, operator = (b["data"] for b in hook.bodies("chat.message"))
    assert (visitor["seq"], visitor["from"], visitor["text"]) == (1, "visitor", "hello")
    assert "operator" not in visitor
    assert (operator["from"], operator["text"]) == ("operator", "hi there")
    assert operator["operator"] == {"id": ALICE.id, "name": "Alice"}


def test_a_transfer_is_another_assignment_and_nobody_online_says_so() -> None:
    hook = hooked()
    xmpp_visitor_writes(hook.world, "anyone?")  # nobody online: to an offline operator
    (first,) = hook.bodies("chat.assigned")
    assert first["data"]["operator_online"] is False
    hook.world.online(BOB.jid)  # the chat moves to whoever comes online
    moved = hook.bodies("chat.assigned")[-1]
    assert moved["data"]["operator"] == {"id": BOB.id, "name": "Bob"}
    assert moved["data"]["operator_online"] is True


def test_a_web_visitor_is_told_by_what_they_gave_and_the_site_vouched_for() -> None:
    hook = hooked()
    hook.world.online(ALICE.jid)
    card = VisitorCard(
        email="vera@shop.test",
        page="https://shop.test/cart",
        referrer="https://search.test/",
        lang="ru",
        verified=True,
        customer_id="c-42",
    )
    hook.world.desk.visitor_wrote("acme", "web:abc", VisitorKind.WEB, "Vera", "hi", card=card)
    (started,) = hook.bodies("chat.started")
    assert started["data"]["chat"]["visitor"] == {
        "kind": "web",
        "name": "Vera",
        "email": "vera@shop.test",
        "page": "https://shop.test/cart",
        "referrer": "https://search.test/",
        "lang": "ru",
        "verified": True,
        "customer_id": "c-42",
    }
    (assigned,) = hook.bodies("chat.assigned")
    assert assigned["data"]["chat"]["visitor"] == {"kind": "web", "name": "Vera"}


def test_an_unverified_customer_id_is_not_passed_on_and_no_jid_ever_is() -> None:
    hook = hooked(WebhookTarget(ACME.id, 1, frozenset(EVENTS)))
    hook.world.online(ALICE.jid)
    card = VisitorCard(customer_id="claimed", verified=False)
    hook.world.desk.visitor_wrote("acme", "web:abc", VisitorKind.WEB, "Vera", "hi", card=card)
    operator_wrote_chat(hook.world.desk, ALICE.jid, "acme", 1, "hello")
    (started,) = hook.bodies("chat.started")
    assert started["data"]["chat"]["visitor"]["customer_id"] == ""
    assert all(ALICE.jid not in d.body and "web:abc" not in d.body for d in hook.deliveries())


def test_feedback_left_is_feedback_received() -> None:
    hook = hooked()
    feedback = FeedbackLeft(
        ACME.id, 3, 1_800_000_000.5, VisitorKind.XMPP, "call me", name="Vera",
        contact="vera@v.test", email="vera@v.test", visitor=VISITOR, chat_number=4,
    )  # fmt: skip
    hook.world.desk.state.archive.add_record(feedback)
    assert feedback in hook.world.archive.records  # stored as it came
    (received,) = hook.bodies("feedback.received")
    assert received["at"] == "2027-01-15T08:00:00.500000Z"
    assert received["data"] == {
        "feedback": {
            "number": 3,
            "source": "xmpp",
            "name": "Vera",
            "contact": "vera@v.test",
            "email": "vera@v.test",
            "text": "call me",
            "page": "",
            "lang": "",
            "chat": "acme.4",
            "jid": VISITOR,
        }
    }


def test_a_site_gets_only_its_own_events_and_a_site_without_webhooks_none() -> None:
    hook = hooked(
        WebhookTarget(ACME.id, 1, frozenset(EVENTS)),
        WebhookTarget(GLOBEX.id, 1, frozenset(EVENTS)),
    )
    hook.world.online(MALLORY.jid)  # Globex's operator
    xmpp_visitor_writes(hook.world, "to globex", slug="globex")
    assert hook.events(site_id=ACME.id) == []
    assert hook.events(site_id=GLOBEX.id)[:2] == ["chat.started", "chat.message"]
    assert all(json.loads(d.body)["site"] == "globex" for d in hook.deliveries())
    hook.book.replace([])  # both removed
    before = len(hook.deliveries())
    hook.world.online(ALICE.jid)
    xmpp_visitor_writes(hook.world, "to acme")
    assert len(hook.deliveries()) == before


def test_the_archive_gets_everything_first_and_unchanged() -> None:
    hook = hooked()
    plain = make_world()
    for world in (hook.world, plain):
        world.online(ALICE.jid)
        xmpp_visitor_writes(world, "hello")
    assert hook.world.archive.chats == plain.archive.chats
    assert [m.body for m in hook.world.archive.messages] == [m.body for m in plain.archive.messages]
    assert plain.archive.records == []
