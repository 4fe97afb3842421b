"""The archive's texts a client without tables reads: a chat as one option of a list, and the
routing line of a transcript's header (texts.py)."""

from __future__ import annotations

from component import texts
from component.models import Chat, ChatState, Site, VisitorCard, VisitorKind

SITE = Site(1, "acme", "Acme")


def test_a_chat_choice_is_one_line_with_its_words_cut() -> None:
    assert (
        texts.chat_choice(2, "Ann", "Invoice\nlooks   doubled") == "2: Ann — Invoice looks doubled"
    )
    assert texts.chat_choice(3, "Bob", "") == "3: Bob"
    long = texts.chat_choice(4, "Cy", "word " * 40)
    assert long.endswith("…") and len(long) == len("4: Cy — ") + texts.CHOICE_WORDS_CHARS


def header(reason: str) -> str:
    chat = Chat(1, 7, "v@x", VisitorKind.XMPP, "V", ChatState.CLOSED, 0.0, route_reason=reason)
    return texts.archive_header(SITE, chat, VisitorCard())


def test_the_routing_line_says_routing_once() -> None:
    assert "\nRouting: assigned to a@x\n" in header("Routing: assigned to a@x\nRule: priority")
    assert "Routing: Routing:" not in header("Routing: assigned to a@x")
    assert "\nRouting: seeded\n" in header("seeded")  # text stored without the heading
    assert "Routing" not in header("")
