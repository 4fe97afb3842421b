"""Routing end to end: real operator clients changing presence, every strategy, capacity, queue,
reassignment, transfer and restarts, over the real ejabberd and MariaDB."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from component.desk.state import PRESENCE_SETTLE_SECONDS
from component.models import Tier
from tests.integration.clients import Client, expect_no_more
from tests.integration.helpdesk_fixtures import Desk


async def setup(desk: Desk, operators: list[tuple[str, int, int]], **site: object) -> list[str]:
    """Operators (name, priority, max chats) added, site columns set; returns their JIDs."""
    jids = []
    for name, priority, max_chats in operators:
        jid = desk.user(name)
        await desk.add_operator("acme", jid, name.title(), priority, max_chats)
        jids.append(jid)
    for column, value in site.items():
        assert column in {"strategy", "answer_timeout", "default_operator", "max_chats"}
        await desk.db.execute(f"UPDATE sites SET {column} = %s WHERE slug = 'acme'", (value,))
    await desk.start_component()
    return jids


async def new_chat(desk: Desk, name: str, body: str = "hello") -> Client:
    visitor = await desk.client(desk.user(name))
    visitor.send(desk.desk_jid(), body)
    return visitor


async def owner_of(desk: Desk, number: int) -> str:
    await desk.wait_for(lambda: _assigned(desk, number) is not None)
    owner = _assigned(desk, number)
    assert owner is not None
    return owner


def _assigned(desk: Desk, number: int) -> str | None:
    entry = desk.service.chats.get(desk.service.state.site("acme").id, number)
    return entry.chat.operator if entry and entry.chat.state.value == "assigned" else None


async def headers_reach_owners(desk: Desk, operators: dict[str, Client], numbers: range) -> None:
    """Each chat's header reached its owner, and no operator got anything else."""
    for number in numbers:
        owner = operators[await owner_of(desk, number)]
        await owner.expect_from(desk.chat_jid(number), f"New chat acme.{number} ")
    await expect_no_more(*operators.values())


async def test_priority_strategy_follows_tiers_priorities_and_dnd(desk: Desk) -> None:
    alice, bob, carol = await setup(desk, [("alice", 10, 0), ("bob", 20, 0), ("carol", 5, 0)])
    a = await desk.operator_online(alice)
    b = await desk.operator_online(bob, show="away")
    c = await desk.operator_online(carol)
    await new_chat(desk, "v1")
    assert await owner_of(desk, 1) == alice  # available beats a higher priority that is away
    a.set_show("dnd")
    await desk.wait_for(lambda: desk.service.presence.is_dnd(alice))
    await new_chat(desk, "v2")
    assert await owner_of(desk, 2) == carol
    a.set_show("")
    await desk.wait_for(lambda: not desk.service.presence.is_dnd(alice))
    await new_chat(desk, "v3")
    assert await owner_of(desk, 3) == alice  # priority 10 before idle time
    await headers_reach_owners(desk, {alice: a, bob: b, carol: c}, range(1, 4))


async def test_duty_operator_takes_everything_until_offline(desk: Desk) -> None:
    alice, bob = await setup(desk, [("alice", 10, 2), ("bob", 5, 0)], strategy="duty")
    a = await desk.operator_online(alice)
    b = await desk.operator_online(bob)
    visitors = []
    for number, name in enumerate(("v1", "v2"), start=1):
        visitors.append(await new_chat(desk, name))
        assert await owner_of(desk, number) == alice
        await a.expect_from(desk.chat_jid(number), f"New chat acme.{number} ")
    third = await new_chat(desk, "v3")  # duty operator full: wait for her, not Bob
    assert "number 1 in the queue" in (await third.expect_from(desk.desk_jid())).body
    await expect_no_more(a, b, third)
    await a.stop()
    assert await owner_of(desk, 3) == bob
    assert await owner_of(desk, 1) == bob  # her open chats follow when she goes offline
    assert await owner_of(desk, 2) == bob
    for number, visitor in enumerate(visitors, start=1):
        await b.expect_from(desk.chat_jid(number), "is now yours")
        assert (await visitor.expect_from(desk.desk_jid())).body == "You are now talking to Bob."
    await b.expect_from(desk.chat_jid(3), "New chat acme.3 ")
    await expect_no_more(b, third, *visitors)


