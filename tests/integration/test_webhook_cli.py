"""`helperchat webhook add|list|remove`, run as a separate process against the real MariaDB: what
is printed (the secret once), what is refused, what one site's commands can reach of another's,
and a running HelperChat taking added and removed webhooks without a restart."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.helpdesk_fixtures import Desk
from tests.integration.test_cli import helperchat, write_config
from tests.integration.webhook_fixtures import none_pending, quick_webhooks
from tests.integration.webhook_receiver import Receiver

pytestmark = pytest.mark.integration


@pytest.fixture
def config_file(desk: Desk, tmp_path: Path) -> Path:
    return write_config(desk, tmp_path / "config.yaml")


def added(config: Path, slug: str, url: str, *extra: str) -> tuple[int, str]:
    """`webhook add`; the number and the secret it printed."""
    done = helperchat(config, "webhook", "add", slug, url, *extra)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("webhook ") and f" added to {slug}: " in lines[0]
    assert lines[2].startswith("secret: ")
    return int(lines[0].split()[1]), lines[2].removeprefix("secret: ")


async def test_add_prints_number_and_secret_once_list_never_shows_it(
    desk: Desk, config_file: Path
) -> None:
    number, secret = added(config_file, "acme", "HTTPS://Hooks.Example/in?x=1")
    assert number == 1 and len(secret) == 43
    second, _ = added(config_file, "acme", "https://hooks.example/two", "--events", "all")
    assert second == 2
    listed = helperchat(config_file, "webhook", "list", "acme")
    assert listed.returncode == 0, listed.stderr
    first_line, second_line = listed.stdout.splitlines()
    fields = first_line.split("\t")
    assert fields[:2] == ["1", "https://hooks.example/in?x=1"]
    assert fields[2] == (
        "events=chat.started,chat.assigned,chat.closed,feedback.received,"
        "operator.online,operator.offline"
    )
    assert fields[3].startswith("created=") and fields[4:] == [
        "pending=0",
        "failed=0",
        "last_error=none",
    ]
    assert "chat.message" in second_line
    assert secret not in listed.stdout
    rows = await desk.rows("SELECT secret FROM webhooks WHERE number = 1")
    assert rows == [(secret,)]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("https://user:pw@hooks.example/",), "credentials"),
        (("ftp://hooks.example/",), "http:// or https://"),
        (("https://hooks.example/", "--events", "chat.begun"), "bad events"),
        (("https://hooks.example/", "--events", ""), "bad events"),
    ],
)
async def test_bad_input_is_refused_and_changes_nothing(
    desk: Desk, config_file: Path, args: tuple[str, ...], says: str
) -> None:
    done = helperchat(config_file, "webhook", "add", "acme", *args)
    assert done.returncode == 2
    assert says in done.stderr
    assert await desk.rows("SELECT COUNT(*) FROM webhooks") == [(0,)]


async def test_a_site_cannot_see_or_remove_another_sites_webhooks(
    desk: Desk, config_file: Path
) -> None:
    await desk.admin.add_site("globex", "Globex")
    added(config_file, "acme", "https://acme.example/hook")
    assert helperchat(config_file, "webhook", "list", "globex").stdout == ""
    refused = helperchat(config_file, "webhook", "remove", "globex", "1")
    assert refused.returncode == 2 and "no webhook 1" in refused.stderr
    unknown = helperchat(config_file, "webhook", "list", "nosuch")
    assert unknown.returncode == 2 and "no site 'nosuch'" in unknown.stderr
    assert await desk.rows("SELECT COUNT(*) FROM webhooks") == [(1,)]
    removed = helperchat(config_file, "webhook", "remove", "acme", "1")
    assert removed.returncode == 0, removed.stderr
    assert removed.stdout.strip() == "webhook 1 removed from acme (0 pending deliveries dropped)"
    assert helperchat(config_file, "webhook", "list", "acme").stdout == ""
    assert added(config_file, "acme", "https://acme.example/new")[0] == 2  # 1 is never reused


async def test_a_private_receiver_is_warned_about(desk: Desk, config_file: Path) -> None:
    done = helperchat(config_file, "webhook", "add", "acme", "http://127.0.0.1:9/in")
    assert done.returncode == 0
    assert "is not a public address" in done.stderr
    named = helperchat(config_file, "webhook", "add", "acme", "https://hooks.example/in")
    assert named.stderr == ""


async def test_a_running_helperchat_takes_added_and_removed_webhooks(
    desk: Desk, config_file: Path
) -> None:
    quick_webhooks(desk)
    receiver = await Receiver().start()
    try:
        alice_jid = desk.user("alice")
        await desk.add_operator("acme", alice_jid, "Alice")
        await desk.start_component()
        alice = await desk.operator_online(alice_jid)
        _, secret = added(config_file, "acme", receiver.url("live"), "--events", "chat.started")
        receiver.expect("live", secret)
        await desk.wait_for(lambda: len(desk.app.webhooks.book) == 1 if desk.app else False)
        visitor = await desk.client(desk.user("visitor"))
        visitor.send(desk.desk_jid(), "first")
        await alice.expect_from(desk.chat_jid(1), "first")
        await desk.wait_for(lambda: len(receiver.of("live")) == 1)
        assert receiver.of("live")[0].signed
        assert helperchat(config_file, "webhook", "remove", "acme", "1").returncode == 0
        await desk.wait_for(lambda: len(desk.app.webhooks.book) == 0 if desk.app else False)
        other = await desk.client(desk.user("visitor2"))
        other.send(desk.desk_jid(), "second chat")
        await alice.expect_from(desk.chat_jid(2), "second chat")
        await desk.flush_archive()
        await none_pending(desk)
        assert len(receiver.of("live")) == 1
    finally:
        await receiver.stop()
