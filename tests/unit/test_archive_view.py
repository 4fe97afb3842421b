"""Who reads which chats of the archive, and how `recent` pages (archive_view.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from component.desk.archive_view import Scope, parse_number, turn, visible
from component.errors import UnknownChat
from component.models import Chat, ChatState, Site, VisitorKind

SITE = Site(1, "acme", "Acme")


def chat(operator: str | None, site_id: int = 1) -> Chat:
    return Chat(site_id, 7, "v@x", VisitorKind.XMPP, "V", ChatState.CLOSED, 0.0, operator)


def test_a_restricted_scope_sees_own_chats_only_and_others_look_missing() -> None:
    own = Scope(SITE, "bob@x", "bob@x")
    assert visible(own, chat("bob@x"), 7).operator == "bob@x"
    for hidden in (chat("alice@x"), chat(None), chat("bob@x", site_id=2), None):
        with pytest.raises(UnknownChat, match=r"there is no chat acme\.7"):
            visible(own, hidden, 7)


def test_an_unrestricted_scope_sees_every_chat_of_its_site_only() -> None:
    everything = Scope(SITE, "admin@x", None)
    assert visible(everything, chat("alice@x"), 7)
    assert visible(everything, chat(None), 7)
    with pytest.raises(UnknownChat):
        visible(everything, replace(chat("alice@x"), site_id=2), 7)


def test_paging_moves_by_a_page_and_stays_within_bounds() -> None:
    assert turn(0, "next", True) == 20
    assert turn(20, "next", False) == 20
    assert turn(20, "prev", False) == 0
    assert turn(0, "prev", True) == 0
    assert turn(40, "execute", True) == 40


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("12", 12),
        ("#12", 12),
        ("acme.12", 12),
        ("ACME.12", 12),
        ("x", None),
        ("globex.12", None),
        ("", None),
    ],
)
def test_chat_numbers_are_read_as_typed(typed: str, number: int | None) -> None:
    assert parse_number(typed, "acme") == number


@pytest.mark.parametrize("typed", ["²", "³1", "1.5", "7.12", "acme.1.5"])
def test_what_is_no_chat_number_reads_as_none(typed: str) -> None:
    """Superscript digits made int() raise (the command failed with internal-server-error), and
    any dotted text read the chat of its last part (`1.5` read chat 5)."""
    assert parse_number(typed, "acme") is None
