"""Who reads which feedback, how it is shown and paged (feedback_view.py), over the fake desk."""

from __future__ import annotations

import pytest

from component.desk.feedback_view import (
    FORM_BYTES,
    details,
    found,
    is_true,
    only_open,
    parse_number,
    plain,
    reader_of,
    row,
    text_pages,
)
from component.errors import InvalidInput, NotAllowed, UnknownFeedback, UnknownSite
from component.feedback import DoneOutcome, FeedbackEntry, done_text
from component.feedback_list import feedback_line
from component.models import VisitorKind
from component.records import FeedbackLeft
from component.transcript_pages import escaped_size
from tests.unit.fakes import ALICE, BOB, MALLORY, make_world

RLO = "\u202e"


def entry(site_id: int = 1, number: int = 3, text: str = "hello", **kw: str) -> FeedbackEntry:
    left = FeedbackLeft(site_id, number, 1_800_000_000.0, VisitorKind.WEB, text, **kw)  # type: ignore[arg-type]
    return FeedbackEntry(left)


def test_every_operator_of_the_site_reads_it_and_nobody_else() -> None:
    world = make_world()
    for operator in (ALICE, BOB):  # admin or not: feedback is the site's
        assert reader_of(world.desk, operator.jid, "acme").operator.jid == operator.jid
    for stranger in (MALLORY.jid, "eve@x.test"):
        with pytest.raises(NotAllowed):
            reader_of(world.desk, stranger, "acme")
    with pytest.raises(UnknownSite):
        reader_of(world.desk, ALICE.jid, "nosuch")


def test_another_sites_feedback_is_told_as_a_missing_one() -> None:
    reader = reader_of(make_world().desk, ALICE.jid, "acme")
    assert found(reader, entry(), 3).feedback.number == 3
    texts = []
    for other in (entry(site_id=2), None):
        with pytest.raises(UnknownFeedback) as refused:
            found(reader, other, 3)
        texts.append((refused.value.condition, str(refused.value)))
    assert texts[0] == texts[1] == ("item-not-found", "there is no feedback 3 at acme")


@pytest.mark.parametrize("typed", ["", "x", "0", "-1", "1.5", "１２", "12345678901", "acme.3"])
def test_a_number_that_is_none_is_unknown(typed: str) -> None:
    with pytest.raises(UnknownFeedback):
        parse_number(typed)


def test_numbers_states_and_booleans_are_read_as_typed() -> None:
    assert parse_number(" #12 ") == 12
    assert only_open("") and only_open("open") and not only_open("all")
    with pytest.raises(InvalidInput):
        only_open("closed")
    assert is_true("1") and is_true("True") and not is_true("0") and not is_true("")


def test_hostile_values_stay_one_line_of_text_and_the_text_stays_whole() -> None:
    hostile = f"<script>alert(1)</script> {RLO}evil\n\x01"
    shown = row(entry(text=hostile, name=f"Ann{RLO}\nBcc: x", page=f"https://x/{RLO}p"))
    assert shown["name"] == "Ann Bcc: x" and RLO not in shown["page"]
    assert "\n" not in shown["first_words"] and RLO not in shown["first_words"]
    assert plain(hostile) == hostile.replace("\x01", "\ufffd")  # nothing else changes
    labelled = dict((var, value) for var, _, value in details(entry(name=f"A{RLO}n"), "acme"))
    assert labelled["name"] == "An" and labelled["state"] == "open"


def test_a_long_text_comes_in_pages_that_fit_a_form() -> None:
    text = "\n".join(f"line {n} " + "<&>" * 40 for n in range(400))
    beside = ["x" * 2000]
    pages = text_pages(text, beside)
    assert len(pages) > 3
    assert all(escaped_size(page) + 2000 <= FORM_BYTES for page in pages)
    assert "\n".join(pages) == text
    assert text_pages("", beside) == [""]


def test_done_says_the_same_as_the_command_line() -> None:
    assert done_text("acme", 2, DoneOutcome.MARKED) == "feedback 2 of acme marked done"
    assert done_text("acme", 2, DoneOutcome.ALREADY) == "feedback 2 of acme was done already"
    done = FeedbackEntry(entry().feedback, done_at=1_800_000_100.0, done_by="bob@x.test")
    assert feedback_line(done).split("\t")[6] == "done 2027-01-15 08:01:40 UTC by bob@x.test"
