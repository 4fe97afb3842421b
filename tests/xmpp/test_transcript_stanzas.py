"""Transcript pages as the outbox writes them: every stanza of a hand-over stays within
MAX_STANZA_BYTES, whatever the visitor's name and words (a desk of fakes, each message it sent
written again by the real SlixmppOut), from memory and from the archive."""

from __future__ import annotations

import pytest

from component.chat_tail import TailLimits
from component.desk.commands import operator_wrote_chat
from component.models import VisitorKind
from component.transcript_pages import MAX_STANZA_BYTES
from component.xmpp.outbox import SlixmppOut
from tests.unit.fakes import ALICE, BOB, World, make_world
from tests.unit.test_handover_memory import Flush, archived_world
from tests.xmpp.test_outbox import FakeStream

WHOLE = TailLimits(messages=10_000, chars=10_000_000)  # the transcript goes from memory
NAMES = ["&" * 200, "\U0001f600" * 200, "<" * 200]


def move_a_long_chat_to_bob(world: World, name: str) -> None:
    """Alice transfers Bob a chat of many short lines (each page filled to its last bytes)."""
    world.online(ALICE.jid)
    world.online(BOB.jid)
    for _ in range(1_500):
        world.desk.visitor_wrote("acme", "vera@v.test", VisitorKind.XMPP, name, "&")
    operator_wrote_chat(world.desk, ALICE.jid, "acme", 1, "/transfer Bob")


def stanza_sizes_to_bob(world: World) -> list[int]:
    """The bytes of each stanza Bob got from the chat JID, as SlixmppOut writes it."""
    to_bob = [m for m in world.out.to(BOB.jid) if m.sender == world.chat_jid(1)]
    assert len(to_bob) > 2 and to_bob[0].nick is not None  # several pages, the first named
    stream = FakeStream()
    out = SlixmppOut(stream)
    out.connected()
    for sent in to_bob:
        out.send_message(sent.sender, sent.recipient, sent.body, nick=sent.nick)
    return [len(data.encode("utf-8")) for data in stream.written]


@pytest.mark.parametrize("name", NAMES)
def test_every_transcript_stanza_fits_whatever_the_visitors_name(name: str) -> None:
    world = make_world(max_body=10_000, tail=WHOLE)
    move_a_long_chat_to_bob(world, name)
    assert max(stanza_sizes_to_bob(world)) <= MAX_STANZA_BYTES


async def test_every_page_read_from_the_archive_fits_too() -> None:
    world, transcripts = archived_world(Flush())  # a short tail: the transcript is archived
    move_a_long_chat_to_bob(world, "&" * 200)
    await transcripts.idle()
    assert max(stanza_sizes_to_bob(world)) <= MAX_STANZA_BYTES
