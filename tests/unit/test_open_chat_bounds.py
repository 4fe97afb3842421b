"""Open chats a site's visitors can make: capped per site (past the cap a new chat is refused and
nothing is opened), and a chat no operator ever answered, in which nobody wrote for a long time,
is closed, so strangers with many JIDs cannot keep chats open for good (a desk of fakes)."""

from __future__ import annotations

import pytest

from component.errors import HelpDeskError
from component.models import ChatState, VisitorKind
from tests.unit.fakes import ACME, make_world

DAY = 86_400.0


@pytest.mark.xfail(strict=True, reason="a site's open chats are unbounded")
def test_strangers_with_many_jids_cannot_open_more_than_the_sites_cap() -> None:
    world = make_world()  # nobody online: each chat goes to an offline operator and stays open
    refused = 0
    for n in range(1_200):
        try:
            world.desk.visitor_wrote("acme", f"s{n}@evil.test", VisitorKind.XMPP, "S", "hi")
        except HelpDeskError as error:
            assert error.condition == "resource-constraint"
            refused += 1
    assert len(world.desk.chats) <= 1_000 and refused == 1_200 - len(world.desk.chats)


@pytest.mark.xfail(strict=True, reason="an unanswered chat stays open for good")
def test_a_chat_nobody_answered_or_wrote_in_for_a_day_is_closed() -> None:
    world = make_world()
    world.desk.visitor_wrote("acme", "s@evil.test", VisitorKind.XMPP, "S", "hi")
    world.clock.advance(DAY + 120)
    world.desk.on_tick()
    assert world.desk.chats.of_visitor(ACME.id, "s@evil.test") is None
    closed = [c for c in world.archive.chats if c.number == 1][-1]
    assert closed.state is ChatState.CLOSED
