"""The widget's feedback form (SPEC §6, §7.2) in Chromium over the real stack: nobody online and
the site's form on, the visitor gets the form instead of the composer, checked in the browser,
sent, thanked; the feedback and its mail are in the database and the mail reaches a real SMTP
server; in Russian too, with the server's refusal shown in Russian. Screenshots go to
test-artifacts/widget/."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from component.admin import feedback_changes, web_changes
from component.config import RateConfig
from devstack.smtp import MailServer
from tests.integration.helpdesk_fixtures import Desk
from tests.integration.test_mail_run import with_smtp
from tests.integration.test_widget import Browser, PageServer, Shop, no_errors, shop_page

pytestmark = pytest.mark.integration


@pytest.fixture
async def shop(desk: Desk, browser: Any) -> AsyncIterator[Shop]:
    """Site acme allowing the shop's origin; the pages' server (as test_widget.py's shop)."""
    server = await PageServer().start()
    await desk.admin.set_site("acme", web_changes(origins=server.origin))
    world = Shop(desk, server, browser)
    try:
        yield world
    finally:
        for visit in world.pages:
            await visit.page.context.close()
        await server.stop()


def expected_refusals(visit: Browser, status: str) -> None:
    """Chromium logs a refused request's status on the console itself: one such line expected."""
    refused = [e for e in visit.errors if f"status of {status}" in e]
    assert len(refused) == 1, visit.errors
    visit.errors.remove(refused[0])


async def form_on(shop: Shop) -> None:
    """acme's form on and mailed to its owner; Alice its operator, who stays offline."""
    desk = shop.desk
    await desk.admin.set_site(
        "acme", feedback_changes(feedback=True, feedback_emails="owner@acme.example")
    )
    await desk.add_operator("acme", desk.user("alice"), "Alice")


@pytest.fixture
async def mail_server() -> AsyncIterator[MailServer]:
    """A real SMTP server (aiosmtpd) the feedback's mail goes to."""
    server = await MailServer().start()
    try:
        yield server
    finally:
        await server.stop()


async def test_nobody_online_the_form_is_checked_sent_and_thanked(
    shop: Shop, mail_server: MailServer
) -> None:
    await form_on(shop)
    desk = shop.desk
    with_smtp(desk, mail_server.port)
    await desk.start_component()
    shop.server.pages["shop"] = shop_page(shop.api)
    visit = await shop.open()
    await visit.w(".hc-launcher").click()
    form = visit.w("form.hc-feedback")
    await form.wait_for()
    assert await visit.w("form.hc-compose").is_hidden()  # a chat would be refused (409)
    assert await visit.w(".hc-fb-title").text_content() == "Leave us a message"
    assert "hc-input" in await visit.focused()  # the first field, ready to fill
    await visit.shot("10-feedback-form")

    await visit.w(".hc-fb-send").click()  # nothing written: said at the field, nothing sent
    text_error = visit.w("#hc-fb-text-error")
    await text_error.filter(has_text="Please write your message.").wait_for()
    assert await visit.w("#hc-fb-text").get_attribute("aria-invalid") == "true"
    await visit.w("#hc-fb-contact").fill("tomorrow")
    await visit.w("#hc-fb-text").fill("Do you ship to Mars?")
    await visit.w(".hc-fb-send").click()
    await visit.w("#hc-fb-contact-error").filter(has_text="e-mail address or a phone").wait_for()
    assert "hc-input" in await visit.focused()
    await visit.shot("10b-feedback-checked")
    await desk.flush_archive()
    assert await desk.rows("SELECT COUNT(*) FROM feedback") == [(0,)]

    await visit.w("#hc-fb-name").fill("Ann")
    await visit.w("#hc-fb-contact").fill("ann@x.example")
    await visit.w("#hc-fb-contact").press("Enter")  # the keyboard sends the form
    thanks = visit.w(".hc-thanks")
    await thanks.filter(has_text="Thank you! Your message has been sent.").wait_for()
    assert "hc-thanks" in await visit.focused()  # a screen reader hears it
    await visit.shot("10c-feedback-thanks")

    await desk.flush_archive()
    ((number, source, name, contact, email, body, page, lang),) = await desk.rows(
        "SELECT number, source, name, contact, email, body, page, lang FROM feedback"
    )
    assert (number, source, name, contact, email, body, lang) == (
        1, "web", "Ann", "ann@x.example", "ann@x.example", "Do you ship to Mars?", "en",
    )  # fmt: skip
    assert page == f"{shop.server.origin}/shop"
    ((recipients, subject, reply_to, message_id, text),) = await desk.rows(
        "SELECT recipients, subject, reply_to, message_id, body_text FROM mail_outbox"
    )
    assert (recipients, subject, reply_to) == (
        "owner@acme.example",
        "[Acme Inc.] Feedback from Ann",
        "ann@x.example",
    )
    assert message_id.startswith("<feedback.acme.1.") and message_id.endswith(f"@{desk.domain}>")
    assert "Do you ship to Mars?" in text
    (mail,) = await mail_server.wait_for(1)  # and it reaches the owner's mailbox
    assert mail.recipients == ("owner@acme.example",)
    headers = mail.message
    assert (headers["Subject"], headers["Reply-To"]) == ("[Acme Inc.] Feedback from Ann", reply_to)
    assert headers["Message-ID"] == message_id

    await visit.w(".hc-thanks button").click()  # another one: the form again, empty
    await form.wait_for()
    assert await visit.w("#hc-fb-text").input_value() == ""
    no_errors(visit)


async def test_the_russian_form_and_the_servers_refusal_in_russian(shop: Shop) -> None:
    await form_on(shop)
    desk = shop.desk
    desk.set_rate_limits(feedback_per_ip=RateConfig(count=1, per_seconds=3600))
    await desk.start_component()
    shop.server.pages["ru"] = shop_page(shop.api, attrs='data-lang="ru"')
    visit = await shop.open("ru")
    await visit.w(".hc-launcher").click()
    await visit.w(".hc-fb-title").filter(has_text="Оставьте нам сообщение").wait_for()
    assert await visit.w("label[for=hc-fb-contact]").text_content() == (
        "E-mail или телефон (необязательно)"
    )
    assert await visit.w(".hc-offline-title").text_content() == "Сейчас никого нет на связи"
    await visit.w("#hc-fb-text").fill("Есть ли доставка на Марс?")
    await visit.w(".hc-fb-send").click()
    await visit.w(".hc-thanks").filter(has_text="Спасибо!").wait_for()
    await visit.shot("10d-feedback-russian")
    await visit.w(".hc-thanks button").click()
    await visit.w("#hc-fb-text").fill("И на Луну?")
    await visit.w(".hc-fb-send").click()  # over feedback_per_ip: the server refuses, in Russian
    refusal = visit.w(".hc-fb-error").filter(has_text="Слишком много сообщений сразу")
    await refusal.wait_for()
    assert await visit.w("#hc-fb-text").input_value() == "И на Луну?"  # kept to send later
    await visit.shot("10e-feedback-refused-russian")
    await desk.flush_archive()
    assert await desk.rows("SELECT body, lang FROM feedback") == [
        ("Есть ли доставка на Марс?", "ru")
    ]
    expected_refusals(visit, "429")
    no_errors(visit)


async def test_a_chat_refused_as_nobody_is_online_any_more_turns_into_the_form(
    shop: Shop,
) -> None:
    await form_on(shop)
    desk = shop.desk
    await desk.start_component()
    alice = await desk.operator_online(desk.user("alice"))
    shop.server.pages["shop"] = shop_page(shop.api)
    visit = await shop.open()
    await visit.w(".hc-launcher").click()
    await visit.w(".hc-status-text").filter(has_text="We're online").wait_for()
    await alice.stop()  # gone before the visitor writes; the widget does not know yet
    acme = desk.service.state.site("acme")
    await desk.wait_for(lambda: not desk.service.state.is_online(acme, desk.user("alice")))
    await desk.wait_for(lambda: desk.service.settled)  # presence known: else the chat waits
    await visit.w("textarea.hc-text").fill("Is anyone there?")
    await visit.w("textarea.hc-text").press("Enter")
    await visit.w("form.hc-feedback").wait_for()  # the 409 `offline`: the form takes over
    assert await visit.w("#hc-fb-text").input_value() == "Is anyone there?"
    await desk.flush_archive()
    assert await desk.rows("SELECT COUNT(*) FROM chats") == [(0,)]  # no chat started
    await visit.w(".hc-fb-send").click()
    await visit.w(".hc-thanks").wait_for()
    expected_refusals(visit, "409")
    no_errors(visit)
