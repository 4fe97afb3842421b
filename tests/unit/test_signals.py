"""Chat states, receipts and markers over fake ports: relayed to the other side, or dropped."""

from __future__ import annotations

from component.chat_tail import TailLimits
from component.desk.commands import operator_wrote_chat
from component.models import AckRequest, ChatState, Receipt, Typing, VisitorKind
from component.receipts import LIMIT, AckMap
from tests.unit.fakes import ACME, ALICE, BOB, MALLORY, World, make_world

VISITOR = "vera@v.test"
BOTH = frozenset({Receipt.DELIVERED, Receipt.READ})
COMPOSING = Typing.COMPOSING


def visitor_writes(
    world: World,
    body: str,
    *,
    typing: Typing | None = None,
    ack: AckRequest | None = None,
    visitor: str = VISITOR,
    kind: VisitorKind = VisitorKind.XMPP,
) -> None:
    world.desk.visitor_wrote("acme", visitor, kind, "Vera", body, typing=typing, ack=ack)


def chat_with_alice(kind: VisitorKind = VisitorKind.XMPP) -> World:
    """Alice and Bob online; the visitor's chat acme.1 is Alice's; nothing sent yet."""
    world = make_world()
    world.online(ALICE.jid)
    world.online(BOB.jid)
    visitor_writes(world, "hello", kind=kind)
    world.out.take()
    return world


def archived(world: World) -> list[str]:
    return [m.body for m in world.archive.messages]


# -- chat states ---------------------------------------------------------------------------------


def test_the_visitors_chat_state_reaches_the_operator_from_the_chat_jid() -> None:
    world = chat_with_alice()
    before = archived(world)
    world.desk.signals.visitor_typing("acme", VISITOR, COMPOSING)
    world.desk.signals.visitor_typing("acme", VISITOR, Typing.PAUSED)
    assert world.out.states == [
        (world.chat_jid(1), ALICE.jid, COMPOSING),
        (world.chat_jid(1), ALICE.jid, Typing.PAUSED),
    ]
    assert world.out.messages == [] and archived(world) == before


def test_the_operators_chat_state_reaches_the_visitor_from_the_desk_jid() -> None:
    world = chat_with_alice()
    before = archived(world)
    world.desk.signals.operator_typing(ALICE.jid, "acme", 1, COMPOSING)
    assert world.out.states == [(world.desk_jid(), VISITOR, COMPOSING)]
    assert world.out.messages == [] and archived(world) == before


def test_a_web_visitor_gets_the_operators_chat_state_as_a_typing_event() -> None:
    world = chat_with_alice(VisitorKind.WEB)
    world.desk.signals.operator_typing(ALICE.jid, "acme", 1, Typing.PAUSED)
    assert world.web.states == [(1, Typing.PAUSED)]
    assert world.out.states == []


def test_typing_before_the_first_message_opens_nothing() -> None:
    world = make_world()
    world.online(ALICE.jid)
    world.desk.signals.visitor_typing("acme", VISITOR, COMPOSING)
    world.desk.signals.visitor_typing("nosuchsite", VISITOR, COMPOSING)
    assert len(world.desk.chats) == 0
    assert world.out.states == world.out.messages == []
    assert world.archive.chats == world.archive.messages == []
    visitor_writes(world, "hello")
    assert world.desk.chats.get(ACME.id, 1) is not None  # the first real message is chat 1


def test_a_queued_chats_typing_goes_nowhere() -> None:
    world = make_world()
    world.online(ALICE.jid, "dnd")
    visitor_writes(world, "hello")
    entry = world.desk.chats.get(ACME.id, 1)
    assert entry is not None and entry.chat.state is ChatState.QUEUED
    world.desk.signals.visitor_typing("acme", VISITOR, COMPOSING)
    assert world.out.states == []


def test_typing_alone_does_not_stop_the_answer_timeout() -> None:
    world = chat_with_alice()
    for _ in range(6):
        world.clock.advance(10)
        world.desk.signals.operator_typing(ALICE.jid, "acme", 1, COMPOSING)
        world.desk.on_tick()
    assert "moved to Bob" in world.out.to(ALICE.jid)[-1].body
    assert "Visitor: hello" in world.out.to(BOB.jid)[-1].body


