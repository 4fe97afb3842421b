"""What start-up reads back of open chats from the real MariaDB: the newest messages, the counts,
the visitor's first message and whether the operator answered (never whole transcripts), and a
long chat read in pages."""

from __future__ import annotations

import pytest

from component.archive import ArchiveBatch
from component.chat_tail import TailLimits
from component.models import ChatState, Message, Sender
from component.storage.archive import ArchiveRepository
from tests.integration.helpdesk_fixtures import Desk
from tests.integration.test_archive_store import a_chat, acme_id

pytestmark = pytest.mark.integration
ASSIGNED_AT = 1e9 + 50


def said(site_id: int, number: int, seq: int, sender: Sender, at: float) -> Message:
    return Message(site_id, number, seq, at, sender, f"{sender.value}@x", f"{sender.value} {seq}")


async def test_open_chats_come_back_with_their_tail_counts_and_first_message(desk: Desk) -> None:
    site_id = await acme_id(desk)
    repo = ArchiveRepository(desk.db)
    assigned = a_chat(
        site_id, 1, state=ChatState.ASSIGNED, operator="op@x", assigned_at=ASSIGNED_AT
    )
    long_chat = [said(site_id, 1, 1, Sender.VISITOR, 1e9 + 1)]
    for seq in range(2, 31):  # operators before and after the assignment, visitors between
        sender = Sender.OPERATOR if seq % 3 == 0 else Sender.VISITOR
        long_chat.append(said(site_id, 1, seq, sender, 1e9 + 3 * seq))
    queued = [said(site_id, 2, seq, Sender.VISITOR, 1e9 + seq) for seq in (1, 2)]
    before = a_chat(site_id, 3, state=ChatState.ASSIGNED, operator="op@x", assigned_at=ASSIGNED_AT)
    unanswered = [
        said(site_id, 3, 1, Sender.VISITOR, 1e9),
        said(site_id, 3, 2, Sender.OPERATOR, 1e9),
    ]
    closed = a_chat(site_id, 4, state=ChatState.CLOSED, closed_at=1e9 + 9)
    chats = (assigned, a_chat(site_id, 2, lang="ru"), before, closed)
    rows = (*long_chat, *queued, *unanswered, said(site_id, 4, 1, Sender.VISITOR, 1e9))
    await repo.write_batch(ArchiveBatch(chats=chats, messages=rows))

    restored = await repo.open_chats(TailLimits(messages=5, chars=1000))
    assert [e.chat.number for e in restored] == [1, 2, 3]  # the closed one stays in the archive
    first, second, third = restored
    assert [m.seq for m in first.tail.messages] == [26, 27, 28, 29, 30]
    assert first.tail.dropped_to == 25 and first.next_seq == 31
    assert (first.visitor_messages, first.operator_messages) == (20, 10)
    assert first.first_visitor == long_chat[0] and first.answered  # seq 18 on: after 1e9 + 50
    assert second.tail.messages == queued and second.tail.holds_after(0)
    assert (second.visitor_messages, second.operator_messages, second.answered) == (2, 0, False)
    assert second.first_visitor == queued[0] and second.next_seq == 3
    assert (first.chat.lang, second.chat.lang) == ("", "ru")  # the language its visitor is told in
    assert third.operator_messages == 1 and not third.answered  # before its assignment

    by_chars = await repo.open_chats(TailLimits(messages=5, chars=35))  # "operator 30" is 11
    assert [m.seq for m in by_chars[0].tail.messages] == [28, 29, 30]


async def test_a_long_chat_is_read_in_pages_up_to_a_seq(desk: Desk) -> None:
    site_id = await acme_id(desk)
    repo = ArchiveRepository(desk.db)
    messages = tuple(said(site_id, 1, seq, Sender.VISITOR, 1e9 + seq) for seq in range(1, 11))
    await repo.write_batch(ArchiveBatch(chats=(a_chat(site_id, 1),), messages=messages))
    assert await repo.messages_between(site_id, 1, 0, 8, 3) == list(messages[:3])
    assert await repo.messages_between(site_id, 1, 6, 8, 3) == list(messages[6:8])
    assert await repo.messages_between(site_id, 1, 8, 8, 3) == []
    assert await repo.messages_between(site_id, 2, 0, 8, 3) == []


async def test_an_open_chat_comes_back_with_when_its_visitor_or_operator_last_wrote(
    desk: Desk,
) -> None:
    site_id = await acme_id(desk)
    repo = ArchiveRepository(desk.db)
    words = [
        said(site_id, 1, 1, Sender.VISITOR, 1e9 + 1),
        said(site_id, 1, 2, Sender.OPERATOR, 1e9 + 7),
    ]
    notice = said(site_id, 1, 3, Sender.SYSTEM, 1e9 + 60)  # a queue position is not words
    silent = a_chat(site_id, 2)  # opened, nothing stored of it
    chats = (a_chat(site_id, 1), silent)
    await repo.write_batch(ArchiveBatch(chats=chats, messages=(*words, notice)))
    first, second = await repo.open_chats()
    assert first.last_words_at == 1e9 + 7 and first.quiet_since == 1e9 + 7
    assert second.last_words_at is None and second.quiet_since == silent.opened_at
