"""Stanzas held behind a transcript's gate, per (sender, recipient), released in order."""

from __future__ import annotations

from component.holds import Holds

PAIR = ("acme.1@help.test", "bob@x.test")
OTHER = ("acme.2@help.test", "bob@x.test")


def test_nothing_waits_without_a_gate() -> None:
    holds: Holds[str] = Holds()
    assert holds.admit(PAIR, "a") and not holds


def test_what_comes_after_a_gate_follows_its_pages() -> None:
    holds: Holds[str] = Holds()
    gate = holds.open(PAIR)
    assert not holds.admit(PAIR, "visitor 1")
    assert holds.admit(OTHER, "another chat")  # other pairs are not held
    assert holds.through(gate, "page 1") == ["page 1"]
    assert not holds.admit(PAIR, "visitor 2")
    assert holds.through(gate, "page 2") == ["page 2"]
    assert holds.held() == 2
    assert holds.release(gate) == ["visitor 1", "visitor 2"]
    assert not holds and holds.admit(PAIR, "after")


def test_a_second_gate_waits_for_the_first_one_and_keeps_its_pages_in_place() -> None:
    holds: Holds[str] = Holds()
    first = holds.open(PAIR)
    holds.admit(PAIR, "between")
    second = holds.open(PAIR)
    holds.admit(PAIR, "last")
    assert holds.through(second, "second's page") == []  # the first one is not out yet
    assert holds.through(first, "first's page") == ["first's page"]
    assert holds.release(first) == ["between", "second's page"]
    assert holds.through(second, "second's last page") == ["second's last page"]
    assert holds.release(second) == ["last"]
    assert not holds


def test_a_later_gate_released_first_lets_nothing_overtake_the_earlier_one() -> None:
    holds: Holds[str] = Holds()
    first = holds.open(PAIR)
    holds.admit(PAIR, "a")
    second = holds.open(PAIR)
    holds.admit(PAIR, "b")
    assert holds.release(second) == []
    assert holds.release(first) == ["a", "b"]
    assert not holds
