"""What visitors are told, in their language, over the real ejabberd and MariaDB with slixmpp
clients: an XMPP visitor writing with xml:lang="ru" to an English site is answered in Russian and
one without in English; the chat's language is stored with it, its system messages in the words
the visitor got, and a restarted component goes on in it."""

from __future__ import annotations

import pytest

from component.admin import web_changes
from component.locales import shipped_catalogue
from tests.integration.helpdesk_fixtures import Desk

pytestmark = pytest.mark.integration

TEXTS = shipped_catalogue()


async def test_an_xmpp_visitor_writing_in_russian_is_answered_in_russian(desk: Desk) -> None:
    await desk.add_operator("acme", desk.user("alice"), "Alice")  # never online: offline routing
    await desk.start_component()
    vera = await desk.client(desk.user("vera"))
    walt = await desk.client(desk.user("walt"))
    vera.send(desk.desk_jid(), "Здравствуйте, есть доставка?", lang="ru")
    told = await vera.expect_from(desk.desk_jid())
    assert told.body == TEXTS.text("ru", "offline")
    walt.send(desk.desk_jid(), "Hello, do you deliver?", lang="en")
    assert (await walt.expect_from(desk.desk_jid())).body == TEXTS.text("en", "offline")

    await desk.flush_archive()
    assert await desk.rows("SELECT number, lang FROM chats ORDER BY number") == [
        (1, "ru"),
        (2, "en"),
    ]
    system = await desk.rows(
        "SELECT chat_number, body FROM messages WHERE sender = 'system' AND notice = 'text'"
        " ORDER BY chat_number"
    )
    assert system == [(1, told.body), (2, TEXTS.text("en", "offline"))]


async def test_a_restarted_component_goes_on_in_the_chats_language(desk: Desk) -> None:
    alice, bob = desk.user("alice"), desk.user("bob")
    await desk.add_operator("acme", alice, "Alice", priority=10)
    await desk.add_operator("acme", bob, "Bob")
    await desk.start_component()
    vera = await desk.client(desk.user("vera"))
    vera.send(desk.desk_jid(), "Привет!", lang="ru")  # passed on to Alice, who is offline
    assert (await vera.expect_from(desk.desk_jid())).body == TEXTS.text("ru", "offline")

    await desk.stop_component()
    await desk.start_component()
    await desk.operator_online(bob)  # the chat moves to Bob: the visitor is told his name
    moved = await vera.expect_from(desk.desk_jid(), "Bob")
    assert moved.body == "Теперь с вами общается Bob."


async def test_a_russian_site_speaks_russian_to_a_visitor_who_gives_no_language(
    desk: Desk,
) -> None:
    await desk.admin.set_site("acme", web_changes(lang="ru"))
    await desk.start_component()  # no operator at all
    vera = await desk.client(desk.user("vera"))
    vera.send(desk.desk_jid(), "hello", lang="de")  # a language the catalogue lacks
    assert (await vera.expect_from(desk.desk_jid())).body == TEXTS.text("ru", "no_operator")
    vera.send(desk.desk_jid(), " ", lang="de")
    refused = await vera.expect(lambda r: r.type == "error")
    assert (refused.error_condition, refused.error_text) == (
        "bad-request",
        "Сообщение пустое; ничего не отправлено.",
    )