def test_typing_in_someone_elses_chat_changes_nothing_and_says_nothing() -> None:
    world = chat_with_alice()
    world.online(MALLORY.jid)
    for jid in (BOB.jid, MALLORY.jid, "stranger@x.test"):
        world.desk.signals.operator_typing(jid, "acme", 1, COMPOSING)
        world.desk.signals.operator_typing(jid, "acme", 99, COMPOSING)
        world.desk.signals.operator_typing(jid, "nosuchsite", 1, COMPOSING)
    world.desk.signals.visitor_typing("globex", VISITOR, COMPOSING)  # no chat at that site
    assert world.out.states == world.out.messages == world.out.receipts == []


def test_a_closed_chats_typing_is_dropped() -> None:
    world = chat_with_alice()
    operator_wrote_chat(world.desk, ALICE.jid, "acme", 1, "/close")
    world.out.take()
    world.desk.signals.operator_typing(ALICE.jid, "acme", 1, COMPOSING)
    world.desk.signals.visitor_typing("acme", VISITOR, COMPOSING)
    assert world.out.states == world.out.messages == []


def test_a_chat_state_with_a_body_rides_along_with_the_relayed_message() -> None:
    world = chat_with_alice()
    visitor_writes(world, "more", typing=Typing.ACTIVE)
    (relayed,) = world.out.take()
    assert (relayed.recipient, relayed.body, relayed.typing) == (ALICE.jid, "more", Typing.ACTIVE)
    operator_wrote_chat(world.desk, ALICE.jid, "acme", 1, "yes?", typing=Typing.ACTIVE)
    (answer,) = world.out.take()
    assert (answer.recipient, answer.body, answer.typing) == (VISITOR, "yes?", Typing.ACTIVE)
    assert world.out.states == []


# -- receipts and markers: the operator acknowledges the visitor's messages ----------------------


def test_a_relayed_message_asks_for_what_the_visitor_asked_and_acks_map_back() -> None:
    world = chat_with_alice()
    visitor_writes(world, "more", ack=AckRequest("v-2", BOTH))
    (relayed,) = world.out.take()
    assert relayed.ask == BOTH and relayed.id
    signals = world.desk.signals
    signals.operator_acknowledged(ALICE.jid, "acme", 1, relayed.id, Receipt.DELIVERED)
    signals.operator_acknowledged(ALICE.jid, "acme", 1, relayed.id, Receipt.DELIVERED)
    signals.operator_acknowledged(ALICE.jid, "acme", 1, relayed.id, Receipt.READ)
    signals.operator_acknowledged(ALICE.jid, "acme", 1, relayed.id, Receipt.READ)
    assert world.out.receipts == [
        (world.desk_jid(), VISITOR, "v-2", Receipt.DELIVERED),
        (world.desk_jid(), VISITOR, "v-2", Receipt.READ),
    ]


def test_a_message_that_asked_nothing_asks_nothing_and_gets_no_acks() -> None:
    world = chat_with_alice()
    visitor_writes(world, "more")
    (relayed,) = world.out.take()
    assert relayed.ask == frozenset()
    world.desk.signals.operator_acknowledged(ALICE.jid, "acme", 1, relayed.id, Receipt.READ)
    assert world.out.receipts == []


def test_only_the_acknowledgement_asked_for_is_passed_on() -> None:
    world = chat_with_alice()
    visitor_writes(world, "more", ack=AckRequest("v-2", frozenset({Receipt.DELIVERED})))
    (relayed,) = world.out.take()
    assert relayed.ask == {Receipt.DELIVERED}
    world.desk.signals.operator_acknowledged(ALICE.jid, "acme", 1, relayed.id, Receipt.READ)
    assert world.out.receipts == []
    world.desk.signals.operator_acknowledged(ALICE.jid, "acme", 1, relayed.id, Receipt.DELIVERED)
    assert world.out.receipts == [(world.desk_jid(), VISITOR, "v-2", Receipt.DELIVERED)]


