"""The widget in Chromium on a Russian site, over the real stack: the server's own lines (the chat
passed on while nobody is online, the operator closing it) come in Russian like the widget's UI,
its queue place too; a page that asks for English gets the server's lines in English, and one
that asks for a language neither has gets the widget's English and the site's Russian.
Screenshots go to test-artifacts/widget/."""

from __future__ import annotations

import pytest

from component.admin import web_changes
from component.locales import shipped_catalogue
from component.models import Tier
from tests.integration.test_widget import Shop, no_errors, shop, shop_page

pytestmark = pytest.mark.integration
__all__ = ["shop"]  # the fixture, from the widget's own tests

TEXTS = shipped_catalogue()


async def test_a_russian_widget_shows_the_servers_lines_in_russian(shop: Shop) -> None:
    desk = shop.desk
    await desk.admin.set_site("acme", web_changes(lang="ru"))
    await desk.add_operator("acme", desk.user("alice"), "Alice", max_chats=1)
    await desk.start_component()
    alice = await desk.operator_online(desk.user("alice"))
    walt = await desk.client(desk.user("walt"))
    walt.send(desk.desk_jid(), "hello")  # acme.1 takes Alice's only place
    await alice.expect_from(desk.chat_jid(1), "hello")

    shop.server.pages["shop"] = shop_page(shop.api)
    visit = await shop.open()
    await visit.w(".hc-launcher").click()
    await visit.w(".hc-status-text").filter(has_text="Мы на связи").wait_for()
    await visit.w("textarea").fill("Здравствуйте! Где мой заказ?")
    await visit.w("textarea").press("Enter")
    await visit.w(".hc-queue").filter(has_text="Вы 1-й в очереди").wait_for()
    await visit.shot("13-russian-queue")

    alice.send(desk.chat_jid(1), "/close")  # her place frees: acme.2 is hers
    await alice.expect_from(desk.chat_jid(2), "Где мой заказ?")
    await visit.w(".hc-operator").filter(has_text="Alice").wait_for()
    alice.send(desk.chat_jid(2), "/close")
    closed = TEXTS.text("ru", "closed_by_operator")
    await visit.w(".hc-from-system .hc-text-body").filter(has_text=closed).wait_for()
    await visit.w(".hc-ended").filter(has_text="Чат завершён.").wait_for()
    await visit.shot("14-russian-closed")

    await alice.stop()  # nobody online now: the next chat is passed on for later
    await desk.wait_for(lambda: desk.service.presence.tier_of(alice.jid) is Tier.OFFLINE)
    await visit.page.reload()
    await visit.w(".hc-status-text").filter(has_text="Сейчас никого нет").wait_for()
    await visit.w(".hc-new").click()
    await visit.w("textarea").fill("Вы доставляете на Марс?")
    await visit.w("textarea").press("Enter")
    offline = TEXTS.text("ru", "offline")
    await visit.w(".hc-from-system .hc-text-body").filter(has_text=offline).wait_for()
    await visit.shot("15-russian-offline")
    assert await visit.texts(".hc-from-system .hc-text-body") == [offline]  # a new chat
    assert "ответ может занять некоторое время" in offline

    shop.server.pages["english"] = shop_page(shop.api, attrs='data-lang="en"')
    english = await shop.open("english")  # the page asks for English: so does the server
    await english.w(".hc-launcher").click()
    await english.w("textarea").fill("Do you ship to Mars?")
    await english.w("textarea").press("Enter")
    in_english = TEXTS.text("en", "no_operator")  # offline Alice holds one chat: her limit
    await english.w(".hc-from-system .hc-text-body").filter(has_text=in_english).wait_for()
    shop.server.pages["portuguese"] = shop_page(shop.api, attrs='data-lang="pt-BR"')
    portuguese = await shop.open("portuguese")  # neither the widget nor the catalogue has it
    launcher = portuguese.w(".hc-launcher")
    await launcher.wait_for()
    assert await launcher.get_attribute("aria-label") == "Open chat"  # the widget: English
    await launcher.click()
    await portuguese.w("textarea").fill("Olá")
    await portuguese.w("textarea").press("Enter")
    in_russian = TEXTS.text("ru", "no_operator")  # the server: the site's language
    await portuguese.w(".hc-from-system .hc-text-body").filter(has_text=in_russian).wait_for()
    await desk.flush_archive()
    assert await desk.rows("SELECT number, lang FROM chats ORDER BY number") == [
        (1, "en"),  # Walt, an XMPP visitor: his client's stream says English, ejabberd stamps it
        (2, "ru"),
        (3, "ru"),
        (4, "en"),
        (5, "ru"),
    ]
    no_errors(visit, english, portuguese)
