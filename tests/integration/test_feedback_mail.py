"""Feedback reaching the site's mailbox end to end: left by an XMPP visitor or over the web API
while nobody is online, queued by the desk, drained by the running HelperChat into a real SMTP
server (aiosmtpd) with the right headers; the server down when the feedback is left and started
20 s later gets the mail once; a name built to add a header adds none."""

from __future__ import annotations

import asyncio

import pytest

from devstack.ports import free_port
from devstack.smtp import MailServer, Received
from tests.integration.helpdesk_fixtures import Desk
from tests.integration.mail_fixtures import FROM
from tests.integration.test_feedback import AUTO_REPLY_EN, leave, with_form
from tests.integration.test_mail_run import eventually, with_smtp

pytestmark = pytest.mark.integration

OWNERS = "owner@acme.example, sales@acme.example"
HEADERS = {
    "subject", "from", "to", "reply-to", "message-id", "date", "mime-version", "content-type",
    "content-transfer-encoding", "auto-submitted", "x-auto-response-suppress",
}  # fmt: skip


async def wait_for_row(desk: Desk, sql: str) -> None:
    """Until `sql` finds a row (AssertionError after a minute)."""

    async def found() -> bool:
        return bool(await desk.rows(sql))

    await eventually(found)


def assert_headers(mail: Received, subject: str, reply_to: str | None) -> None:
    message = mail.message
    assert mail.recipients == ("owner@acme.example", "sales@acme.example")
    assert message["Subject"] == subject
    assert message["From"] == FROM
    assert message["To"] == "owner@acme.example, sales@acme.example"
    assert message["Reply-To"] == reply_to
    assert message["Message-ID"].startswith("<feedback.acme.")
    assert message.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in message.iter_parts()]
    assert parts == ["text/plain", "text/html"]


async def test_xmpp_and_web_feedback_arrive_as_mail_with_their_headers(desk: Desk) -> None:
    server = await MailServer().start()
    try:
        with_smtp(desk, server.port)
        await with_form(desk, emails=OWNERS)
        await desk.start_component()
        vera = await desk.client(desk.user("vera"))
        vera.send(desk.desk_jid(), "Do you ship to Mars?", nick="Vera")
        await vera.expect_from(desk.desk_jid(), AUTO_REPLY_EN)
        (xmpp,) = await server.wait_for(1)
        assert_headers(xmpp, "[Acme Inc.] Feedback from Vera", None)  # no e-mail to answer
        plain = xmpp.message.get_body(("plain",))
        assert plain is not None and "Do you ship to Mars?" in plain.get_content()
        assert desk.user("vera") in plain.get_content()  # whom to answer over XMPP

        await leave(desk, "Is the red one in stock?", name="Ann", contact="ann@x.example")
        _, web = await server.wait_for(2)
        assert_headers(web, "[Acme Inc.] Feedback from Ann", "ann@x.example")
        both_sent = "SELECT 1 FROM mail_outbox HAVING SUM(sent_at IS NOT NULL) = 2"
        await wait_for_row(desk, both_sent)  # each marked sent, once
    finally:
        await server.stop()


async def test_the_mail_server_down_at_the_feedback_and_up_20_s_later_gets_it_once(
    desk: Desk,
) -> None:
    port = free_port()  # nothing listens there yet
    with_smtp(desk, port)
    await with_form(desk, emails=OWNERS)
    await desk.start_component()
    await leave(desk, "Call me back, please", name="Bo", contact="bo@x.example")
    await wait_for_row(desk, "SELECT 1 FROM mail_outbox WHERE attempts >= 1 AND sent_at IS NULL")
    await asyncio.sleep(20)  # the server stays down this long (the scenario)
    server = await MailServer().start(port)
    try:
        (mail,) = await server.wait_for(1)
        assert_headers(mail, "[Acme Inc.] Feedback from Bo", "bo@x.example")
        await wait_for_row(desk, "SELECT 1 FROM mail_outbox WHERE sent_at IS NOT NULL")
        await desk.flush_archive()
        assert len(server.received) == 1  # marked sent: never again
    finally:
        await server.stop()


async def test_a_name_that_tries_to_add_a_header_adds_none(desk: Desk) -> None:
    server = await MailServer().start()
    try:
        with_smtp(desk, server.port)
        await with_form(desk, emails=OWNERS)
        await desk.start_component()
        name = "Ann\r\nBcc: eve@evil.example\r\nX-Evil: 1"
        await leave(desk, "hello", name=name, contact="ann@x.example")
        (mail,) = await server.wait_for(1)
    finally:
        await server.stop()
    assert mail.recipients == ("owner@acme.example", "sales@acme.example")  # no Eve
    message = mail.message
    assert {key.lower() for key in message} <= HEADERS, message.keys()
    assert message["Subject"] == "[Acme Inc.] Feedback from Ann Bcc: eve@evil.example X-Evil: 1"
