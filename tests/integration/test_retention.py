"""Retention on the real MariaDB: `site set --retention-days`, `helperchat archive purge`
(dry run, one site or all), a purge while chats keep flowing, and the periodic purge inside the
running component (its /metrics counters, and chat numbers never handed out twice after it)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from pathlib import Path

import pytest

from component.archive import ArchiveBatch
from component.models import Chat, ChatState, Message, Sender, VisitorCard, VisitorKind
from component.storage.archive import ArchiveRepository
from component.storage.purge import ChatPurge
from tests.integration.helpdesk_fixtures import Desk
from tests.integration.retention_fixtures import add_site, counts, numbers, seed_chat
from tests.integration.test_cli import helperchat, ok, write_config
from tests.integration.test_http import get

pytestmark = pytest.mark.integration


async def test_retention_days_is_set_shown_and_checked(desk: Desk, tmp_path: Path) -> None:
    config = write_config(desk, tmp_path / "config.yaml")
    assert "retention_days: 0 (chats kept for ever)\n" in ok(config, "site", "show", "acme")
    ok(config, "site", "set", "acme", "--retention-days", "30")
    assert await desk.rows("SELECT retention_days FROM sites") == [(30,)]
    assert "retention_days: 30\n" in ok(config, "site", "show", "acme")
    for bad in ("-1", "36501", "many"):
        done = helperchat(config, "site", "set", "acme", "--retention-days", bad, "--name", "X")
        assert done.returncode == 2, bad
        assert "retention" in done.stderr, done.stderr
    assert await desk.rows("SELECT retention_days, name FROM sites") == [(30, "Acme Inc.")]
    ok(config, "site", "set", "acme", "--retention-days", "0")
    assert await desk.rows("SELECT retention_days FROM sites") == [(0,)]


async def seed_two_sites(desk: Desk) -> tuple[int, int]:
    """acme (30 days): chats 1 and 7 past it, the others kept for a reason each; globex (30
    days): chat 1 past it, chat 2 recent; initech keeps everything."""
    acme, globex = await add_site(desk, "acme", 30), await add_site(desk, "globex", 30)
    initech = await add_site(desk, "initech")
    card = VisitorCard(email="ann@example.com", page="https://shop.test/")
    await seed_chat(desk, acme, 1, age_days=40, card=card)  # purged, its web row too
    await seed_chat(desk, acme, 2, age_days=400, state=ChatState.QUEUED)  # open: kept
    await seed_chat(desk, acme, 3, age_days=400, state=ChatState.ASSIGNED)  # open: kept
    await seed_chat(desk, acme, 4, age_days=10)  # recent
    await seed_chat(desk, acme, 5, age_days=40, closed_age_days=5)  # closed recently
    await seed_chat(desk, acme, 6, age_days=40, last_message_age_days=2)  # a recent message
    await seed_chat(desk, acme, 7, age_days=50, state=ChatState.OFFLINE, messages=4)  # purged
    await seed_chat(desk, acme, 8, age_days=1)
    await seed_chat(desk, globex, 1, age_days=31)
    await seed_chat(desk, globex, 2, age_days=29)
    await seed_chat(desk, initech, 1, age_days=4000)
    await seed_chat(desk, initech, 2, age_days=4000)
    await desk.db.execute(
        "INSERT INTO feedback (site_id, number, left_at, source, body, chat_number)"
        " VALUES (%s, 1, NOW(6), 'web', 'call me back', 7)",
        (acme,),
    )
    return acme, globex


async def test_purge_takes_exactly_the_old_chats_of_each_site(desk: Desk, tmp_path: Path) -> None:
    acme, globex = await seed_two_sites(desk)
    config = write_config(desk, tmp_path / "config.yaml")
    before = await counts(desk)
    dry = ok(config, "archive", "purge", "acme", "--dry-run")
    assert dry == "acme: would purge 2 chats and 7 messages (retention 30 days)\n"
    dry_all = ok(config, "archive", "purge", "--dry-run")
    assert "globex: would purge 1 chats and 3 messages" in dry_all
    assert "initech: retention 0 (chats kept for ever): nothing purged" in dry_all
    assert await counts(desk) == before, "a dry run deletes nothing"

    done = ok(config, "archive", "purge", "acme")
    assert done == "acme: purged 2 chats and 7 messages (retention 30 days)\n"
    assert await numbers(desk, acme) == [2, 3, 4, 5, 6, 8]
    assert await numbers(desk, globex) == [1, 2], "another site is untouched"
    after = await counts(desk)
    assert after == {
        "chats": before["chats"] - 2,
        "messages": before["messages"] - 7,
        "web_chats": 0,
        "feedback": 1,  # feedback is the site's inbox, kept (its chat number is not reused)
    }
    left = await desk.rows("SELECT COUNT(*) FROM messages WHERE site_id = %s", acme)
    assert left == [(6 * 3,)], "the kept chats keep every message"

    everything = ok(config, "archive", "purge")
    assert "acme: purged 0 chats and 0 messages" in everything
    assert "globex: purged 1 chats and 3 messages" in everything
    assert await numbers(desk, globex) == [2]
    assert len(await numbers(desk, await add_site(desk, "acme"))) == 6


async def test_a_sites_newest_chat_stays_so_its_number_is_not_reused(desk: Desk) -> None:
    acme = await add_site(desk, "acme", 1)
    for number in (1, 2, 3):
        await seed_chat(desk, acme, number, age_days=100)
    site = await desk.admin.show_site("acme")
    dry = await ChatPurge(desk.db, chats_per_batch=1).purge_site(site, time.time(), dry_run=True)
    assert (dry.chats, dry.messages) == (2, 6), "a dry run counts page by page"
    assert await numbers(desk, acme) == [1, 2, 3]
    purged = await ChatPurge(desk.db).purge_site(site, time.time())
    assert (purged.chats, purged.messages) == (2, 6)
    assert await numbers(desk, acme) == [3]
    assert await ArchiveRepository(desk.db).last_numbers() == {acme: 3}


async def test_unknown_site_is_an_error_and_purges_nothing(desk: Desk, tmp_path: Path) -> None:
    await seed_two_sites(desk)
    config = write_config(desk, tmp_path / "config.yaml")
    before = await counts(desk)
    done = helperchat(config, "archive", "purge", "nosuch")
    assert done.returncode == 2 and "no site 'nosuch'" in done.stderr and done.stdout == ""
    assert await counts(desk) == before


OLD_CHATS, OLD_LINES, NEW_CHATS, NEW_LINES = 120, 12, 80, 6


async def test_purge_in_small_batches_while_chats_flow(desk: Desk) -> None:
    """A writer stores new chats and their messages (the archive writer's own batch write) all
    through a purge of old ones in many short transactions: nothing new is lost."""
    acme = await add_site(desk, "acme", 7)
    archive = ArchiveRepository(desk.db)
    old = []
    for number in range(1, OLD_CHATS + 1):
        opened = time.time() - 30 * 86_400
        chat = Chat(acme, number, f"v{number}@x", VisitorKind.XMPP, "Old", ChatState.CLOSED,
                    opened, closed_at=opened + 600)  # fmt: skip
        lines = [
            Message(acme, number, seq, opened + seq, Sender.VISITOR, "v@x", f"old {seq}")
            for seq in range(1, OLD_LINES + 1)
        ]
        old.append(ArchiveBatch((chat,), tuple(lines)))
    for batch in old:
        await archive.write_batch(batch)
    first_new = OLD_CHATS + 1
    written_during: list[float] = []

    async def writer() -> None:
        for number in range(first_new, first_new + NEW_CHATS):
            chat = Chat(acme, number, f"n{number}@x", VisitorKind.XMPP, "New", ChatState.QUEUED,
                        time.time())  # fmt: skip
            await archive.write_batch(ArchiveBatch((chat,)))
            for seq in range(1, NEW_LINES + 1):
                line = Message(acme, number, seq, time.time(), Sender.VISITOR, "n@x", f"new {seq}")
                await archive.write_batch(ArchiveBatch((), (line,)))
                written_during.append(time.monotonic())
                await asyncio.sleep(0)
            closed = replace(chat, state=ChatState.CLOSED, closed_at=time.time())
            await archive.write_batch(ArchiveBatch((closed,)))

    await seed_chat(desk, acme, first_new, age_days=0, state=ChatState.QUEUED, messages=0)
    flow = asyncio.create_task(writer())
    await asyncio.sleep(0.05)
    site = await desk.admin.show_site("acme")
    started = time.monotonic()
    purged = await ChatPurge(desk.db, chats_per_batch=7, messages_per_batch=25).purge_site(
        site, time.time()
    )
    ended = time.monotonic()
    await flow
    assert (purged.chats, purged.messages) == (OLD_CHATS, OLD_CHATS * OLD_LINES)
    assert sum(started <= at <= ended for at in written_during) > 10, "the writer went on"
    rows = await desk.rows(
        "SELECT chat_number, COUNT(*) FROM messages WHERE site_id = %s GROUP BY chat_number", acme
    )
    assert dict(rows) == {n: NEW_LINES for n in range(first_new, first_new + NEW_CHATS)}
    assert await numbers(desk, acme) == list(range(first_new, first_new + NEW_CHATS))


async def test_the_running_component_purges_on_its_interval(desk: Desk) -> None:
    """A tiny purge interval: old chats go, /metrics counts them, and after a restart the next
    chat's number continues from the highest one ever handed out."""
    acme = await add_site(desk, "acme", 30)
    await seed_chat(desk, acme, 1, age_days=60)
    await seed_chat(desk, acme, 2, age_days=45, messages=5)
    await seed_chat(desk, acme, 3, age_days=40)  # the newest: kept
    archive = replace(desk.config.archive, purge_interval=0.3, purge_first_delay=0.2)
    desk.config = replace(desk.config, archive=archive)
    alice_jid = desk.user("alice")
    await desk.add_operator("acme", alice_jid, "Alice")
    app = await desk.start_component()
    assert app.retention is not None
    await desk.wait_for(lambda: app.retention is not None and app.retention.runs >= 2)
    assert await numbers(desk, acme) == [3]
    status, text = await get(desk, "/metrics")
    assert status == 200
    lines = set(text.splitlines())
    assert 'helperchat_archive_purged_chats_total{site="acme"} 2.0' in lines
    assert 'helperchat_archive_purged_messages_total{site="acme"} 8.0' in lines
    await desk.stop_component()
    await desk.start_component()
    alice = await desk.operator_online(alice_jid)
    visitor = await desk.client(desk.user("visitor"))
    visitor.send(desk.desk_jid(), "hello after the purge")
    await alice.expect_from(desk.chat_jid(4), "hello after the purge")
