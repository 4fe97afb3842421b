"""The mail outbox drained into a real SMTP server (aiosmtpd in this process) from a real MariaDB:
mails queued as the feedback side queues them arrive whole, once; a server that is down, answers
4xx, refuses with 5xx or hangs is handled as the README says."""

from __future__ import annotations

import asyncio
import logging
from email.message import EmailMessage
from pathlib import Path

import pytest

from component.contacts import FEEDBACK_EMAILS_CHARS, checked_feedback_emails
from component.feedback_mail import feedback_mail
from component.models import VisitorKind
from component.records import FeedbackLeft, MailQueued
from devstack.smtp import Credentials, MailServer, Received
from devstack.tls import self_signed
from tests.integration.mail_fixtures import Outbox

pytestmark = pytest.mark.integration

CYRILLIC_SUBJECT = "[Магазин «Ромашка»] Отзыв №7 от Анны"
CYRILLIC_TEXT = "Здравствуйте! Заказ 123 не пришёл.\nАнна, +7 900 000-00-00"
CYRILLIC_HTML = "<p>Здравствуйте! Заказ <b>123</b> не пришёл.</p>"


def parts(message: EmailMessage) -> dict[str, str]:
    """Content type -> decoded text of each leaf part (the wire's CRLF read as LF)."""
    return {
        part.get_content_type(): str(part.get_content()).replace("\r\n", "\n")
        for part in message.walk()
        if not part.is_multipart()
    }


async def test_a_queued_mail_arrives_with_every_header_and_both_parts(outbox: Outbox) -> None:
    drainer = outbox.drainer()
    drainer.start()
    mail = outbox.queue(
        recipients="owner@acme.test, support@acme.test",
        subject=CYRILLIC_SUBJECT,
        text=CYRILLIC_TEXT,
        html=CYRILLIC_HTML,
        reply_to="anna@example.org",
        created_at=1_767_225_600.0,
    )
    (got,) = await outbox.server.wait_for(1)  # woken by the stored record: no poll in an hour
    message = got.message
    assert message["From"] == "Acme desk <desk@helpdesk.test>"
    assert message["To"] == "owner@acme.test, support@acme.test"
    assert message["Subject"] == CYRILLIC_SUBJECT
    assert message["Reply-To"] == "anna@example.org"
    assert message["Message-ID"] == mail.message_id
    assert message["Date"] == "Thu, 01 Jan 2026 00:00:00 +0000"
    assert message.get_content_type() == "multipart/alternative"
    assert parts(message) == {"text/plain": CYRILLIC_TEXT + "\n", "text/html": CYRILLIC_HTML + "\n"}
    assert got.sender == "desk@helpdesk.test"
    assert got.recipients == ("owner@acme.test", "support@acme.test")
    row = await outbox.wait_row(mail, lambda row: row["sent"])
    assert (row["attempts"], row["failed"], row["last_error"]) == (1, 0, "")
    assert outbox.metric("helperchat_mail_sent_total") == 1
    assert outbox.metric("helperchat_mail_backlog") == 0


async def test_many_mails_are_sent_oldest_first_over_one_connection_in_batches(
    outbox: Outbox,
) -> None:
    mails = [outbox.queue(created_at=1_767_225_600.0 + n) for n in range(25)]
    await outbox.writer.flush()
    drainer = outbox.drainer(batch_size=10)
    assert await drainer.drain_once() == 10  # a bounded batch
    drainer.start()
    received = await outbox.server.wait_for(25)
    assert [got.message["Message-ID"] for got in received] == [m.message_id for m in mails]


