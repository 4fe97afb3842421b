"""Mail in the running HelperChat: the composition root's drainer (woken by the archive writer,
its figures in /metrics), `helperchat check` on the SMTP server, and `helperchat run` killed with
SIGKILL while mail waits in the outbox: after a restart it arrives (at least once, with the same
Message-ID when the kill fell between the server's answer and the mark)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path

import pytest

from component.archive import ArchiveWriter
from component.config import SmtpConfig
from component.records import MailQueued
from component.storage.archive import ArchiveRepository
from devstack.ports import free_port
from devstack.smtp import HOST, Credentials, MailServer, Received
from devstack.tls import self_signed
from tests.integration.helpdesk_fixtures import Desk
from tests.integration.mail_fixtures import FROM
from tests.integration.test_archive_store import acme_id
from tests.integration.test_cli import helperchat, write_config
from tests.integration.test_http import get
from tests.integration.test_spool import running

pytestmark = pytest.mark.integration


def a_mail(site_id: int, n: int) -> MailQueued:
    return MailQueued(
        site_id,
        f"feedback:{site_id}:{n}",
        f"<feedback.{site_id}.{n}@helpdesk.test>",
        "owner@acme.test",
        f"[Acme Inc.] Feedback #{n}",
        "text",
        "<p>html</p>",
        1_767_225_600.0 + n,
        reply_to="ann@example.org",
        feedback_number=n,
    )


def with_smtp(desk: Desk, port: int, **changes: object) -> None:
    smtp = SmtpConfig(host=HOST, port=port, from_=FROM, timeout=2.0, retry_min_delay=0.2)
    desk.config = replace(desk.config, smtp=replace(smtp, retry_max_delay=1.0, **changes))


async def test_the_application_sends_queued_mail_and_shows_its_figures_in_metrics(
    desk: Desk,
) -> None:
    server = await MailServer().start()
    server.sink.answers = ["550 5.1.1 mailbox unavailable"]
    try:
        with_smtp(desk, server.port, poll_interval=3600.0)  # woken by the writer, not a poll
        app = await desk.start_component()
        assert app.writer is not None and app.mail is not None
        site = await acme_id(desk)
        app.writer.add_record(a_mail(site, 1))  # as the feedback use case appends it
        await desk.wait_for(lambda: server.sink.refused == 1)
        app.writer.add_record(a_mail(site, 2))
        (got,) = await server.wait_for(1)
        assert got.message["Message-ID"] == "<feedback.1.2@helpdesk.test>"
        await desk.wait_for(lambda: "helperchat_mail_backlog 0.0" in app.metrics.render().decode())
        status, text = await get(desk, "/metrics")
        assert status == 200
        lines = set(text.splitlines())
        for line in (
            "helperchat_mail_backlog 0.0",
            "helperchat_mail_sent_total 1.0",
            "helperchat_mail_failed_total 1.0",
            "helperchat_mail_retries_total 0.0",
        ):
            assert line in lines, line
        failed = await desk.rows("SELECT last_error FROM mail_outbox WHERE failed_at IS NOT NULL")
        assert failed == [("550 5.1.1 mailbox unavailable",)]
    finally:
        await server.stop()


async def test_without_smtp_no_drainer_runs_and_mail_stays_queued(
    desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="component.app"):
        app = await desk.start_component()
    assert app.mail is None and app.writer is not None
    assert "mail is not configured (no smtp section): mails stay in the outbox" in caplog.text
    app.writer.add_record(a_mail(await acme_id(desk), 1))
    await desk.flush_archive()
    rows = await desk.rows("SELECT attempts, sent_at, failed_at FROM mail_outbox")
    assert rows == [(0, None, None)]
    assert "helperchat_mail_backlog" not in (await get(desk, "/metrics"))[1]


# --- helperchat run as a process, killed -----------------------------------------------------


def config_with_smtp(desk: Desk, path: Path, port: int) -> Path:
    write_config(desk, path)
    with path.open("a", encoding="utf-8") as config:
        config.write(
            f"smtp:\n  host: {HOST}\n  port: {port}\n  from: '{FROM}'\n  timeout: 2\n"
            "  retry_min_delay: 0.2\n  retry_max_delay: 1\n"
        )
    return path


async def queue_from_outside(desk: Desk, *mails: MailQueued) -> None:
    """Append mails through an ArchiveWriter of the test's own, into the same database."""
    writer = ArchiveWriter(
        ArchiveRepository(desk.db), flush_interval=0.01, batch_size=50, retry_max_delay=0.1
    )
    writer.start()
    for mail in mails:
        writer.add_record(mail)
    assert not len(await writer.close())


async def attempts_of(desk: Desk) -> list[tuple[int, int]]:
    rows = await desk.rows("SELECT attempts, sent_at IS NOT NULL FROM mail_outbox ORDER BY id")
    return [(int(a), int(s)) for a, s in rows]


