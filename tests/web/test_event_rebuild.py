"""A web chat's event log rebuilt from its history (after a restart) equals the live one; two
readers rebuilding at once, or live events arriving first, keep every event exactly once."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest

from component.chat_events import ChatHistory, ChatKey
from component.desk.commands import operator_wrote_chat
from component.directory import Directory
from component.models import Site, VisitorKind
from component.web.visitor_api import API
from component.web.visitors import WebVisitors, site_avatar_url
from tests.unit.fakes import ACME, ALICE, BOB, GLOBEX, MALLORY
from tests.web.helpers import serve
from tests.web.test_visitor_api_edges import start
from tests.web.visitor_app import VisitorWorld, visitor_world

PUBLIC_URL = "https://help.example"
AVATAR = f"{PUBLIC_URL}/api/v1/sites/acme/avatar"


async def a_busy_afternoon() -> tuple[VisitorWorld, WebVisitors]:
    """acme (with an avatar): Alice takes one chat at a time. Chat 1 is hers; chat 2 waits,
    gets Alice when chat 1 closes, then is transferred to Bob, who answers. Chat 1 is closed."""
    world = visitor_world(public_url=PUBLIC_URL)
    acme = dataclasses.replace(
        ACME, settings=dataclasses.replace(ACME.settings, avatar_etag="e1", avatar_type="image/png")
    )
    alice = dataclasses.replace(ALICE, max_chats=1)
    desk = world.world.desk
    desk.apply_directory(Directory([acme, GLOBEX], (alice, BOB, MALLORY)))
    async with serve(world.app) as client:
        await start(client, text="first")
        await start(client, text="second")
    operator_wrote_chat(desk, ALICE.jid, "acme", 1, "hi, Alice here")
    operator_wrote_chat(desk, ALICE.jid, "acme", 1, "/close")
    world.world.online(BOB.jid)
    operator_wrote_chat(desk, ALICE.jid, "acme", 2, "/transfer Bob")
    operator_wrote_chat(desk, BOB.jid, "acme", 2, "Bob here")
    return world, world.app[API].visitors


def acme_of(world: VisitorWorld) -> Site:
    """acme as the desk knows it now (with its avatar)."""
    return world.world.desk.state.site("acme")


def as_json(events: Any) -> list[dict[str, object]]:
    return [event.to_json() for event in events]


def restarted(world: VisitorWorld) -> WebVisitors:
    """The web transport of a new process: no log in memory, the same desk and archive."""
    fresh = WebVisitors(world.world.clock)
    fresh.attach(world.world.desk, world.store.web_history, PUBLIC_URL)
    return fresh


def shown(events: Any) -> list[tuple[object, object]]:
    return [(e.type, e.fields.get("text") or e.fields.get("name")) for e in events]


async def test_the_live_logs_are_what_the_widget_is_shown() -> None:
    _, visitors = await a_busy_afternoon()
    first, second = visitors.events.log((1, 1)), visitors.events.log((1, 2))
    assert first is not None and second is not None
    assert shown(first.events) == [
        ("message", "first"),
        ("operator", "Alice"),
        ("message", "hi, Alice here"),
        ("message", "The operator closed the chat. Write again any time to start a new one."),
        ("closed", None),
    ]
    assert shown(second.events) == [
        ("message", "second"),
        ("queue", None),
        ("operator", "Alice"),
        ("operator", "Bob"),  # not the words "You are now talking to Bob."
        ("message", "Bob here"),
    ]
    assert second.events[1].fields == {"position": 1}
    assert [e.fields["avatar"] for e in second.events if e.type == "operator"] == [AVATAR] * 2
    seqs = [e.seq for e in second.events]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)


async def test_a_rebuilt_log_equals_the_live_one_open_and_closed() -> None:
    world, visitors = await a_busy_afternoon()
    fresh = restarted(world)
    for key in ((1, 1), (1, 2)):
        live = visitors.events.log(key)
        assert live is not None
        rebuilt = await fresh.history(acme_of(world), key)
        assert as_json(rebuilt.events) == as_json(live.events), key
    assert fresh.events.log((1, 1)) is None  # a closed chat's rebuilt log is not kept
    assert fresh.events.log((1, 2)) is not None  # an open one is


async def test_the_archive_gives_an_open_chat_the_same_events_as_the_desks_transcript() -> None:
    world, visitors = await a_busy_afternoon()
    from_archive = WebVisitors(world.world.clock)
    from_archive.attach(world.world.desk, world.store.web_history, PUBLIC_URL)
    from_archive.open_history = lambda key, limit, after: None  # as if the chat were not in memory
    live = visitors.events.log((1, 2))
    assert live is not None
    rebuilt = await from_archive.history(acme_of(world), (1, 2))
    assert as_json(rebuilt.events) == as_json(live.events)


async def test_live_events_before_the_first_read_are_kept_once() -> None:
    world, visitors = await a_busy_afternoon()
    fresh = restarted(world)
    state = world.world.desk.state
    state.visitors = {**state.visitors, VisitorKind.WEB: fresh}
    operator_wrote_chat(world.world.desk, BOB.jid, "acme", 2, "after the restart")
    partial = fresh.events.log((1, 2))
    assert partial is not None and not partial.complete and len(partial.events) == 1
    events = await fresh.wait(acme_of(world), (1, 2), 0, 0)
    live = visitors.events.log((1, 2))
    assert live is not None
    assert [e["seq"] for e in as_json(events)] == [e.seq for e in live.events] + [events[-1].seq]
    assert events[-1].fields["text"] == "after the restart"


async def test_two_readers_rebuilding_at_once_keep_each_event_once() -> None:
    world, visitors = await a_busy_afternoon()
    gate = asyncio.Event()
    calls: list[ChatKey] = []

    async def slow_archive(key: ChatKey, limit: int, after: int | None) -> ChatHistory:
        calls.append(key)
        await gate.wait()
        return await world.store.web_history(key, limit, after)

    fresh = WebVisitors(world.world.clock)
    fresh.attach(world.world.desk, slow_archive, PUBLIC_URL)
    closed_chat = world.world.desk.chats.get(1, 1)
    assert closed_chat is None
    # chat 1 closed after the restart: its log holds the `closed` event alone
    live_log = visitors.events.log((1, 1))
    assert live_log is not None
    fresh.events.add((1, 1), live_log.events[-1])
    readers = [asyncio.create_task(fresh.wait(acme_of(world), (1, 1), 0, 0)) for _ in range(2)]
    await asyncio.sleep(0)
    gate.set()
    answers = await asyncio.gather(*readers)
    assert calls == [(1, 1), (1, 1)]
    for answer in answers:
        assert as_json(answer) == as_json(live_log.events)
    kept = fresh.events.log((1, 1))
    assert kept is not None and as_json(kept.events) == as_json(live_log.events)


@pytest.mark.parametrize(
    ("read_first", "meanwhile"),
    [(True, "meanwhile"), (False, "meanwhile"), (True, "")],
    ids=["read-then-wait", "wait-then-read", "nothing-meanwhile"],
)
async def test_an_open_chat_longer_than_its_tail_is_rebuilt_from_the_archive(
    read_first: bool, meanwhile: str
) -> None:
    """The desk keeps only a chat's newest messages: its log comes from the archive then, and a
    message arriving during that read (whether the read has it or not) is kept once."""
    world, visitors = await a_busy_afternoon()
    desk = world.world.desk
    for n in range(30):
        operator_wrote_chat(desk, BOB.jid, "acme", 2, f"answer {n}")
    entry, live = desk.chats.get(1, 2), visitors.events.log((1, 2))
    assert entry is not None and not entry.tail.holds_after(0)  # more than the tail holds
    assert live is not None
    expected = shown(live.events) + ([("message", meanwhile)] if meanwhile else [])
    gate = asyncio.Event()

    async def slow_archive(key: ChatKey, limit: int, after: int | None) -> ChatHistory:
        early = await world.store.web_history(key, limit, after)
        await gate.wait()
        return early if read_first else await world.store.web_history(key, limit, after)

    fresh = WebVisitors(world.world.clock)  # a restarted process: nothing in memory
    fresh.attach(desk, slow_archive, PUBLIC_URL)
    desk.state.visitors = {**desk.state.visitors, VisitorKind.WEB: fresh}
    reader = asyncio.create_task(fresh.history(acme_of(world), (1, 2)))
    await asyncio.sleep(0)  # the archive is being read
    if meanwhile:
        operator_wrote_chat(desk, BOB.jid, "acme", 2, meanwhile)
    gate.set()
    log = await reader
    assert shown(log.events) == expected
    assert log.complete and fresh.events.log((1, 2)) is log  # kept: the chat is open
    seqs = [e.seq for e in log.events]
    assert seqs == sorted(set(seqs))


def test_no_avatar_without_a_public_url_or_an_image() -> None:
    with_image = dataclasses.replace(ACME.settings, avatar_etag="e1")
    assert site_avatar_url(None, Site(1, "acme", "Acme", with_image)) is None
    assert site_avatar_url(PUBLIC_URL, ACME) is None
    assert site_avatar_url(PUBLIC_URL, Site(1, "acme", "Acme", with_image)) == AVATAR