def test_the_first_message_is_acknowledged_through_the_chat_header() -> None:
    world = make_world()
    world.online(ALICE.jid)
    visitor_writes(world, "hello", ack=AckRequest("v-1", BOTH))
    (header,) = world.out.to(ALICE.jid)
    assert header.ask == BOTH and header.body.endswith("hello")
    world.desk.signals.operator_acknowledged(ALICE.jid, "acme", 1, header.id, Receipt.READ)
    assert world.out.receipts == [(world.desk_jid(), VISITOR, "v-1", Receipt.READ)]


def test_messages_written_while_queued_are_acknowledged_once_relayed() -> None:
    world = make_world()
    world.online(ALICE.jid, "dnd")
    visitor_writes(world, "hello", ack=AckRequest("v-1", BOTH))
    visitor_writes(world, "anyone?", ack=AckRequest("v-2", BOTH))
    world.out.take()
    world.online(ALICE.jid)
    header, second = world.out.to(ALICE.jid)
    assert (header.ask, second.ask, second.body) == (BOTH, BOTH, "anyone?")
    world.desk.signals.operator_acknowledged(ALICE.jid, "acme", 1, second.id, Receipt.DELIVERED)
    assert world.out.receipts == [(world.desk_jid(), VISITOR, "v-2", Receipt.DELIVERED)]


def test_a_web_visitor_gets_delivered_and_read_for_its_message() -> None:
    world = chat_with_alice(VisitorKind.WEB)
    visitor_writes(world, "more", ack=AckRequest("3", BOTH), kind=VisitorKind.WEB)
    (relayed,) = world.out.take()
    world.desk.signals.operator_acknowledged(ALICE.jid, "acme", 1, relayed.id, Receipt.DELIVERED)
    world.desk.signals.operator_acknowledged(ALICE.jid, "acme", 1, relayed.id, Receipt.READ)
    assert world.web.receipts == [(1, "3", Receipt.DELIVERED), (1, "3", Receipt.READ)]


def test_acks_from_anyone_but_the_chats_operator_are_dropped() -> None:
    world = chat_with_alice()
    visitor_writes(world, "more", ack=AckRequest("v-2", BOTH))
    (relayed,) = world.out.take()
    for jid in (BOB.jid, MALLORY.jid, "stranger@x.test"):
        world.desk.signals.operator_acknowledged(jid, "acme", 1, relayed.id, Receipt.READ)
    world.desk.signals.operator_acknowledged(ALICE.jid, "acme", 1, "made-up", Receipt.READ)
    world.desk.signals.operator_acknowledged(ALICE.jid, "acme", 2, relayed.id, Receipt.READ)
    world.desk.signals.visitor_acknowledged("acme", VISITOR, relayed.id, Receipt.READ)
    assert world.out.receipts == world.out.messages == []


def test_the_operator_who_lost_the_chat_acknowledges_nothing_any_more() -> None:
    world = chat_with_alice()
    visitor_writes(world, "more", ack=AckRequest("v-2", BOTH))
    (relayed,) = world.out.take()
    world.clock.advance(ACME.settings.answer_timeout)
    world.desk.on_tick()  # the chat moves to Bob
    world.desk.signals.operator_acknowledged(ALICE.jid, "acme", 1, relayed.id, Receipt.READ)
    assert world.out.receipts == []


def test_acks_of_a_closed_chat_are_dropped_with_it() -> None:
    world = chat_with_alice()
    visitor_writes(world, "more", ack=AckRequest("v-2", BOTH))
    (relayed,) = world.out.take()
    entry = world.desk.chats.get(ACME.id, 1)
    assert entry is not None and len(entry.acks.to_operator) == 1
    operator_wrote_chat(world.desk, ALICE.jid, "acme", 1, "/close")
    world.desk.signals.operator_acknowledged(ALICE.jid, "acme", 1, relayed.id, Receipt.READ)
    assert world.out.receipts == []