async def test_a_server_down_when_the_mail_is_queued_gets_it_once_when_it_comes_up(
    outbox: Outbox,
) -> None:
    port = outbox.server.port
    await outbox.server.stop()
    drainer = outbox.drainer(port=port, retry_min_delay=1.0, retry_max_delay=4.0)
    drainer.start()
    mail = outbox.queue()
    await outbox.wait_row(mail, lambda row: row["attempts"] >= 1)  # tried, refused, waiting
    await asyncio.sleep(20)  # the scenario: the server comes back 20 s later
    tried = (await outbox.row(mail))["attempts"]
    assert tried >= 3, "retried while it was down (back-off capped at 4 s)"
    await outbox.server.start(port)
    received = await outbox.server.wait_for(1)
    row = await outbox.wait_row(mail, lambda row: row["sent"])
    assert row["attempts"] > tried
    await drainer.drain_once()  # another pass: nothing is due, nothing sent again
    assert [got.message["Message-ID"] for got in received] == [mail.message_id]
    assert len(outbox.server.received) == 1
    assert outbox.metric("helperchat_mail_retries_total") == tried


async def test_a_4xx_answer_is_retried_and_then_accepted(outbox: Outbox) -> None:
    outbox.server.sink.answers = ["451 4.7.1 Greylisted, try again later"]
    drainer = outbox.drainer()
    drainer.start()
    mail = outbox.queue()
    (got,) = await outbox.server.wait_for(1)
    assert got.message["Message-ID"] == mail.message_id
    row = await outbox.wait_row(mail, lambda row: row["sent"])
    assert row["attempts"] == 2
    assert outbox.server.sink.refused == 1
    assert outbox.metric("helperchat_mail_retries_total") == 1


async def test_a_5xx_answer_fails_the_mail_for_good_and_counts_it(
    outbox: Outbox, caplog: pytest.LogCaptureFixture
) -> None:
    outbox.server.sink.answers = ["550 5.1.1 <owner@acme.test>: mailbox unavailable"]
    drainer = outbox.drainer()
    drainer.start()
    with caplog.at_level(logging.ERROR, logger="component.smtp.drainer"):
        mail = outbox.queue()
        row = await outbox.wait_row(mail, lambda row: row["failed"])
    assert (row["sent"], row["attempts"]) == (0, 1)
    assert row["last_error"] == "550 5.1.1 <owner@acme.test>: mailbox unavailable"
    assert f"mail: {mail.mail_key} refused for good, not retried: 550 5.1.1" in caplog.text
    later = outbox.queue()  # the drainer goes on; the failed one is never tried again
    await outbox.server.wait_for(1)
    await outbox.wait_row(later, lambda row: row["sent"])
    await drainer.drain_once()
    assert outbox.server.sink.refused == 1
    assert outbox.metric("helperchat_mail_failed_total") == 1
    assert outbox.metric("helperchat_mail_backlog") == 0


INJECTION = "\r\nBcc: evil@attacker.test\r\nX-Injected: yes"


async def test_line_breaks_in_subject_reply_to_and_recipients_make_no_header(
    outbox: Outbox,
) -> None:
    drainer = outbox.drainer()
    drainer.start()
    outbox.queue(
        subject=f"[Acme Inc.] Feedback from Ann{INJECTION}",
        reply_to=f"ann@example.org{INJECTION}",
        recipients=f"owner@acme.test, evil@attacker.test{INJECTION}, x@y\nBcc: z@attacker.test",
    )
    (got,) = await outbox.server.wait_for(1)
    headers = [name.lower() for name in got.message]
    assert "bcc" not in headers and "x-injected" not in headers
    assert "reply-to" not in headers  # not an address: left out rather than repaired
    assert got.message["Subject"] == (
        "[Acme Inc.] Feedback from Ann Bcc: evil@attacker.test X-Injected: yes"
    )
    assert got.recipients == ("owner@acme.test",)
    head = got.raw.split(b"\r\n\r\n", 1)[0]
    assert all(not line.lower().startswith((b"bcc", b"x-injected")) for line in head.split(b"\r\n"))


def arrived(server_received: list[Received], mail: MailQueued) -> bool:
    return any(got.message["Message-ID"] == mail.message_id for got in server_received)


