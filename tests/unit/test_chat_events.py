"""The web chats' event logs: archive seqs kept in order, live events on top, bounded memory."""

from __future__ import annotations

import random

from component.chat_events import ChatEvents

KEY = (1, 7)


def test_kept_events_keep_the_archive_seq_in_order_and_after_skips_seen_ones() -> None:
    events = ChatEvents()
    events.keep(KEY, 3, "message", 10.0, text="you are number 1")
    events.keep(KEY, 1, "message", 9.0, text="hello")  # the visitor's own, stored just after
    log = events.log(KEY)
    assert log is not None
    assert [e.seq for e in log.after(0)] == [1, 3]
    assert [e.seq for e in log.after(1)] == [3]
    assert log.after(3) == []


def test_live_events_carry_the_latest_kept_seq_and_are_not_stored() -> None:
    events = ChatEvents()
    assert events.live(KEY, "typing", 1.0, state="composing") is None  # no such chat
    events.keep(KEY, 4, "message", 1.0, text="hi")
    typing = events.live(KEY, "typing", 2.0, state="composing")
    assert typing is not None and typing.seq == 4
    log = events.log(KEY)
    assert log is not None and [e.type for e in log.events] == ["message"]


def test_closed_takes_the_next_seq_and_nothing_live_follows() -> None:
    events = ChatEvents()
    events.keep(KEY, 5, "message", 1.0, text="bye")
    assert events.close(KEY, 6, 2.0).seq == 7  # seq 6: archived, not for the visitor
    assert events.live(KEY, "typing", 3.0, state="paused") is None


def test_logs_of_closed_chats_go_after_the_grace_period_open_ones_stay() -> None:
    events = ChatEvents(grace=60.0)
    events.keep((1, 1), 1, "message", 0.0, text="open")
    events.close((1, 2), 0, 100.0)
    assert events.expire(159.0) == 0
    assert events.expire(160.0) == 1
    assert events.log((1, 2)) is None and events.log((1, 1)) is not None


def test_a_chat_keeps_at_most_its_cap_newest_first() -> None:
    events = ChatEvents(cap=3)
    for seq in range(1, 6):
        events.keep(KEY, seq, "message", float(seq), text=str(seq))
    log = events.log(KEY)
    assert log is not None and [e.seq for e in log.events] == [3, 4, 5]


def test_json_shape() -> None:
    event = ChatEvents().keep(KEY, 2, "message", 0.5, **{"from": "operator", "text": "hi"})
    assert event.to_json() == {
        "seq": 2,
        "type": "message",
        "at": "1970-01-01T00:00:00.500Z",
        "from": "operator",
        "text": "hi",
    }


def test_events_kept_in_any_order_stay_in_seq_order_and_equal_seqs_in_arrival_order() -> None:
    rng = random.Random(7)
    events = ChatEvents(cap=40)
    kept: list[tuple[int, int]] = []  # (seq, arrival) as a stable sort of everything would keep
    for arrival in range(200):
        seq = rng.randrange(60) if arrival % 3 else arrival  # mostly the newest, some late
        events.keep(KEY, seq, "message", float(arrival), n=arrival)
        kept = sorted([*kept, (seq, arrival)], key=lambda pair: pair[0])[-40:]
        log = events.log(KEY)
        assert log is not None
        assert [(e.seq, e.fields["n"]) for e in log.events] == kept
        after = rng.randrange(220)
        assert [e.seq for e in log.after(after)] == [s for s, _ in kept if s > after]
