"""The tail an open chat keeps of its messages: bounded by count and by characters."""

from __future__ import annotations

from component.chat_tail import TAIL_CHARS, TAIL_MESSAGES, ChatTail, TailLimits
from component.chats import ChatBook
from component.models import Message, Sender, VisitorKind


def said(seq: int, body: str = "x", sender: Sender = Sender.VISITOR) -> Message:
    return Message(1, 1, seq, float(seq), sender, "a@x", body)


def test_the_tail_keeps_the_newest_messages_up_to_its_count() -> None:
    tail = ChatTail(TailLimits(messages=3, chars=1000))
    for seq in range(1, 6):
        tail.add(said(seq))
    assert [m.seq for m in tail.messages] == [3, 4, 5] and tail.dropped_to == 2
    assert tail.holds_after(2) and not tail.holds_after(1)
    assert [m.seq for m in tail.after(3)] == [4, 5]


def test_the_tail_keeps_the_newest_messages_up_to_its_characters() -> None:
    tail = ChatTail(TailLimits(messages=100, chars=25))
    for seq in range(1, 11):
        tail.add(said(seq, "y" * 10))
    assert [m.seq for m in tail.messages] == [9, 10] and tail.chars == 20
    assert tail.dropped_to == 8


def test_ten_long_messages_cost_at_most_the_character_bound() -> None:
    tail = ChatTail()
    for seq in range(1, 11):
        tail.add(said(seq, "z" * 10_000))  # longer than the bound alone: not kept at all
    assert tail.messages == [] and tail.chars == 0 and tail.dropped_to == 10
    tail.add(said(11, "short"))
    assert [m.seq for m in tail.messages] == [11] and tail.holds_after(10)


def test_a_new_tail_holds_the_whole_chat_and_the_bounds_are_small() -> None:
    assert ChatTail().holds_after(0)
    assert TAIL_MESSAGES <= 50 and TAIL_CHARS <= 10_000


def test_a_restored_tail_knows_what_it_lacks_and_takes_the_books_limits() -> None:
    tail = ChatTail.restored([said(seq) for seq in (8, 9, 10)], dropped_to=7)
    assert not tail.holds_after(0) and tail.holds_after(7)
    book = ChatBook(TailLimits(messages=2, chars=100))
    entry = book.open(1, "a@x", VisitorKind.XMPP, "A", now=1.0)
    entry.tail = tail
    book.restore({}, [entry])
    assert [m.seq for m in entry.tail.messages] == [9, 10] and entry.tail.dropped_to == 8


def test_the_book_counts_every_message_and_keeps_the_first_visitor_message() -> None:
    book = ChatBook(TailLimits(messages=2, chars=100))
    entry = book.open(1, "a@x", VisitorKind.XMPP, "A", now=1.0)
    first = book.add_message(entry, Sender.VISITOR, "a@x", "hello", 1.0)
    for n in range(5):
        book.add_message(entry, Sender.OPERATOR, "op@x", f"answer {n}", 2.0)
        book.add_message(entry, Sender.VISITOR, "a@x", f"more {n}", 3.0)
    book.add_message(entry, Sender.SYSTEM, "desk", "notice", 4.0)
    assert (entry.visitor_messages, entry.operator_messages) == (6, 5)
    assert entry.first_visitor is first and first not in entry.tail.messages
    assert entry.next_seq == 13 and len(entry.tail.messages) == 2
