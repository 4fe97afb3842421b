"""Feedback over the real stack (ejabberd, MariaDB, slixmpp clients, HelperChat's HTTP side):
an XMPP visitor writing while nobody is online gets the automatic reply in their language and
leaves feedback; operators coming online get each open feedback once, delay-stamped; numbers and
reminders survive a restart; sites never see each other's feedback; hostile input stays text."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest

from component.admin import feedback_changes, web_changes
from component.storage.database import from_db_time
from tests.integration.clients import expect_no_more
from tests.integration.helpdesk_fixtures import Desk
from tests.integration.test_http import url
from tests.integration.test_visitor_api import call

pytestmark = pytest.mark.integration

FEEDBACK = "/api/v1/sites/{slug}/feedback"
AUTO_REPLY_EN = "Nobody is online right now, so it has been passed on"
AUTO_REPLY_RU = "Сейчас никого нет на связи, поэтому мы его передали"


async def with_form(desk: Desk, slug: str = "acme", emails: str = "owner@acme.example") -> None:
    await desk.admin.set_site(slug, feedback_changes(feedback=True, feedback_emails=emails))


async def leave(desk: Desk, text: str, slug: str = "acme", **fields: str) -> int:
    status, body = await call(
        desk, "POST", FEEDBACK.format(slug=slug), body={"text": text, **fields}
    )
    assert status == 201, body
    return int(body["feedback"])


def stamp_of(left_at: Any) -> str:
    """What the component writes as the XEP-0203 stamp of a stored DATETIME(6)."""
    at = from_db_time(left_at)
    assert at is not None
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def test_an_xmpp_visitor_with_nobody_online_gets_the_reply_and_leaves_feedback(
    desk: Desk,
) -> None:
    await with_form(desk)
    await desk.add_operator("acme", desk.user("alice"), "Alice")  # never comes online
    await desk.start_component()
    vera = await desk.client(desk.user("vera"))
    vera.send(desk.desk_jid(), "Do you ship to Mars?", nick="Vera")
    reply = await vera.expect_from(desk.desk_jid(), AUTO_REPLY_EN)
    assert reply.type == "chat"
    ivan = await desk.client(desk.user("ivan"))
    ivan.send(desk.desk_jid(), "Вы доставляете на Марс?", lang="ru")
    await ivan.expect_from(desk.desk_jid(), AUTO_REPLY_RU)
    await desk.flush_archive()
    rows = await desk.rows(
        "SELECT number, source, name, visitor, body, lang, chat_number FROM feedback"
        " ORDER BY number"
    )
    assert rows == [
        (1, "xmpp", "Vera", desk.user("vera"), "Do you ship to Mars?", "en", 1),  # the stream's
        (
            2,
            "xmpp",
            desk.user("ivan").split("@")[0],
            desk.user("ivan"),
            "Вы доставляете на Марс?",
            "ru",
            2,
        ),
    ]
    chats = await desk.rows("SELECT number, state, operator_jid FROM chats ORDER BY number")
    assert chats == [(1, "offline", None), (2, "offline", None)]  # not routed to Alice
    mails = await desk.rows(
        "SELECT mail_key, recipients, subject, reply_to FROM mail_outbox ORDER BY feedback_number"
    )
    assert mails[0] == ("feedback:1:1", "owner@acme.example", "[Acme Inc.] Feedback from Vera", "")
    # a second message while still nobody is online: feedback too, the reply not again
    vera.send(desk.desk_jid(), "Or to the Moon?")
    await desk.wait_for(lambda: desk.service.chats.existed(1, 3))
    await desk.flush_archive()
    assert (await desk.rows("SELECT body FROM feedback WHERE number = 3")) == [("Or to the Moon?",)]
    await expect_no_more(vera)


async def test_an_operator_coming_online_gets_each_feedback_once_with_its_stamp(
    desk: Desk,
) -> None:
    await with_form(desk)
    alice_jid = desk.user("alice")
    await desk.add_operator("acme", alice_jid, "Alice")
    await desk.start_component()
    vera = await desk.client(desk.user("vera"))
    vera.send(desk.desk_jid(), "Please call me back")
    await vera.expect_from(desk.desk_jid(), AUTO_REPLY_EN)
    number = await leave(desk, "Is the anvil in stock?", name="Ann", contact="+1 555 0100 12")
    assert number == 2  # web and XMPP feedback share the site's numbers
    await desk.flush_archive()
    left = dict(await desk.rows("SELECT number, left_at FROM feedback"))

    alice = await desk.operator_online(alice_jid)
    first = await alice.expect_from(desk.desk_jid(), "Feedback 1 for Acme Inc. (acme)")
    second = await alice.expect_from(desk.desk_jid(), "Feedback 2 for Acme Inc. (acme)")
    assert (first.delay, second.delay) == (stamp_of(left[1]), stamp_of(left[2]))
    assert (
        "Please call me back" in first.body and f"XMPP address: {desk.user('vera')}" in first.body
    )
    assert "Phone: +1 555 0100 12" in second.body and "Is the anvil in stock?" in second.body
    assert "helperchat feedback done acme 2" in second.body
    phone = await desk.client(alice_jid)  # a second resource of Alice's: nothing again
    await expect_no_more(alice, phone, seconds=1.0)
    await alice.stop()
    await phone.stop()
    alice = await desk.operator_online(alice_jid)  # a reconnection: nothing again
    await expect_no_more(alice, seconds=1.0)
    reminded = await desk.rows(
        "SELECT feedback_number, operator_jid FROM feedback_reminders ORDER BY feedback_number"
    )
    assert reminded == [(1, alice_jid), (2, alice_jid)]


async def test_feedback_left_while_an_operator_is_online_reaches_them_at_once(desk: Desk) -> None:
    await with_form(desk)
    alice_jid = desk.user("alice")
    await desk.add_operator("acme", alice_jid, "Alice")
    await desk.start_component()
    alice = await desk.operator_online(alice_jid)
    await leave(desk, "The form was open for a while")  # accepted while Alice is online
    reminder = await alice.expect_from(desk.desk_jid(), "Feedback 1 for Acme Inc.")
    assert reminder.delay and "The form was open for a while" in reminder.body
    await expect_no_more(alice)


async def test_done_before_login_means_no_reminder_and_each_site_reminds_its_own(
    desk: Desk,
) -> None:
    await desk.admin.add_site("globex", "Globex")
    await with_form(desk)
    await with_form(desk, "globex", "none")
    alice_jid, bob_jid = desk.user("alice"), desk.user("bob")
    await desk.add_operator("acme", alice_jid, "Alice")
    await desk.add_operator("globex", bob_jid, "Bob")
    await desk.start_component()
    for text in ("acme one", "acme two"):
        await leave(desk, text)
    await leave(desk, "globex one", slug="globex")
    await desk.flush_archive()
    await desk.db.execute("UPDATE feedback SET done_at = NOW(6) WHERE site_id = 1 AND number = 1")
    alice = await desk.operator_online(alice_jid)
    bob = await desk.operator_online(bob_jid)
    assert "acme two" in (await alice.expect_from(desk.desk_jid(), "Feedback 2 for")).body
    assert "globex one" in (await bob.expect_from(desk.desk_jid("globex"), "Feedback 1")).body
    await expect_no_more(alice, bob)  # acme's done one never; the other site's never
    mails = await desk.rows("SELECT site_id, feedback_number FROM mail_outbox ORDER BY id")
    assert mails == [(1, 1), (1, 2)]  # globex has no addresses: its feedback is not mailed


async def test_a_restart_continues_the_numbers_and_repeats_no_reminder(desk: Desk) -> None:
    await with_form(desk)
    alice_jid = desk.user("alice")
    await desk.add_operator("acme", alice_jid, "Alice")
    await desk.start_component()
    assert await leave(desk, "before the restart") == 1
    alice = await desk.operator_online(alice_jid)
    await alice.expect_from(desk.desk_jid(), "Feedback 1 for")
    await alice.stop()
    await desk.stop_component()
    await desk.start_component()
    assert await leave(desk, "after the restart") == 2
    alice = await desk.operator_online(alice_jid)
    second = await alice.expect_from(desk.desk_jid(), "Feedback 2 for")
    assert "after the restart" in second.body
    await expect_no_more(alice, seconds=1.0)


async def test_sites_cannot_reach_each_others_feedback_through_the_api(desk: Desk) -> None:
    await desk.admin.add_site("globex", "Globex")
    await desk.admin.set_site("acme", web_changes(origins="https://shop.acme.example"))
    await desk.admin.set_site("globex", web_changes(origins="https://globex.example"))
    await with_form(desk)
    await with_form(desk, "globex", "none")
    await desk.start_component()
    assert await leave(desk, "to acme") == 1
    assert await leave(desk, "to globex", slug="globex") == 1  # the same number, another feedback
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            url(desk, FEEDBACK.format(slug="acme")),
            json={"text": "from globex's page"},
            headers={"Origin": "https://globex.example"},
        ) as answer,
    ):
        status, body = answer.status, await answer.json()
    assert (status, body["error"]["code"]) == (403, "origin_not_allowed")
    await desk.flush_archive()
    rows = await desk.rows("SELECT site_id, number, body FROM feedback ORDER BY site_id")
    assert rows == [(1, 1, "to acme"), (2, 1, "to globex")]


async def test_hostile_names_and_texts_stay_text_and_add_no_header(desk: Desk) -> None:
    await with_form(desk)
    await desk.start_component()
    name = "Ann\r\nBcc: eve@evil.example"
    text = "'); DROP TABLE feedback; -- <script>alert(1)</script> & <b>bold</b>"
    await leave(desk, text, name=name, contact="ann@x.example")
    await desk.flush_archive()
    assert await desk.rows("SELECT name, body FROM feedback") == [
        ("Ann Bcc: eve@evil.example", text)
    ]
    ((subject, reply_to, html, plain),) = await desk.rows(
        "SELECT subject, reply_to, body_html, body_text FROM mail_outbox"
    )
    assert subject == "[Acme Inc.] Feedback from Ann Bcc: eve@evil.example"
    assert "\r" not in subject + reply_to and "\n" not in subject + reply_to
    assert reply_to == "ann@x.example"
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert text in plain
