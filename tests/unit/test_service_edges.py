"""The chat core's promises at their edges: removal, outages, lost chats, freed slots, restarts."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from component.addresses import Addresses
from component.chat_tail import ChatTail
from component.chats import OpenChat
from component.desk.commands import operator_wrote_chat
from component.desk.helpdesk import HelpDesk
from component.desk.ports import PresenceType
from component.desk.state import PRESENCE_SETTLE_SECONDS, DeskState
from component.directory import Directory
from component.errors import ArchiveFull
from component.locales import shipped_catalogue
from component.models import ChatState, Operator, Sender, Show, VisitorKind
from component.routing import SiteRouter
from component.xmpp.jids import normalize_bare_jid
from component.xmpp.visitors import XmppVisitors
from tests.unit.fakes import (
    ACME,
    ALICE,
    BOB,
    DOMAIN,
    GLOBEX,
    MALLORY,
    Clock,
    FakeArchive,
    FakeOut,
    FakeTranscripts,
    World,
    make_world,
)

VISITOR = "vera@v.test"
CAROL = Operator(1, "carol@x.test", "Carol", priority=1, subscribed=True)


def visitor_writes(
    world: World, body: str = "hello", visitor: str = VISITOR, slug: str = "acme"
) -> None:
    world.desk.visitor_wrote(slug, visitor, VisitorKind.XMPP, "Vera", body)


def chat(world: World, number: int, site_id: int = 1) -> OpenChat:
    entry = world.desk.chats.get(site_id, number)
    assert entry is not None
    return entry


def remove(world: World, *gone: Operator) -> None:
    """A settings reload without the given memberships (as `operator remove` leaves it)."""
    keys = {(op.site_id, op.jid) for op in gone}
    kept = [op for op in world.desk.directory.operators() if (op.site_id, op.jid) not in keys]
    world.desk.apply_directory(Directory(world.desk.directory.sites(), kept))


# -- a removed operator ------------------------------------------------------------------------


def test_a_removed_operators_chat_goes_back_to_the_queue_when_nobody_else_can_take_it() -> None:
    world = make_world((replace(ALICE, max_chats=1), replace(BOB, max_chats=1)))
    world.online(ALICE.jid)
    world.online(BOB.jid)
    visitor_writes(world)  # acme.1 -> Alice
    visitor_writes(world, visitor="walt@v.test")  # acme.2 -> Bob, who is then full
    assert chat(world, 2).chat.operator == BOB.jid
    world.out.take()
    remove(world, ALICE)
    assert chat(world, 1).chat.state is ChatState.QUEUED
    assert world.archive.chats[-1].state is ChatState.QUEUED
    (told,) = world.out.to(VISITOR)
    assert "no longer available" in told.body and "number 1 in the queue" in told.body
    world.out.take()
    visitor_writes(world, "are you there?")
    assert world.out.to(ALICE.jid) == []  # nothing of the site reaches her any more
    operator_wrote_chat(world.desk, BOB.jid, "acme", 2, "/close")
    assert chat(world, 1).chat.operator == BOB.jid
    assert "are you there?" in world.out.to(BOB.jid)[-1].body


def test_a_removed_operators_chat_goes_to_offline_routing_when_nobody_is_online() -> None:
    world = make_world((ALICE, BOB))
    world.online(ALICE.jid)
    visitor_writes(world)
    world.out.take()
    remove(world, ALICE)
    assert chat(world, 1).chat.operator == BOB.jid  # offline: his server keeps the messages
    assert world.out.to(ALICE.jid) == []
    assert "Visitor: hello" in world.out.to(BOB.jid)[-1].body
    visitor_writes(world, "still there?")
    assert world.out.to(ALICE.jid) == []
    assert world.out.to(BOB.jid)[-1].body == "still there?"


def test_a_removed_and_re_added_operator_is_not_trusted_with_old_presence() -> None:
    world = make_world((ALICE, BOB))
    world.online(ALICE.jid)
    world.online(BOB.jid)
    remove(world, ALICE)
    world.offline(ALICE.jid, slugs=("acme",))  # she logs off while she is no operator
    world.out.presences.clear()
    world.desk.apply_directory(Directory([ACME, GLOBEX], (ALICE, BOB)))
    assert (world.desk_jid(), ALICE.jid, PresenceType.PROBE) in world.out.presences
    visitor_writes(world)
    assert chat(world, 1).chat.operator == BOB.jid


# -- an operator of two sites --------------------------------------------------------------------

ALICE_AT_GLOBEX = replace(ALICE, site_id=GLOBEX.id)


def test_leaving_one_desk_keeps_an_operator_available_at_the_others() -> None:
    world = make_world((ALICE, BOB, ALICE_AT_GLOBEX, MALLORY))
    world.online(ALICE.jid)
    world.online(MALLORY.jid)  # Alice has priority at globex; Mallory would take her chats
    world.desk.visitor_wrote("globex", VISITOR, VisitorKind.XMPP, "Vera", "hi globex")
    assert chat(world, 1, GLOBEX.id).chat.operator == ALICE.jid
    world.offline(ALICE.jid, slugs=("acme",))  # the acme desk's unavailable, nothing more
    assert chat(world, 1, GLOBEX.id).chat.operator == ALICE.jid
    world.desk.visitor_wrote("globex", "walt@v.test", VisitorKind.XMPP, "Walt", "me too")
    assert chat(world, 2, GLOBEX.id).chat.operator == ALICE.jid
    assert world.desk.presence.tier_of(ALICE.jid, ACME.id).name == "OFFLINE"


def test_presence_counts_only_at_the_desk_it_was_sent_to() -> None:
    world = make_world((ALICE, BOB, ALICE_AT_GLOBEX, MALLORY))
    world.online(ALICE.jid, slugs=("globex",))
    world.online(BOB.jid, slugs=("acme",))
    visitor_writes(world)
    assert chat(world, 1).chat.operator == BOB.jid  # Alice has told acme's desk nothing


# -- an outage -----------------------------------------------------------------------------------


def test_no_answer_timeout_runs_during_an_outage_and_the_outage_is_not_counted() -> None:
    world = make_world((ALICE, BOB))
    world.online(ALICE.jid)
    world.online(BOB.jid)
    visitor_writes(world)
    world.clock.advance(30)
    world.desk.on_disconnected()
    for _ in range(130):
        world.clock.advance(0.5)
        world.desk.on_tick()
    assert chat(world, 1).chat.operator == ALICE.jid
    assert not chat(world, 1).lost_by
    world.desk.on_connected()
    world.online(ALICE.jid)
    world.online(BOB.jid)
    world.clock.advance(PRESENCE_SETTLE_SECONDS)
    world.desk.on_tick()
    assert chat(world, 1).chat.operator == ALICE.jid  # 33 s of her 60 s have run
    world.clock.advance(27)
    world.desk.on_tick()
    assert chat(world, 1).chat.operator == BOB.jid


def test_nothing_moves_while_disconnected() -> None:
    world = make_world((ALICE, BOB))
    world.online(ALICE.jid)
    visitor_writes(world)
    world.desk.on_disconnected()
    world.out.take()
    world.desk.apply_directory(Directory([ACME, GLOBEX], (ALICE, replace(BOB, priority=6))))
    world.clock.advance(600)
    world.desk.on_tick()
    assert chat(world, 1).chat.operator == ALICE.jid
    assert world.out.messages == []


# -- lost_by is a preference ---------------------------------------------------------------------


def test_an_operator_who_lost_a_chat_gets_it_back_rather_than_leave_it_offline() -> None:
    world = make_world((ALICE, BOB))
    world.online(ALICE.jid)
    world.online(BOB.jid)
    visitor_writes(world)
    world.clock.advance(60)
    world.desk.on_tick()
    assert chat(world, 1).chat.operator == BOB.jid
    world.offline(BOB.jid)
    assert chat(world, 1).chat.operator == ALICE.jid
    assert "Visitor: hello" in world.out.to(ALICE.jid)[-1].body


def test_someone_new_is_still_preferred_to_an_operator_who_lost_the_chat() -> None:
    world = make_world((ALICE, BOB, CAROL))
    world.online(ALICE.jid)
    world.online(BOB.jid)
    world.online(CAROL.jid)
    visitor_writes(world)
    world.clock.advance(60)
    world.desk.on_tick()
    assert chat(world, 1).chat.operator == BOB.jid
    world.offline(BOB.jid)
    assert chat(world, 1).chat.operator == CAROL.jid


# -- a freed slot serves the queue ---------------------------------------------------------------


def test_a_transfer_frees_a_slot_and_the_queue_moves_at_once() -> None:
    world = make_world((replace(ALICE, max_chats=1), replace(BOB, max_chats=1)))
    world.online(ALICE.jid)
    world.online(BOB.jid)
    visitor_writes(world)  # acme.1 -> Alice
    visitor_writes(world, visitor="walt@v.test")  # acme.2 -> Bob
    visitor_writes(world, visitor="xena@v.test")  # acme.3 waits
    assert chat(world, 3).chat.state is ChatState.QUEUED
    operator_wrote_chat(world.desk, BOB.jid, "acme", 2, "/transfer Alice")
    assert chat(world, 2).chat.operator == ALICE.jid  # over her limit: a person's decision
    assert chat(world, 3).chat.operator == BOB.jid


# -- everyone leaves -----------------------------------------------------------------------------


def test_queued_chats_become_offline_messages_when_the_last_operator_leaves() -> None:
    world = make_world((replace(ALICE, max_chats=1), BOB))
    world.online(ALICE.jid)
    visitor_writes(world)  # acme.1 -> Alice
    visitor_writes(world, visitor="walt@v.test")  # acme.2 waits
    assert "number 1 in the queue" in world.out.to("walt@v.test")[-1].body
    world.offline(ALICE.jid)
    assert chat(world, 2).chat.state is ChatState.ASSIGNED
    assert "No operator is online" in world.out.to("walt@v.test")[-1].body
    visitor_writes(world, visitor="xena@v.test")
    (told,) = world.out.to("xena@v.test")
    assert "No operator is online" in told.body
    assert chat(world, 3).chat.state is ChatState.ASSIGNED


# -- a restart -----------------------------------------------------------------------------------


def reopened(world: World, entry: OpenChat) -> OpenChat:
    """What storage gives back after a restart: the chat, its newest messages, its counts, the
    visitor's first message and whether it was answered, nothing else."""
    key = (entry.chat.site_id, entry.chat.number)
    archived = [m for m in world.archive.messages if (m.site_id, m.chat_number) == key]
    return OpenChat(
        entry.chat,
        ChatTail.restored(entry.tail.messages, entry.tail.dropped_to),
        next_seq=entry.next_seq,
        visitor_messages=entry.visitor_messages,
        operator_messages=entry.operator_messages,
        first_visitor=next(m for m in archived if m.sender is Sender.VISITOR),
        answered=entry.answered,
    )