async def test_mail_in_the_outbox_of_a_killed_helperchat_arrives_after_the_restart(
    desk: Desk, tmp_path: Path
) -> None:
    port = free_port()  # nothing listens there yet: the server is down
    config = config_with_smtp(desk, tmp_path / "config.yaml", port)
    site = await acme_id(desk)
    mails = [a_mail(site, n) for n in (1, 2)]
    async with running(config, tmp_path / "first.log") as first:
        await queue_from_outside(desk, *mails)
        await eventually(lambda: _tried(desk))
        first.process.send_signal(signal.SIGKILL)
        assert await asyncio.to_thread(first.process.wait, 30) == -signal.SIGKILL
    server = await MailServer().start(port)
    try:
        async with running(config, tmp_path / "second.log") as second:
            received = await server.wait_for(2)
            await eventually(lambda: _all_sent(desk))
            code, log = await second.terminate()
        assert code == 0, log
        ids = sorted(str(got.message["Message-ID"]) for got in received)
        assert ids == sorted(mail.message_id for mail in mails)  # each once
        assert len(server.received) == 2
    finally:
        await server.stop()


async def eventually(condition: Callable[[], Awaitable[bool]], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.1)


async def _tried(desk: Desk) -> bool:
    return any(attempts for attempts, _ in await attempts_of(desk))


async def _all_sent(desk: Desk) -> bool:
    rows = await attempts_of(desk)
    return bool(rows) and all(sent for _, sent in rows)


async def test_a_kill_just_after_the_server_accepted_sends_that_mail_again_at_most_once(
    desk: Desk, tmp_path: Path
) -> None:
    server = await MailServer().start()
    config = config_with_smtp(desk, tmp_path / "config.yaml", server.port)
    mail = a_mail(await acme_id(desk), 1)
    try:
        async with running(config, tmp_path / "first.log") as first:

            def kill_now(_: Received) -> None:  # right after the 250 went out
                os.kill(first.process.pid, signal.SIGKILL)
                server.sink.on_accepted = None

            server.sink.on_accepted = kill_now
            await queue_from_outside(desk, mail)
            await server.wait_for(1)
            assert await asyncio.to_thread(first.process.wait, 30) == -signal.SIGKILL
        async with running(config, tmp_path / "second.log") as second:
            await eventually(lambda: _all_sent(desk))
            await second.terminate()
        copies = server.with_message_id(mail.message_id)
        assert 1 <= len(copies) <= 2  # the window: the mark of the one mail being accepted
        assert len(server.received) == len(copies)
        assert (await attempts_of(desk))[0][1] == 1
    finally:
        await server.stop()


# --- helperchat check --------------------------------------------------------------------------


async def test_check_says_whether_the_smtp_server_takes_a_login_over_starttls(
    desk: Desk, tmp_path: Path
) -> None:
    cert, key = await asyncio.to_thread(self_signed, tmp_path / "tls")
    login = Credentials("desk@helpdesk.test", "smtp-secret")
    server = await MailServer(tls_files=(cert, key), login=login).start()
    config = tmp_path / "config.yaml"
    write_config(desk, config)
    with config.open("a", encoding="utf-8") as file:
        file.write(
            f"smtp:\n  host: localhost\n  port: {server.port}\n  from: '{FROM}'\n"
            f"  starttls: true\n  ca_file: {cert}\n  username: desk@helpdesk.test\n"
            '  password: "${HC_TEST_SMTP_PASSWORD}"\n  timeout: 5\n'
        )
    try:
        os.environ["HC_TEST_SMTP_PASSWORD"] = "smtp-secret"
        done = await asyncio.to_thread(helperchat, config, "check")
        assert done.returncode == 0, done.stdout + done.stderr
        assert (
            f"smtp: OK (connected to localhost:{server.port} (STARTTLS),"
            " logged in as desk@helpdesk.test)" in done.stdout
        )
        os.environ["HC_TEST_SMTP_PASSWORD"] = "wrong"
        refused = await asyncio.to_thread(helperchat, config, "check")
        assert refused.returncode == 1
        assert "smtp: FAILED cannot use localhost" in refused.stdout
        assert "535" in refused.stdout
    finally:
        os.environ.pop("HC_TEST_SMTP_PASSWORD", None)
        await server.stop()


async def test_check_says_when_the_smtp_server_is_down_or_mail_not_configured(
    desk: Desk, tmp_path: Path
) -> None:
    plain = write_config(desk, tmp_path / "plain.yaml")
    done = await asyncio.to_thread(helperchat, plain, "check")
    assert "smtp: not configured (no smtp section): mails stay queued in the outbox" in done.stdout
    assert done.returncode == 0, done.stdout
    port = free_port()
    down = await asyncio.to_thread(
        helperchat, config_with_smtp(desk, tmp_path / "d.yaml", port), "check"
    )
    assert down.returncode == 1
    assert f"smtp: FAILED cannot use {HOST}:{port}: Error connecting to {HOST}" in down.stdout
