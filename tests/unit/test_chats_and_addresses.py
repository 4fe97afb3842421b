"""Chat state machine, chat book and the address contract."""

from __future__ import annotations

import pytest

from component.addresses import Address, Addresses, AddressKind, is_bare_jid
from component.chats import ChatBook, TransitionError, transition
from component.models import ChatState, Sender, VisitorKind


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        ("", Address(AddressKind.SERVICE)),
        ("acme", Address(AddressKind.DESK, "acme")),
        ("my-site-2", Address(AddressKind.DESK, "my-site-2")),
        ("acme.12", Address(AddressKind.CHAT, "acme", 12)),
        ("acme.0", Address(AddressKind.INVALID)),
        ("acme.01", Address(AddressKind.INVALID)),
        ("acme.x", Address(AddressKind.INVALID)),
        ("ac.me.1", Address(AddressKind.INVALID)),
        ("a" * 33, Address(AddressKind.INVALID)),
        ("acme.12345678901", Address(AddressKind.INVALID)),
    ],
)
def test_addresses_parse(local: str, expected: Address) -> None:
    assert Addresses("d.test").parse(local) == expected


def test_addresses_build() -> None:
    addresses = Addresses("d.test")
    assert addresses.desk("acme") == "acme@d.test"
    assert addresses.chat("acme", 3) == "acme.3@d.test"


@pytest.mark.parametrize(
    ("jid", "ok"),
    [
        ("alice@example.com", True),
        ("alice@example.com/res", False),
        ("example.com", False),
        ("a b@example.com", False),
        ("a@b@c", False),
        ("'; DROP@x", False),
        ("a" * 250 + "@example.com", False),
    ],
)
def test_bare_jids(jid: str, ok: bool) -> None:
    assert is_bare_jid(jid) is ok


def test_state_machine() -> None:
    book = ChatBook()
    entry = book.open(1, "v@x", VisitorKind.XMPP, "V", now=10.0)
    assigned = transition(entry.chat, ChatState.ASSIGNED, 11.0, "op@x")
    assert (assigned.operator, assigned.assigned_at) == ("op@x", 11.0)
    closed = transition(assigned, ChatState.CLOSED, 12.0)
    assert closed.closed_at == 12.0
    with pytest.raises(TransitionError):
        transition(closed, ChatState.ASSIGNED, 13.0, "op@x")
    with pytest.raises(TransitionError):
        transition(entry.chat, ChatState.ASSIGNED, 13.0)


def test_book_numbers_load_queue_and_close() -> None:
    book = ChatBook()
    book.restore({1: 41}, [])
    first = book.open(1, "a@x", VisitorKind.XMPP, "A", now=1.0)
    second = book.open(1, "b@x", VisitorKind.XMPP, "B", now=2.0)
    other_site = book.open(2, "a@x", VisitorKind.XMPP, "A", now=3.0)
    assert (first.chat.number, second.chat.number, other_site.chat.number) == (42, 43, 1)
    assert [e.chat.number for e in book.queued(1)] == [42, 43]
    book.set_state(first, transition(first.chat, ChatState.ASSIGNED, 4.0, "op@x"))
    assert book.open_count(1, "op@x") == 1 and book.open_count(2, "op@x") == 0
    assert [e.chat.number for e in book.queued(1)] == [43]
    book.set_state(first, transition(first.chat, ChatState.CLOSED, 5.0))
    assert book.open_count(1, "op@x") == 0
    assert book.get(1, 42) is None and book.existed(1, 42) and not book.existed(1, 44)
    assert book.of_visitor(1, "a@x") is None
    assert book.of_visitor(2, "a@x") is other_site


def test_messages_are_numbered_per_chat() -> None:
    book = ChatBook()
    entry = book.open(1, "a@x", VisitorKind.XMPP, "A", now=1.0)
    seqs = [book.add_message(entry, Sender.VISITOR, "a@x", str(i), 1.0).seq for i in range(3)]
    assert seqs == [1, 2, 3] and len(entry.tail.messages) == 3
