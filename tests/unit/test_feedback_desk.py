"""Feedback at the desk (SPEC §4.2, §6) over fakes: nobody online and the form on, an XMPP
visitor's words become feedback (the chat ends `offline`, the visitor gets the automatic reply in
their language), a web visitor's chat is refused; numbers per site; the mail in the outbox."""

from __future__ import annotations

from dataclasses import replace

import pytest

from component.desk.feedback import REPLY_QUIET_SECONDS
from component.desk.state import PRESENCE_SETTLE_SECONDS
from component.directory import Directory
from component.errors import FeedbackOff, NobodyOnline
from component.feedback import FeedbackForm
from component.locales import shipped_catalogue
from component.models import ChatState, Operator, Sender, VisitorCard, VisitorKind
from component.records import FeedbackLeft, MailQueued
from tests.unit.fakes import ACME, ALICE, BOB, GLOBEX, MALLORY, World, make_world

XMPP, WEB = VisitorKind.XMPP, VisitorKind.WEB
VERA = "vera@x.test"
AUTO_REPLY_EN = "Nobody is online right now, so it has been passed on"
AUTO_REPLY_RU = "Сейчас никого нет на связи, поэтому мы его передали"


def with_form(
    world: World, emails: tuple[str, ...] = (), *, operators: tuple[Operator, ...] | None = None
) -> World:
    settings = replace(ACME.settings, feedback_form=True, feedback_emails=emails)
    globex = replace(GLOBEX, settings=replace(GLOBEX.settings, feedback_form=True))
    chosen = (ALICE, BOB, MALLORY) if operators is None else operators
    world.desk.apply_directory(Directory([replace(ACME, settings=settings), globex], chosen))
    return world


def feedback(world: World) -> list[FeedbackLeft]:
    return [r for r in world.archive.records if isinstance(r, FeedbackLeft)]


def mails(world: World) -> list[MailQueued]:
    return [r for r in world.archive.records if isinstance(r, MailQueued)]


def test_an_xmpp_visitor_writing_while_nobody_is_online_leaves_feedback() -> None:
    world = with_form(make_world())
    message = world.desk.visitor_wrote("acme", VERA, XMPP, "Vera", "Do you ship to Mars?")
    (reply,) = world.out.to(VERA)
    assert reply.sender == world.desk_jid() and AUTO_REPLY_EN in reply.body
    assert world.out.to(ALICE.jid) == world.out.to(BOB.jid) == []  # routed to nobody
    (left,) = feedback(world)
    assert (left.site_id, left.number, left.source, left.text) == (
        1,
        1,
        XMPP,
        "Do you ship to Mars?",
    )
    assert (left.visitor, left.chat_number, left.name) == (VERA, message.chat_number, "Vera")
    ended = world.archive.chats[-1]
    assert (ended.state, ended.number) == (ChatState.OFFLINE, message.chat_number)
    assert "became feedback 1" in ended.route_reason
    assert world.desk.chats.of_visitor(1, VERA) is None
    said = [(m.sender, m.body) for m in world.archive.messages]
    assert said[0] == (Sender.VISITOR, "Do you ship to Mars?") and AUTO_REPLY_EN in said[1][1]
    assert mails(world) == []  # the site has no addresses: stored, not mailed


def test_the_reply_is_in_the_stanzas_language_else_the_sites() -> None:
    world = with_form(make_world())
    world.desk.visitor_wrote("acme", VERA, XMPP, "Vera", "Привет", lang="ru")
    assert AUTO_REPLY_RU in world.out.to(VERA)[0].body
    world.desk.visitor_wrote("acme", "fr@x.test", XMPP, "Fr", "Bonjour", lang="fr")
    assert AUTO_REPLY_EN in world.out.to("fr@x.test")[0].body  # no French: the site's English
    assert [f.lang for f in feedback(world)] == ["ru", "fr"]


def test_further_messages_are_feedback_too_and_the_reply_comes_once_in_a_while() -> None:
    world = with_form(make_world())
    for text in ("Hello", "I need an anvil", "Call me on +1 555 0100"):
        world.desk.visitor_wrote("acme", VERA, XMPP, "Vera", text)
    assert [(f.number, f.text) for f in feedback(world)] == [
        (1, "Hello"),
        (2, "I need an anvil"),
        (3, "Call me on +1 555 0100"),
    ]
    assert len(world.out.to(VERA)) == 1
    world.clock.advance(REPLY_QUIET_SECONDS)
    world.desk.visitor_wrote("acme", VERA, XMPP, "Vera", "Anyone?")
    assert len(world.out.to(VERA)) == 2


def test_with_the_form_off_nobody_online_is_offline_routing_as_before() -> None:
    world = make_world()
    world.desk.visitor_wrote("acme", VERA, XMPP, "Vera", "hello")
    assert world.out.to(VERA)[-1].body == shipped_catalogue().text("en", "offline")
    assert feedback(world) == []
    assert world.desk.chats.of_visitor(1, VERA) is not None  # the chat stays, with Alice


def test_someone_online_takes_the_chat_even_with_the_form_on() -> None:
    world = with_form(make_world())
    world.online(BOB.jid)
    world.desk.visitor_wrote("acme", VERA, XMPP, "Vera", "hello")
    assert world.out.to(BOB.jid) and feedback(world) == []