def test_a_restart_tells_queued_visitors_nothing_again() -> None:
    world = make_world((replace(ALICE, max_chats=1),))
    world.online(ALICE.jid)
    visitor_writes(world)
    visitor_writes(world, visitor="walt@v.test")
    visitor_writes(world, visitor="xena@v.test")
    kept = [reopened(world, e) for e in [*world.desk.chats.assigned(), *world.desk.chats.queued(1)]]
    out, clock = FakeOut(), Clock(world.clock.now + 30)
    addresses = Addresses(DOMAIN)
    desk = HelpDesk(
        DeskState(
            catalogue=shipped_catalogue(),
            addresses=addresses,
            archive=FakeArchive(),
            out=out,
            transcripts=FakeTranscripts(),
            visitors={VisitorKind.XMPP: XmppVisitors(out, addresses)},
            clock=clock,
            rng=random.Random(7),
            max_body_chars=100,
            jid_form=normalize_bare_jid,
        )
    )
    desk.restore({1: 3}, kept)
    desk.apply_directory(Directory([ACME, GLOBEX], (replace(ALICE, max_chats=1),)))
    assert out.messages == []  # nothing before the component is connected
    desk.on_connected()
    desk.presence_available(ALICE.jid, "acme", "res", Show.AVAILABLE, "", 0, None)
    clock.advance(PRESENCE_SETTLE_SECONDS)
    desk.on_tick()
    assert [m for m in out.messages if m.recipient != ALICE.jid] == []
    operator_wrote_chat(desk, ALICE.jid, "acme", 1, "/close")
    assert "You are now number 1" in out.to("xena@v.test")[-1].body


