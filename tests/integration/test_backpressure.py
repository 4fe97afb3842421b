"""Back-pressure over the real stack: with the archive at its cap, nothing new is relayed."""

from __future__ import annotations

from dataclasses import replace

from tests.integration.clients import expect_no_more
from tests.integration.helpdesk_fixtures import Desk

CAP = 5


async def test_a_full_archive_refuses_new_messages_and_relays_again_once_drained(
    desk: Desk,
) -> None:
    desk.config = replace(desk.config, archive=replace(desk.config.archive, max_backlog=CAP))
    _, alice, visitor = await desk.open_chat()
    await desk.flush_archive()
    writer = desk.app.writer if desk.app else None
    assert writer is not None
    await desk.db.execute("RENAME TABLE messages TO messages_away")
    try:
        for n in range(1, CAP + 1):
            visitor.send(desk.desk_jid(), f"m{n}")
            await alice.expect_from(desk.chat_jid(1), f"m{n}")
        await desk.wait_for(lambda: not writer.accepting)
        visitor.send(desk.desk_jid(), "m6")
        refused = await visitor.expect(lambda r: r.type == "error")
        assert refused.error_condition == "resource-constraint"
        alice.send(desk.chat_jid(1), "answer while full")
        refused = await alice.expect(lambda r: r.type == "error")
        assert refused.error_condition == "resource-constraint"
        await expect_no_more(alice, visitor)
    finally:
        await desk.db.execute("RENAME TABLE messages_away TO messages")
    await desk.wait_for(lambda: writer.backlog == 0, timeout=30)
    visitor.send(desk.desk_jid(), "m7")
    await alice.expect_from(desk.chat_jid(1), "m7")
    await desk.flush_archive()
    bodies = [
        row[0]
        for row in await desk.rows(
            "SELECT body FROM messages WHERE chat_number = 1 AND sender = 'visitor' ORDER BY seq"
        )
    ]
    assert bodies == ["hello", "m1", "m2", "m3", "m4", "m5", "m7"]
    assert desk.app is not None
    assert b"helperchat_archive_refused_messages_total 2.0" in desk.app.metrics.render()