async def test_round_robin_gives_each_online_operator_a_turn(desk: Desk) -> None:
    jids = await setup(desk, [("a", 0, 0), ("b", 0, 0), ("c", 0, 0)], strategy="round_robin")
    operators = {jid: await desk.operator_online(jid) for jid in jids}
    owners = []
    for number in range(1, 4):
        await new_chat(desk, f"v{number}")
        owners.append(await owner_of(desk, number))
    assert sorted(owners) == sorted(jids)
    await new_chat(desk, "v4")
    assert await owner_of(desk, 4) == owners[0]
    await headers_reach_owners(desk, operators, range(1, 5))


async def test_random_picks_only_online_operators(desk: Desk) -> None:
    jids = await setup(desk, [("a", 0, 0), ("b", 0, 0), ("c", 99, 0)], strategy="random")
    operators = {jid: await desk.operator_online(jid) for jid in jids[:2]}
    for number in range(1, 5):
        await new_chat(desk, f"v{number}")
        assert await owner_of(desk, number) in jids[:2]
    await headers_reach_owners(desk, operators, range(1, 5))


async def test_least_busy_prefers_fewest_open_chats(desk: Desk) -> None:
    jids = await setup(desk, [("alice", 0, 0), ("bob", 0, 0)], strategy="least_busy")
    clients = {jid: await desk.operator_online(jid) for jid in jids}
    v1 = await new_chat(desk, "v1")
    await new_chat(desk, "v2")
    first, second = await owner_of(desk, 1), await owner_of(desk, 2)
    assert {first, second} == set(jids)
    await clients[first].expect_from(desk.chat_jid(1))
    clients[first].send(desk.chat_jid(1), "/close")
    await desk.wait_for(lambda: _assigned(desk, 1) is None)
    await clients[first].expect_from(desk.chat_jid(1), "Chat acme.1 closed.")
    await v1.expect_from(desk.desk_jid(), "The operator closed the chat.")
    await new_chat(desk, "v3")
    assert await owner_of(desk, 3) == first  # 0 open chats against 1
    await headers_reach_owners(desk, clients, range(2, 4))
    await expect_no_more(v1)