# -- values at their limits ----------------------------------------------------------------------


def test_a_visitor_name_of_only_unprintable_characters_is_bounded() -> None:
    world = make_world()
    long_jid = "v" * 1000 + "@" + "d" * 1000
    world.desk.visitor_wrote("acme", long_jid, VisitorKind.XMPP, "\x01\x02\u200b", "hi")
    assert 0 < len(world.archive.chats[0].visitor_name) <= 200


def test_nothing_is_relayed_while_the_archive_is_full() -> None:
    world = make_world()
    world.online(ALICE.jid)
    visitor_writes(world)
    world.archive.accepting = False
    world.out.take()
    stored = len(world.archive.messages)
    with pytest.raises(ArchiveFull):
        visitor_writes(world, "more")
    with pytest.raises(ArchiveFull):
        operator_wrote_chat(world.desk, ALICE.jid, "acme", 1, "answer")
    assert world.out.messages == [] and len(world.archive.messages) == stored


# -- found by review: deleted sites, offline holders, outages, settling, empty sites ------------

TRENT = Operator(2, "trent@x.test", "Trent", priority=-1, subscribed=True)


def test_answer_timeouts_keep_running_after_a_site_with_open_chats_is_deleted() -> None:
    world = make_world((ALICE, BOB, MALLORY, TRENT))
    for op in (ALICE, MALLORY, TRENT):
        world.online(op.jid)
    visitor_writes(world)  # acme.1 -> Alice
    visitor_writes(world, visitor="walt@v.test", slug="globex")  # globex.1 -> Mallory
    assert world.desk.chats.get(GLOBEX.id, 1).chat.operator == MALLORY.jid  # type: ignore[union-attr]
    # the site acme is deleted from the database (ON DELETE CASCADE takes its operators)
    world.desk.apply_directory(Directory([GLOBEX], [MALLORY, TRENT]))
    world.clock.advance(GLOBEX.settings.answer_timeout)
    world.desk.on_tick()
    # Mallory did not answer: globex.1 moves on, whatever happened to acme
    assert world.desk.chats.get(GLOBEX.id, 1).chat.operator == TRENT.jid  # type: ignore[union-attr]
    assert world.desk.chats.get(ACME.id, 1) is None  # acme's chats went with it