async def test_a_hung_server_costs_one_timeout_then_the_drainer_goes_on(
    outbox: Outbox, caplog: pytest.LogCaptureFixture
) -> None:
    outbox.server.hang_connections = 1  # accepts, then never says a word
    first, second, third = (outbox.queue(created_at=1e9 + n) for n in range(3))
    await outbox.writer.flush()
    drainer = outbox.drainer(timeout=1.0)
    with caplog.at_level(logging.WARNING, logger="component.smtp.drainer"):
        assert await drainer.drain_once() == 0
    assert "server unavailable" in caplog.text and "Timed out" in caplog.text
    assert outbox.server.hung == 1  # one timeout, not one per waiting mail
    assert [(await outbox.row(m))["attempts"] for m in (first, second, third)] == [1, 0, 0]
    drainer.start()
    received = await outbox.server.wait_for(3)
    assert all(arrived(received, mail) for mail in (first, second, third))
    assert (await outbox.wait_row(first, lambda row: row["sent"]))["attempts"] == 2


async def test_several_mails_to_a_server_that_always_hangs_wait_for_its_back_off(
    outbox: Outbox,
) -> None:
    outbox.server.hang_connections = 1000
    for n in range(5):
        outbox.queue(created_at=1e9 + n)
    await outbox.writer.flush()
    drainer = outbox.drainer(timeout=0.5, retry_min_delay=30.0, retry_max_delay=60.0)
    await drainer.drain_once()
    await drainer.drain_once()  # the server is backing off: not tried again yet
    assert outbox.server.hung == 1
    attempts = await outbox.db.fetch_all("SELECT attempts FROM mail_outbox ORDER BY id")
    assert [row[0] for row in attempts] == [1, 0, 0, 0, 0]


async def test_a_server_that_hangs_up_after_each_mail_gets_every_mail_in_one_pass(
    outbox: Outbox,
) -> None:
    mails = [outbox.queue(created_at=1e9 + n) for n in range(3)]
    await outbox.writer.flush()
    outbox.server.sink.on_accepted = lambda _: outbox.server.drop_connections()
    drainer = outbox.drainer()
    assert await drainer.drain_once() == 3  # a new connection for each, no retry
    assert [got.message["Message-ID"] for got in outbox.server.received] == [
        mail.message_id for mail in mails
    ]
    assert outbox.metric("helperchat_mail_retries_total") == 0


async def test_mail_goes_through_starttls_with_a_login(outbox: Outbox, tmp_path: Path) -> None:
    cert, key = await asyncio.to_thread(self_signed, tmp_path / "tls")
    login = Credentials("desk@helpdesk.test", "smtp-secret")
    server = await MailServer(tls_files=(cert, key), login=login).start()
    try:
        tls = {"host": "localhost", "port": server.port, "starttls": True, "ca_file": str(cert)}
        drainer = outbox.drainer(**tls, username=login.username, password=login.password)
        mail = outbox.queue()
        await outbox.writer.flush()
        assert await drainer.drain_once() == 1
        (got,) = server.received
        assert got.message["Message-ID"] == mail.message_id
        wrong = outbox.drainer(**tls, username=login.username, password="wrong")
        outbox.queue()
        await outbox.writer.flush()
        assert await wrong.drain_once() == 0  # a refused login backs off the server, no mail fails
        assert outbox.metric("helperchat_mail_failed_total") == 0
    finally:
        await server.stop()


def longest_site_addresses() -> tuple[str, ...]:
    """Ten addresses of 199 characters: as many and as long as `site set --feedback-email`
    takes (2,000 characters one a line)."""
    labels = "b" * 60 + "." + "c" * 58
    return checked_feedback_emails(
        ",".join(f"{'a' * 64}@{labels}.x{n}.example.com" for n in range(10))
    )


async def test_a_sites_longest_addresses_all_get_the_mail_and_no_other(outbox: Outbox) -> None:
    addresses = longest_site_addresses()
    assert len("\n".join(addresses)) <= FEEDBACK_EMAILS_CHARS  # the site's setting takes them
    feedback = FeedbackLeft(outbox.site_id, 1, 1_767_225_600.0, VisitorKind.WEB, "hello")
    mail = feedback_mail(
        feedback, site_name="Acme", slug="acme", recipients=addresses, domain="hd", nonce="n1"
    )
    outbox.drainer().start()
    outbox.writer.add_record(mail)
    (got,) = await outbox.server.wait_for(1)
    assert got.recipients == addresses  # none cut into another domain's address