def test_operators_online_but_busy_queue_the_chat_rather_than_take_feedback() -> None:
    world = with_form(make_world())
    world.online(ALICE.jid, "dnd")
    world.desk.visitor_wrote("acme", VERA, XMPP, "Vera", "hello")
    entry = world.desk.chats.of_visitor(1, VERA)
    assert entry is not None and entry.chat.state is ChatState.QUEUED
    assert feedback(world) == []


def test_a_web_chat_does_not_start_while_nobody_is_online_and_the_form_is_on() -> None:
    world = with_form(make_world())
    with pytest.raises(NobodyOnline):
        world.desk.visitor_wrote("acme", "w1", WEB, "Ann", "hello", card=VisitorCard())
    assert (world.archive.chats, world.archive.messages, world.archive.records) == ([], [], [])
    world.online(ALICE.jid)
    message = world.desk.visitor_wrote("acme", "w1", WEB, "Ann", "hello", card=VisitorCard())
    assert message.chat_number == 1  # the refusal used no chat number


def test_web_feedback_is_numbered_per_site_and_taken_while_someone_is_online() -> None:
    world = with_form(make_world())
    world.online(ALICE.jid)
    form = FeedbackForm(text="Great shop", name="Ann", contact="ann@x.test", email="ann@x.test")
    assert [world.desk.feedback.leave("acme", form) for _ in range(2)] == [1, 2]
    assert world.desk.feedback.leave("globex", form) == 1
    first = feedback(world)[0]
    assert (first.source, first.email, first.visitor, first.chat_number) == (
        WEB,
        "ann@x.test",
        "",
        None,
    )


def test_numbers_continue_from_what_the_database_holds() -> None:
    world = with_form(make_world())
    world.desk.feedback.restore({1: 41, 2: 7})
    assert world.desk.feedback.leave("acme", FeedbackForm(text="x")) == 42
    assert world.desk.feedback.leave("globex", FeedbackForm(text="x")) == 8
    world.desk.visitor_wrote("acme", VERA, XMPP, "Vera", "hello")
    assert feedback(world)[-1].number == 43  # XMPP and web feedback share the site's numbers


def test_feedback_at_a_site_without_the_form_is_refused() -> None:
    world = make_world()
    with pytest.raises(FeedbackOff):
        world.desk.feedback.leave("acme", FeedbackForm(text="x"))
    assert world.archive.records == []


def test_a_site_with_addresses_gets_the_mail_in_the_outbox() -> None:
    world = with_form(make_world(), ("owner@acme.test", "sales@acme.test"))
    form = FeedbackForm(text="Hi", name="Ann", contact="ann@x.test", email="ann@x.test")
    world.desk.feedback.leave("acme", form)
    (mail,) = mails(world)
    assert (mail.mail_key, mail.feedback_number, mail.reply_to) == ("feedback:1:1", 1, "ann@x.test")
    assert mail.recipients == "owner@acme.test,sales@acme.test"
    assert mail.subject == "[Acme Inc.] Feedback from Ann"
    assert mail.message_id.startswith("<feedback.acme.1.") and mail.message_id.endswith(
        "@help.test>"
    )
    assert world.archive.records.index(mail) > world.archive.records.index(feedback(world)[0])


def test_queued_chats_become_feedback_when_the_last_operator_leaves() -> None:
    world = with_form(make_world(), operators=(replace(ALICE, max_chats=1), BOB, MALLORY))
    world.online(ALICE.jid)
    world.desk.visitor_wrote("acme", "w1", WEB, "Ann", "first", card=VisitorCard())
    card = VisitorCard(email="bo@x.test", lang="ru", page="https://shop/cart")
    world.desk.visitor_wrote("acme", "w2", WEB, "Bo", "second", card=card)
    world.desk.visitor_wrote("acme", "w2", WEB, "Bo", "still there?")
    world.offline(ALICE.jid)
    (left,) = feedback(world)
    assert (left.chat_number, left.source, left.email, left.lang) == (2, WEB, "bo@x.test", "ru")
    assert left.text == "second\n\nstill there?" and left.page == "https://shop/cart"
    assert 2 in world.web.ended
    told = [m.body for m in world.web.delivered if m.chat_number == 2]
    assert "мы передали ваше сообщение" in told[-1]


def test_a_chat_written_while_presence_settles_waits_then_becomes_feedback() -> None:
    world = with_form(make_world())
    world.desk.on_disconnected()
    world.desk.on_connected()
    world.desk.visitor_wrote("acme", VERA, XMPP, "Vera", "hello")
    assert feedback(world) == [] and world.out.to(VERA) == []  # held: Alice may come back
    world.clock.advance(PRESENCE_SETTLE_SECONDS)
    world.desk.on_tick()
    assert [f.text for f in feedback(world)] == ["hello"]
    assert AUTO_REPLY_EN in world.out.to(VERA)[0].body


def test_a_site_with_no_operators_at_all_takes_feedback_too() -> None:
    world = with_form(make_world(), operators=(MALLORY,))
    world.desk.visitor_wrote("acme", VERA, XMPP, "Vera", "hello")
    assert [f.text for f in feedback(world)] == ["hello"]
