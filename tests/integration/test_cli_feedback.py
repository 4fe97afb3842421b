"""`helperchat site set --feedback/--feedback-email`, `feedback list` and `feedback done`, run as
a separate process against the real MariaDB; one site's number never reaches another's."""

from __future__ import annotations

from pathlib import Path

import pytest

from component.archive import ArchiveBatch
from component.models import VisitorKind
from component.records import FeedbackDone, FeedbackLeft, MailQueued, Record
from component.storage.archive import ArchiveRepository
from tests.integration.helpdesk_fixtures import Desk
from tests.integration.test_cli import EVERYTHING, helperchat, ok, write_config

pytestmark = pytest.mark.integration
LEFT_AT = 1_800_000_000.0


@pytest.fixture
def config_file(desk: Desk, tmp_path: Path) -> Path:
    return write_config(desk, tmp_path / "config.yaml")


async def store(desk: Desk, *records: Record) -> None:
    """Rows as the running component writes them: through the archive's keyed writes."""
    await ArchiveRepository(desk.db).write_batch(ArchiveBatch(records=records))


def feedback(
    site_id: int, number: int, text: str, name: str = "", contact: str = ""
) -> FeedbackLeft:
    return FeedbackLeft(
        site_id, number, LEFT_AT + number, VisitorKind.WEB, text, name=name, contact=contact
    )


async def test_the_form_and_its_addresses_are_set_checked_and_shown(
    desk: Desk, config_file: Path
) -> None:
    ok(config_file, "site", "set", "acme", "--feedback", "on",
       "--feedback-email", "Owner@Acme.Example, sales@acme.example owner@acme.example")  # fmt: skip
    assert await desk.rows("SELECT feedback_form, feedback_emails FROM sites") == [
        (1, "Owner@acme.example\nsales@acme.example")
    ]
    shown = ok(config_file, "site", "show", "acme")
    assert "feedback: on\n" in shown
    assert "feedback_emails: Owner@acme.example, sales@acme.example\n" in shown
    before = [await desk.rows(sql) for sql in EVERYTHING]
    for bad in ("nope", "a@b", "owner@shop.test", ",".join(f"a{n}@x.example" for n in range(11))):
        done = helperchat(config_file, "site", "set", "acme", "--feedback-email", bad)
        assert done.returncode == 2 and "bad feedback e-mail address" in done.stderr, bad
    done = helperchat(config_file, "site", "set", "acme", "--feedback", "maybe")
    assert done.returncode == 2
    assert [await desk.rows(sql) for sql in EVERYTHING] == before  # nothing changed
    ok(config_file, "site", "set", "acme", "--feedback-email", "none", "--feedback", "off")
    assert await desk.rows("SELECT feedback_form, feedback_emails FROM sites") == [(0, "")]
    assert "feedback_emails: none (feedback is not mailed)" in ok(
        config_file, "site", "show", "acme"
    )


async def test_feedback_list_shows_state_and_mail_and_done_is_idempotent(
    desk: Desk, config_file: Path
) -> None:
    hostile = "<script>alert(1)</script> '); DROP TABLE feedback; --"
    await store(
        desk,
        feedback(1, 1, "Do you ship to Mars?", name="Ann", contact="ann@x.example"),
        feedback(1, 2, hostile, name="Bo\tby"),
        feedback(1, 3, "Call me", contact="+1 555 0100 12"),
        MailQueued(1, "feedback:1:1", "<m1@d>", "o@acme.example", "s", "t", "h", LEFT_AT, "", 1),
        MailQueued(1, "feedback:1:3", "<m3@d>", "o@acme.example", "s", "t", "h", LEFT_AT, "", 3),
    )
    await desk.db.execute("UPDATE mail_outbox SET sent_at = NOW(6) WHERE feedback_number = 1")
    await desk.db.execute(
        "UPDATE mail_outbox SET failed_at = NOW(6), last_error = '550 5.1.1 no such user'"
        " WHERE feedback_number = 3"
    )
    lines = [line.split("\t") for line in ok(config_file, "feedback", "list", "acme").splitlines()]
    assert [line[0] for line in lines] == ["1", "2", "3"]
    assert lines[0][1:] == [
        "2027-01-15 08:00:01 UTC", "web", "Ann", "ann@x.example", "Do you ship to Mars?",
        "open", "mail sent",
    ]  # fmt: skip
    assert lines[1][3] == "Bo by"  # a tab stored in a name cannot shift the columns
    assert lines[1][5] == hostile and lines[1][7] == "no mail (no addresses)"  # as text, whole
    assert lines[2][7] == "mail failed: 550 5.1.1 no such user"
    assert ok(config_file, "feedback", "done", "acme", "2") == "feedback 2 of acme marked done\n"
    again = ok(config_file, "feedback", "done", "acme", "2")
    assert again == "feedback 2 of acme was done already\n"
    listed = ok(config_file, "feedback", "list", "acme", "--open")
    assert [line.split("\t")[0] for line in listed.splitlines()] == ["1", "3"]
    assert "done 20" in ok(config_file, "feedback", "list", "acme").splitlines()[1]


async def test_one_sites_numbers_are_unknown_at_another(desk: Desk, config_file: Path) -> None:
    await desk.admin.add_site("globex", "Globex")
    await store(desk, feedback(1, 1, "acme's"), feedback(1, 2, "acme's too"))
    await store(desk, feedback(2, 1, "globex's"))
    unknown = helperchat(config_file, "feedback", "done", "globex", "2")
    assert unknown.returncode == 1 and "globex has no feedback 2" in unknown.stderr
    assert (
        ok(config_file, "feedback", "done", "globex", "1") == "feedback 1 of globex marked done\n"
    )
    assert await desk.rows("SELECT site_id, number FROM feedback WHERE done_at IS NULL") == [
        (1, 1),
        (1, 2),
    ]  # acme's number 1 is another feedback: still open
    assert ok(config_file, "feedback", "list", "globex", "--open") == ""
    assert "globex's" not in ok(config_file, "feedback", "list", "acme")
    for args in (("list", "nope"), ("done", "acme", "0"), ("done", "acme", "x")):
        assert helperchat(config_file, "feedback", *args).returncode == 2, args


async def test_a_desk_marking_done_is_stored_once(desk: Desk, config_file: Path) -> None:
    await store(desk, feedback(1, 1, "hi"))
    await store(desk, FeedbackDone(1, 1, LEFT_AT + 5, "alice@example.com"))
    await store(desk, FeedbackDone(1, 1, LEFT_AT + 9, "bob@example.com"))  # again: no change
    assert await desk.rows("SELECT done_by FROM feedback") == [("alice@example.com",)]
    assert "by alice@example.com" in ok(config_file, "feedback", "list", "acme")
