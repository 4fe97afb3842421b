"""Ad-hoc command sessions: bound to who started them, where and for what; they expire, and the
store is capped, so it never only grows."""

from __future__ import annotations

import pytest

from component.xmpp.adhoc_sessions import ForeignSession, Sessions, UnknownSession

ALICE = "alice@x.test/laptop"
CHAT = "acme.1@help.test"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_session_is_found_by_the_requester_who_started_it_only() -> None:
    sessions = Sessions(Clock())
    started = sessions.start(ALICE, CHAT, "transfer", context="the question")
    assert len(started.id) >= 20  # unguessable
    found = sessions.find(started.id, ALICE, CHAT, "transfer")
    assert found is started and found.context == "the question"
    for thief in ("eve@x.test/phone", "alice@x.test/phone", "alice@x.test"):
        with pytest.raises(ForeignSession):
            sessions.find(started.id, thief, CHAT, "transfer")
    assert sessions.find(started.id, ALICE, CHAT, "transfer") is started  # a theft ends nothing


@pytest.mark.parametrize(("target", "node"), [("acme.2@help.test", "transfer"), (CHAT, "close")])
def test_a_session_is_bound_to_its_address_and_command(target: str, node: str) -> None:
    sessions = Sessions(Clock())
    started = sessions.start(ALICE, CHAT, "transfer")
    with pytest.raises(UnknownSession):
        sessions.find(started.id, ALICE, target, node)


def test_unknown_and_ended_sessions_are_not_found() -> None:
    sessions = Sessions(Clock())
    with pytest.raises(UnknownSession):
        sessions.find("nope", ALICE, CHAT, "transfer")
    started = sessions.start(ALICE, CHAT, "transfer")
    sessions.end(started.id)
    sessions.end(started.id)  # twice is harmless
    with pytest.raises(UnknownSession):
        sessions.find(started.id, ALICE, CHAT, "transfer")
    assert len(sessions) == 0


def test_sessions_expire() -> None:
    clock = Clock()
    sessions = Sessions(clock, lifetime=600.0)
    old = sessions.start(ALICE, CHAT, "transfer")
    clock.now += 599.0
    assert sessions.find(old.id, ALICE, CHAT, "transfer") is old
    clock.now += 1.0
    with pytest.raises(UnknownSession):
        sessions.find(old.id, ALICE, CHAT, "transfer")
    assert len(sessions) == 0


def test_expired_sessions_are_dropped_when_others_start() -> None:
    clock = Clock()
    sessions = Sessions(clock, lifetime=10.0)
    for n in range(5):
        sessions.start(f"op{n}@x.test/r", CHAT, "transfer")
    clock.now += 10.0
    sessions.start(ALICE, CHAT, "transfer")
    assert len(sessions) == 1


def test_the_store_is_capped_and_drops_the_oldest() -> None:
    clock = Clock()
    sessions = Sessions(clock, capacity=3)
    first = sessions.start("a@x.test/r", CHAT, "transfer")
    kept = [sessions.start(f"{n}@x.test/r", CHAT, "transfer") for n in "bcd"]
    assert len(sessions) == 3
    with pytest.raises(UnknownSession):
        sessions.find(first.id, "a@x.test/r", CHAT, "transfer")
    for session in kept:
        assert sessions.find(session.id, session.owner, CHAT, "transfer") is session


def test_starting_again_replaces_the_requesters_session_for_the_same_command() -> None:
    sessions = Sessions(Clock())
    first = sessions.start(ALICE, CHAT, "transfer")
    second = sessions.start(ALICE, CHAT, "transfer")
    other_chat = sessions.start(ALICE, "acme.2@help.test", "transfer")
    assert len(sessions) == 2
    with pytest.raises(UnknownSession):
        sessions.find(first.id, ALICE, CHAT, "transfer")
    assert sessions.find(second.id, ALICE, CHAT, "transfer") is second
    assert sessions.find(other_chat.id, ALICE, "acme.2@help.test", "transfer") is other_chat