async def test_capacity_queue_positions_and_xep0319_idle(desk: Desk) -> None:
    (alice,) = await setup(desk, [("alice", 0, 1)])
    a = await desk.operator_online(alice)
    since = (datetime.now(UTC) - timedelta(minutes=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
    a.send_raw(f"<presence><idle xmlns='urn:xmpp:idle:1' since='{since}'/></presence>")
    await desk.wait_for(lambda: desk.service.presence.client_idle_since(alice) is not None)
    first = await new_chat(desk, "v1")
    await a.expect_from(desk.chat_jid(1))
    second = await new_chat(desk, "v2")
    third = await new_chat(desk, "v3")
    assert "number 1 in the queue" in (await second.expect_from(desk.desk_jid())).body
    assert "number 2 in the queue" in (await third.expect_from(desk.desk_jid())).body
    a.send(desk.desk_jid(), "/status")
    status = (await a.expect_from(desk.desk_jid(), "Open chats")).body
    assert "Open chats: 1/1" in status and "Queue: 2 waiting" in status
    assert "your client says idle for 7 min" in status
    a.send(desk.desk_jid(), "/queue")
    queue = (await a.expect_from(desk.desk_jid(), "Queue of")).body
    assert "1. acme.2" in queue and "2. acme.3" in queue
    a.send(desk.chat_jid(1), "/close")
    assert (await a.expect_from(desk.chat_jid(1))).body == "Chat acme.1 closed."
    await first.expect_from(desk.desk_jid(), "The operator closed the chat.")
    assert (await a.expect_from(desk.chat_jid(2))).body.endswith("hello")
    assert (await third.expect_from(desk.desk_jid())).body == "You are now number 1 in the queue."
    # each position told once; the chat taken off the queue gets no further notice
    await expect_no_more(a, first, second, third)


async def test_answer_timeout_moves_the_chat_and_tells_both(desk: Desk) -> None:
    alice, bob = await setup(desk, [("alice", 10, 0), ("bob", 5, 0)], answer_timeout=1)
    a = await desk.operator_online(alice)
    b = await desk.operator_online(bob)
    visitor = await new_chat(desk, "v1", "is anyone there?")
    await a.expect_from(desk.chat_jid(1), "is anyone there?")
    moved = await a.expect_from(desk.chat_jid(1), "moved to Bob")
    assert "no answer within 1 s" in moved.body
    transcript = await b.expect_from(desk.chat_jid(1), "is now yours")
    assert "Visitor: is anyone there?" in transcript.body
    assert (await visitor.expect_from(desk.desk_jid())).body == "You are now talking to Bob."
    b.send(desk.chat_jid(1), "Bob here")
    assert (await visitor.expect_from(desk.desk_jid())).body == "Bob here"
    await expect_no_more(a, b, visitor)  # one move, told once to each


async def test_operator_going_offline_hands_over_with_transcript(desk: Desk) -> None:
    alice, bob = await setup(desk, [("alice", 10, 0), ("bob", 5, 0)])
    a = await desk.operator_online(alice)
    b = await desk.operator_online(bob)
    visitor = await new_chat(desk, "v1", "my order is late")
    await a.expect_from(desk.chat_jid(1))
    a.send(desk.chat_jid(1), "checking")
    await visitor.expect_from(desk.desk_jid(), "checking")
    await a.stop()
    transcript = await b.expect_from(desk.chat_jid(1), "is now yours")
    assert "Visitor: my order is late" in transcript.body
    assert "Alice: checking" in transcript.body
    assert (await visitor.expect_from(desk.desk_jid())).body == "You are now talking to Bob."
    await expect_no_more(b, visitor)


async def test_transfer_by_name(desk: Desk) -> None:
    alice, bob = await setup(desk, [("alice", 10, 0), ("bob", 5, 0)])
    a = await desk.operator_online(alice)
    b = await desk.operator_online(bob)
    visitor = await new_chat(desk, "v1")
    await a.expect_from(desk.chat_jid(1))
    a.send(desk.chat_jid(1), "/transfer nobody")
    assert "No operator 'nobody'" in (await a.expect_from(desk.chat_jid(1))).body
    a.send(desk.chat_jid(1), "/info")
    info = (await a.expect_from(desk.chat_jid(1), "Routing")).body
    assert "Rule: priority" in info and bob in info
    a.send(desk.chat_jid(1), "/transfer Bob")
    assert "transferred it to Bob" in (await a.expect_from(desk.chat_jid(1))).body
    await b.expect_from(desk.chat_jid(1), "is now yours")
    assert (await visitor.expect_from(desk.desk_jid())).body == "You are now talking to Bob."
    b.send(desk.chat_jid(1), "/info")
    assert "transferred by Alice" in (await b.expect_from(desk.chat_jid(1), "Routing")).body
    await expect_no_more(a, b, visitor)


async def back_and_settled(desk: Desk, *jids: str, meanwhile: Callable[[], None]) -> None:
    """Wait until the restarted component sees every operator available and its presence settle
    window (PRESENCE_SETTLE_SECONDS) is over; call `meanwhile` at every poll, before and after."""
    deadline = time.monotonic() + PRESENCE_SETTLE_SECONDS + 15
    service = desk.service
    while True:
        meanwhile()
        online = all(service.presence.tier_of(jid) is Tier.AVAILABLE for jid in jids)
        if online and service.settled:
            break
        assert time.monotonic() < deadline, "operators not back, or presence never settled"
        await asyncio.sleep(0.05)
    meanwhile()


async def last_assigned(desk: Desk) -> tuple[dict[str, float | None], dict[str, datetime | None]]:
    """Every operator's last assignment, as the component knows it and as the database has it."""
    site_id = desk.service.state.site("acme").id
    ops = desk.service.directory.operators(site_id)
    await desk.flush_archive()
    return {op.jid: op.last_assigned_at for op in ops}, dict(
        await desk.rows("SELECT jid, last_assigned_at FROM operators")
    )


async def test_restart_keeps_open_chats_queue_and_fairness(desk: Desk) -> None:
    alice, bob = await setup(desk, [("alice", 0, 1), ("bob", 0, 1)], strategy="round_robin")
    operators = {jid: await desk.operator_online(jid) for jid in (alice, bob)}
    visitors = [await new_chat(desk, "v1"), await new_chat(desk, "v2")]
    first, second = await owner_of(desk, 1), await owner_of(desk, 2)
    assert {first, second} == {alice, bob}
    for position in (1, 2):  # both full: chats 3 and 4 wait, in this order
        visitors.append(await new_chat(desk, f"v{position + 2}"))
        told = await visitors[-1].expect_from(desk.desk_jid(), f"number {position} in the queue")
        assert told.body.startswith("Thank you for your message.")
    memory_before, db_before = await last_assigned(desk)
    assert None not in db_before.values() and db_before[first] < db_before[second]
    assert memory_before[first] < memory_before[second]

    await desk.stop_component()
    await desk.start_component()
    await back_and_settled(desk, alice, bob, meanwhile=lambda: None)

    site_id = desk.service.state.site("acme").id
    assert {1: _assigned(desk, 1), 2: _assigned(desk, 2)} == {1: first, 2: second}
    assert [e.chat.number for e in desk.service.chats.queued(site_id)] == [3, 4]
    await desk.flush_archive()
    chats = await desk.rows("SELECT number, state, operator_jid FROM chats ORDER BY number")
    assert chats == [
        (1, "assigned", first),
        (2, "assigned", second),
        (3, "queued", None),
        (4, "queued", None),
    ]
    operators[first].send(desk.desk_jid(), "/queue")
    queue = (await operators[first].expect_from(desk.desk_jid(), "Queue of")).body
    assert "1. acme.3" in queue and "2. acme.4" in queue
    memory_after, db_after = await last_assigned(desk)
    assert db_after == db_before  # restored, not reset nor touched by the restart
    assert memory_after == pytest.approx(memory_before, abs=1e-5)  # DATETIME(6) microseconds

    # Room for one more chat each: round robin serves the queue in order, the oldest last
    # assignment first, by the restored values: chat 3 to whoever had chat 1, then chat 4.
    await desk.db.execute("UPDATE operators SET max_chats = 2")
    assert await owner_of(desk, 3) == first
    assert await owner_of(desk, 4) == second
    for number, owner in ((1, first), (2, second), (3, first), (4, second)):
        await operators[owner].expect_from(desk.chat_jid(number), f"New chat acme.{number} ")
        operators[owner].send(desk.chat_jid(number), f"answer {number}")
        await visitors[number - 1].expect_from(desk.desk_jid(), f"answer {number}")
    # (the queued visitors' messages after the restart are checked by the next test)
    await expect_no_more(*operators.values(), *visitors[:2])


async def test_restart_tells_queued_visitors_nothing_new(desk: Desk) -> None:
    (alice,) = await setup(desk, [("alice", 0, 1)])
    a = await desk.operator_online(alice)
    v1 = await new_chat(desk, "v1")
    await a.expect_from(desk.chat_jid(1), "New chat acme.1 ")
    queued = []
    for position in (1, 2):
        queued.append(await new_chat(desk, f"v{position + 1}"))
        await queued[-1].expect_from(desk.desk_jid(), f"number {position} in the queue")
    await desk.stop_component()
    await desk.start_component()
    await back_and_settled(desk, alice, meanwhile=lambda: None)
    await expect_no_more(a, v1, *queued)  # positions unchanged: nothing to tell anyone


async def test_restart_leaves_every_chat_with_its_operator(desk: Desk) -> None:
    alice, bob = await setup(desk, [("alice", 10, 0), ("bob", 5, 0)], strategy="round_robin")
    operators = {jid: await desk.operator_online(jid) for jid in (alice, bob)}
    visitors = {1: await new_chat(desk, "v1"), 2: await new_chat(desk, "v2")}
    before = {1: await owner_of(desk, 1), 2: await owner_of(desk, 2)}
    assert set(before.values()) == {alice, bob}
    for number, owner in before.items():
        await operators[owner].expect_from(desk.chat_jid(number), f"New chat acme.{number} ")
    await desk.stop_component()
    await desk.start_component()

    def unmoved() -> None:
        assert {1: _assigned(desk, 1), 2: _assigned(desk, 2)} == before

    # presences come back one by one: nothing may move meanwhile, nor once they have settled
    await back_and_settled(desk, alice, bob, meanwhile=unmoved)
    await desk.flush_archive()
    chats = await desk.rows("SELECT number, state, operator_jid FROM chats ORDER BY number")
    assert chats == [(1, "assigned", before[1]), (2, "assigned", before[2])]
    for number, owner in before.items():
        operators[owner].send(desk.chat_jid(number), f"still here for {number}")
        assert (await visitors[number].expect_from(desk.desk_jid())).body == (
            f"still here for {number}"
        )
        visitors[number].send(desk.desk_jid(), f"thanks {number}")
        assert (await operators[owner].expect_from(desk.chat_jid(number))).body == (
            f"thanks {number}"
        )
    await expect_no_more(*operators.values(), *visitors.values())  # no handover, no header again