def test_each_chat_keeps_only_the_newest_ids() -> None:
    world = chat_with_alice()
    for n in range(LIMIT + 50):
        visitor_writes(world, f"m{n}", ack=AckRequest(f"v{n}", BOTH))
    relayed = world.out.take()
    entry = world.desk.chats.get(ACME.id, 1)
    assert entry is not None and len(entry.acks.to_operator) == LIMIT
    signals = world.desk.signals
    signals.operator_acknowledged(ALICE.jid, "acme", 1, relayed[0].id, Receipt.READ)
    assert world.out.receipts == []  # forgotten
    signals.operator_acknowledged(ALICE.jid, "acme", 1, relayed[-1].id, Receipt.READ)
    assert world.out.receipts == [(world.desk_jid(), VISITOR, f"v{LIMIT + 49}", Receipt.READ)]
    assert len(entry.acks.to_operator) == LIMIT - 1  # read: done with


def test_a_queued_chat_remembers_only_the_newest_requests() -> None:
    world = make_world(tail=TailLimits(messages=LIMIT + 20, chars=10 * LIMIT))  # all in memory
    world.online(ALICE.jid, "dnd")
    for n in range(LIMIT + 10):
        visitor_writes(world, f"m{n}", ack=AckRequest(f"v{n}", BOTH))
    entry = world.desk.chats.get(ACME.id, 1)
    assert entry is not None and len(entry.acks.waiting) == LIMIT
    world.online(ALICE.jid)
    assert len(entry.acks.waiting) == 0 and len(entry.acks.to_operator) == LIMIT


def test_a_backlog_longer_than_the_tail_goes_in_pages_and_forgets_its_requests() -> None:
    world = make_world(tail=TailLimits(messages=3, chars=1000))
    world.online(ALICE.jid, "dnd")
    for n in range(5):
        visitor_writes(world, f"m{n}", ack=AckRequest(f"v{n}", BOTH))
    world.online(ALICE.jid)
    entry = world.desk.chats.get(ACME.id, 1)
    assert entry is not None
    (order,) = world.transcripts.orders  # the archive gives the backlog, in pages
    assert (order.after, order.through, order.recipient) == (1, entry.next_seq - 1, ALICE.jid)
    assert order.header.startswith("New chat acme.1") and "m0" in order.header
    assert len(entry.acks.waiting) == 0  # pages are not acknowledged one by one


# -- the mirror: the XMPP visitor acknowledges the operator's messages ---------------------------


def test_the_visitors_acks_of_an_operator_message_reach_the_operator() -> None:
    world = chat_with_alice()
    ack = AckRequest("op-7", BOTH)
    operator_wrote_chat(world.desk, ALICE.jid, "acme", 1, "hi", ack=ack)
    (answer,) = world.out.take()
    assert answer.ask == BOTH and answer.sender == world.desk_jid()
    signals = world.desk.signals
    signals.visitor_acknowledged("acme", VISITOR, answer.id, Receipt.DELIVERED)
    signals.visitor_acknowledged("acme", "walt@v.test", answer.id, Receipt.READ)  # not theirs
    signals.operator_acknowledged(ALICE.jid, "acme", 1, answer.id, Receipt.READ)  # wrong way
    signals.visitor_acknowledged("acme", VISITOR, answer.id, Receipt.READ)
    assert world.out.receipts == [
        (world.chat_jid(1), ALICE.jid, "op-7", Receipt.DELIVERED),
        (world.chat_jid(1), ALICE.jid, "op-7", Receipt.READ),
    ]


# -- the bounded map itself ----------------------------------------------------------------------


def test_the_map_drops_the_oldest_and_each_acknowledgement_goes_once() -> None:
    acks: AckMap[str] = AckMap(limit=2)
    for n in range(3):
        acks.put(f"r{n}", AckRequest(f"o{n}", BOTH))
    acks.put("r9", AckRequest("o9", frozenset()))  # asked nothing: not kept
    assert len(acks) == 2 and acks.take("r0", Receipt.READ) is None
    assert acks.take("r1", Receipt.DELIVERED) == "o1"
    assert acks.take("r1", Receipt.DELIVERED) is None
    assert acks.take("r1", Receipt.READ) == "o1"
    assert acks.take("r2", Receipt.READ) == "o2"  # read implies delivered: done with
    assert acks.take("r2", Receipt.DELIVERED) is None and len(acks) == 0