def test_a_presence_stanza_does_not_reroute_every_chat_held_by_offline_operators(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = make_world((replace(ALICE, max_chats=1), BOB))
    for n in range(200):  # a night with nobody online: offline routing, Alice then Bob
        visitor_writes(world, visitor=f"v{n}@v.test")
    world.online(ALICE.jid)  # Alice takes one; Bob (offline) keeps 199, no one can take them
    assert world.desk.chats.open_count(ACME.id, BOB.jid) == 199
    routed = 0
    real_route = SiteRouter.route

    def counting_route(self: SiteRouter, *args: object, **kwargs: object) -> object:
        nonlocal routed
        routed += 1
        return real_route(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(SiteRouter, "route", counting_route)
    world.desk.presence_available(ALICE.jid, "acme", "res", Show.AWAY, "", 0, None)
    assert routed <= 5


def test_an_operator_removed_during_an_outage_is_released_once_reconnected() -> None:
    world = make_world((ALICE, BOB))
    world.desk.on_disconnected()
    remove(world, BOB)
    world.desk.on_connected()
    desk = world.desk_jid()
    assert (desk, BOB.jid, PresenceType.UNSUBSCRIBED) in world.out.presences
    assert (desk, BOB.jid, PresenceType.UNSUBSCRIBE) in world.out.presences


def test_a_new_chat_while_presence_settles_is_not_told_that_nobody_is_online() -> None:
    world = make_world((ALICE, BOB))
    world.online(ALICE.jid)
    world.desk.on_disconnected()
    world.desk.on_connected()
    visitor_writes(world)  # a moment before Alice's presence comes back
    world.online(ALICE.jid)
    told = [m.body for m in world.out.to(VISITOR)]
    assert not any("No operator is online" in body for body in told), told
    entry = world.desk.chats.get(ACME.id, 1)
    assert entry is not None and entry.chat.operator == ALICE.jid


def test_a_new_chat_of_a_site_without_operators_is_not_told_operators_are_busy() -> None:
    world = make_world((replace(ALICE, max_chats=1), MALLORY))
    world.online(ALICE.jid)
    visitor_writes(world)  # acme.1 -> Alice
    visitor_writes(world, visitor="walt@v.test")  # acme.2 waits
    remove(world, ALICE)  # acme has no operator any more
    assert world.desk.chats.get(ACME.id, 1).chat.state is ChatState.QUEUED  # type: ignore[union-attr]
    visitor_writes(world, visitor="xena@v.test")
    told = world.out.to("xena@v.test")
    assert len(told) == 1
    assert "busy" not in told[0].body
    assert "No operator can answer" in told[0].body
