"""What an open chat keeps in memory, and hand-overs of chats longer than that: the transcript
from the archive in pages, with what the desk sends meanwhile held behind it (the real
ArchivedTranscripts and holds over the fakes)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from component.chat_tail import TailLimits
from component.desk.commands import operator_wrote_chat
from component.models import VisitorKind
from component.transcript_pages import PAGE_BYTES, escaped_size
from component.transcripts import ArchivedTranscripts
from tests.unit.fakes import ALICE, BOB, FakeArchive, FakeOut, Sent, World, make_world

VISITOR = "vera@v.test"
SMALL = TailLimits(messages=3, chars=1000)


class Flush:
    """The archive writer's flush: waits while `gate` is clear, then fails with `error` if set."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.gate.set()
        self.error: Exception | None = None

    async def __call__(self) -> None:
        await self.gate.wait()
        if self.error is not None:
            raise self.error


def archived_world(flush: Flush, timeout: float = 5.0) -> tuple[World, ArchivedTranscripts]:
    made: list[ArchivedTranscripts] = []

    def build(out: FakeOut, archive: FakeArchive) -> ArchivedTranscripts:
        made.append(
            ArchivedTranscripts(
                out, flush, archive.messages_between, timeout=timeout, rows_per_read=2
            )
        )
        return made[0]

    world = make_world(tail=SMALL, transcripts=build)
    return world, made[0]


def visitor_says(world: World, body: str) -> None:
    world.desk.visitor_wrote("acme", VISITOR, VisitorKind.XMPP, "Vera", body)


def says(world: World, jid: str, body: str) -> None:
    operator_wrote_chat(world.desk, jid, "acme", 1, body)


def long_chat_with_alice(world: World, exchanges: int = 4) -> None:
    world.online(ALICE.jid)
    world.online(BOB.jid)
    visitor_says(world, "hello")
    for n in range(exchanges):
        says(world, ALICE.jid, f"answer {n}")
        visitor_says(world, f"question {n}")


def bodies(world: World, jid: str, match: Callable[[Sent], bool] = lambda _: True) -> list[str]:
    return [m.body for m in world.out.to(jid) if m.sender == world.chat_jid(1) and match(m)]


def transcript_lines(pages: list[str]) -> list[str]:
    lines = "\n".join(pages).splitlines()
    return [line.split("] ", 1)[1] for line in lines if line.startswith("[") and "] " in line]


# -- what stays in memory --------------------------------------------------------------------


def test_a_long_chat_keeps_only_its_tail_and_its_counts() -> None:
    world = make_world()
    world.online(ALICE.jid)
    visitor_says(world, "hello")
    for n in range(500):
        says(world, ALICE.jid, f"answer {n}")
    entry = world.desk.chats.get(1, 1)
    assert entry is not None
    assert len(entry.tail.messages) <= 20 and entry.tail.chars <= 4000
    assert (entry.visitor_messages, entry.operator_messages) == (1, 500)
    assert entry.first_visitor is None  # shown in the first operator's header, not needed again
    assert len(world.archive.messages) == 502  # the archive has everything (and the notice)


def test_info_counts_the_messages_of_both_sides() -> None:
    world = make_world()
    world.online(ALICE.jid)
    visitor_says(world, "hello")
    for n in range(30):
        says(world, ALICE.jid, f"answer {n}")
    visitor_says(world, "thanks")
    says(world, ALICE.jid, "/info")
    info = world.out.to(ALICE.jid)[-1].body
    assert "Visitor messages: 2, operator messages: 30" in info


def test_a_short_transcript_goes_from_memory_in_pages_of_at_most_16_kb() -> None:
    world = make_world(max_body=2000)
    world.online(ALICE.jid)
    world.online(BOB.jid)
    visitor_says(world, "hello")
    for _ in range(3):
        says(world, ALICE.jid, "&" * 1000)  # 5 KB each once escaped; 3,000 characters in all
    says(world, ALICE.jid, "/transfer Bob")
    pages = bodies(world, BOB.jid)
    assert world.transcripts.orders == []  # the tail held it all: no archive read
    assert len(pages) == 2 and all(escaped_size(page) <= PAGE_BYTES for page in pages)
    assert pages[0].startswith("[transcript, part 1 of 2]\nChat acme.1 with Vera")
    lines = transcript_lines(pages)
    assert lines[0] == "Visitor: hello"
    assert [line for line in lines if line.startswith("Alice:")] == ["Alice: " + "&" * 1000] * 3


# -- from the archive ------------------------------------------------------------------------


async def test_a_long_transcript_comes_from_the_archive_before_what_followed_it() -> None:
    flush = Flush()
    world, transcripts = archived_world(flush)
    long_chat_with_alice(world)
    flush.gate.clear()  # the archive is slow: the transfer's transcript is under way
    says(world, ALICE.jid, "/transfer Bob")
    visitor_says(world, "are you still there?")  # reaches Bob only after the last page
    assert bodies(world, BOB.jid) == []
    flush.gate.set()
    await transcripts.idle()
    got = bodies(world, BOB.jid)
    assert got[0].startswith("Chat acme.1 with Vera") and "is now yours" in got[0]
    assert got[-1] == "are you still there?"
    said = [line for line in transcript_lines(got[:-1]) if not line.startswith("*")]
    expected = ["Visitor: hello"]
    for n in range(4):
        expected += [f"Alice: answer {n}", f"Visitor: question {n}"]
    assert said == expected  # every message once, in order
    assert world.out.holds.held() == 0


async def test_a_chat_that_moves_on_during_the_read_gives_the_old_operator_no_transcript() -> None:
    flush = Flush()
    world, transcripts = archived_world(flush)
    long_chat_with_alice(world)
    flush.gate.clear()
    says(world, ALICE.jid, "/transfer Bob")
    says(world, BOB.jid, "/transfer Alice")  # back before Bob's transcript was read
    flush.gate.set()
    await transcripts.idle()
    to_bob = bodies(world, BOB.jid)
    assert not any("is now yours" in body for body in to_bob)  # stale: dropped
    assert to_bob == ["Chat acme.1 moved to Alice (you transferred it to Alice)."]  # not lost
    to_alice = bodies(world, ALICE.jid, lambda m: "is now yours" in m.body)
    assert len(to_alice) == 1  # her own transcript of the second move


async def test_a_chat_closed_during_the_read_sends_no_transcript_but_what_was_held() -> None:
    flush = Flush()
    world, transcripts = archived_world(flush)
    long_chat_with_alice(world)
    flush.gate.clear()
    says(world, ALICE.jid, "/transfer Bob")
    says(world, BOB.jid, "/close")
    flush.gate.set()
    await transcripts.idle()
    assert bodies(world, BOB.jid) == ["Chat acme.1 closed."]


async def test_a_failed_read_is_told_and_what_waited_still_arrives() -> None:
    flush = Flush()
    flush.error = RuntimeError("the database went away")
    world, transcripts = archived_world(flush)
    long_chat_with_alice(world)
    says(world, ALICE.jid, "/transfer Bob")
    visitor_says(world, "hello again")
    await transcripts.idle()
    got = bodies(world, BOB.jid)
    assert len(got) == 2 and "could not be read from the archive" in got[0]
    assert "the database went away" in got[0] and got[1] == "hello again"


async def test_a_read_that_never_answers_gives_up_after_its_timeout() -> None:
    flush = Flush()
    flush.gate.clear()  # never answers
    world, transcripts = archived_world(flush, timeout=0.05)
    long_chat_with_alice(world)
    says(world, ALICE.jid, "/transfer Bob")
    visitor_says(world, "hello again")
    await transcripts.idle()
    got = bodies(world, BOB.jid)
    assert "no answer within 0.05 s" in got[0] and got[1] == "hello again"


async def test_a_backlog_longer_than_the_tail_comes_from_the_archive_first() -> None:
    flush = Flush()
    world, transcripts = archived_world(flush)
    world.online(ALICE.jid, "dnd")  # online but taking no chats: the visitor waits
    for n in range(6):
        visitor_says(world, f"waiting {n}")
    flush.gate.clear()
    world.online(ALICE.jid)
    visitor_says(world, "finally")
    flush.gate.set()
    await transcripts.idle()
    got = bodies(world, ALICE.jid)
    assert got[0].startswith("New chat acme.1") and "waiting 0" in got[0]
    said = [line for line in transcript_lines(got[:-1]) if line.startswith("Visitor:")]
    assert said == [f"Visitor: waiting {n}" for n in range(1, 6)]
    assert got[-1] == "finally"


async def test_stopping_during_a_read_lets_what_waited_go_out() -> None:
    flush = Flush()
    world, transcripts = archived_world(flush)
    long_chat_with_alice(world)
    flush.gate.clear()
    says(world, ALICE.jid, "/transfer Bob")
    visitor_says(world, "anyone?")
    await asyncio.sleep(0)  # the read is under way
    await transcripts.close()
    assert bodies(world, BOB.jid) == ["anyone?"] and world.out.holds.held() == 0


async def test_stopping_before_the_read_began_lets_what_waited_go_out() -> None:
    flush = Flush()
    world, transcripts = archived_world(flush)
    long_chat_with_alice(world)
    says(world, ALICE.jid, "/transfer Bob")  # the read's task is made, not started yet
    visitor_says(world, "anyone?")
    await transcripts.close()  # a stop in the same turn of the loop
    assert bodies(world, BOB.jid) == ["anyone?"] and world.out.holds.held() == 0
