"""The web chats' event logs: archive seqs kept in order, live events on top, bounded memory."""

from __future__ import annotations

import random

from component.chat_events import (
    MAX_CHARS_PER_CHAT,
    ChatEvents,
    ChatHistory,
    Event,
    event_of,
    events_of,
)
from component.models import Message, Notice, Sender

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


# -- archived messages as events, and logs rebuilt from a chat's history ---------------------------


def said(
    seq: int, sender: Sender, body: str, notice: Notice = Notice.NONE, detail: str = ""
) -> Message:
    return Message(1, 7, seq, 100.0 + seq, sender, "alice@x.test", body, notice, detail)


def name_of(jid: str) -> str:
    return {"alice@x.test": "Alice"}.get(jid, "")


AVATAR = "https://help.example/api/v1/sites/acme/avatar"


def test_each_archived_message_shows_as_its_event_or_not_at_all() -> None:
    shown = [
        event_of(said(1, Sender.VISITOR, "hi"), name_of, AVATAR),
        event_of(
            said(2, Sender.SYSTEM, "Assigned to Alice", Notice.ASSIGNED, "Alice"), name_of, AVATAR
        ),
        event_of(said(3, Sender.SYSTEM, "You are number 2", Notice.QUEUE, "2"), name_of, None),
        event_of(said(4, Sender.OPERATOR, "hello"), name_of, AVATAR),
        event_of(said(5, Sender.SYSTEM, "No operator is online", Notice.TEXT), name_of, AVATAR),
    ]
    assert [e.to_json() if e else None for e in shown] == [
        {
            "seq": 1,
            "type": "message",
            "at": "1970-01-01T00:01:41.000Z",
            "from": "visitor",
            "text": "hi",
        },
        {
            "seq": 2,
            "type": "operator",
            "at": "1970-01-01T00:01:42.000Z",
            "name": "Alice",
            "avatar": AVATAR,
        },
        {"seq": 3, "type": "queue", "at": "1970-01-01T00:01:43.000Z", "position": 2},
        {
            "seq": 4,
            "type": "message",
            "at": "1970-01-01T00:01:44.000Z",
            "from": "operator",
            "text": "hello",
            "operator": "Alice",
        },
        {
            "seq": 5,
            "type": "message",
            "at": "1970-01-01T00:01:45.000Z",
            "from": "system",
            "text": "No operator is online",
        },
    ]


def test_notes_for_operators_and_words_for_plain_text_clients_are_not_web_events() -> None:
    for notice in (Notice.NONE, Notice.NEW_OPERATOR):
        assert event_of(said(3, Sender.SYSTEM, "x", notice), name_of, None) is None


def test_a_closed_chats_history_ends_with_closed_after_its_last_message_of_all() -> None:
    history = ChatHistory([said(1, Sender.VISITOR, "hi")], last_seq=3, closed_at=200.0)
    assert [(e.seq, e.type) for e in events_of(history, name_of, None)] == [
        (1, "message"),
        (4, "closed"),
    ]


def test_an_open_chats_history_is_its_shown_messages_newest_cap() -> None:
    tail = [
        said(1, Sender.VISITOR, "hi"),
        said(2, Sender.SYSTEM, "Assigned", Notice.ASSIGNED, "Alice"),
        said(3, Sender.SYSTEM, "closed by", Notice.NONE),
        said(4, Sender.OPERATOR, "hello"),
    ]
    history = ChatHistory.of_tail(tail, 0, 4, limit=2)
    assert history is not None
    assert [m.seq for m in history.shown] == [2, 4] and history.closed_at is None


def test_a_tail_that_lacks_older_messages_answers_only_what_it_holds() -> None:
    tail = [said(seq, Sender.VISITOR, f"m{seq}") for seq in (6, 7, 8)]  # 1 to 5 left out
    assert ChatHistory.of_tail(tail, 5, 8, limit=10) is None  # the newest 10: not all here
    newest = ChatHistory.of_tail(tail, 5, 8, limit=2)
    assert newest is not None and [m.seq for m in newest.shown] == [7, 8]
    assert newest.missing_to(2) == 6  # older ones come from the archive, page by page
    assert ChatHistory.of_tail(tail, 5, 8, limit=10, after=4) is None
    later = ChatHistory.of_tail(tail, 5, 8, limit=10, after=5)
    assert later is not None and [m.seq for m in later.shown] == [6, 7, 8]


def test_an_archived_message_is_kept_once_whichever_way_it_came() -> None:
    events = ChatEvents()
    live = events.keep(KEY, 5, "message", 1.0, text="after the restart")
    rebuilt = [
        Event(3, "message", 0.5, {"text": "before"}),
        Event(5, "message", 1.0, {"text": "after the restart"}),
    ]
    log = events.restore(KEY, rebuilt)
    assert [e.seq for e in log.events] == [3, 5] and log.complete
    events.add(KEY, live)
    assert [e.seq for e in log.after(0)] == [3, 5] and log.last_seq == 5


def test_a_log_built_from_live_events_alone_is_not_complete() -> None:
    events = ChatEvents()
    events.keep(KEY, 9, "message", 1.0, text="after a restart")
    log = events.log(KEY)
    assert log is not None and not log.complete


def test_the_cap_remembers_up_to_which_seq_the_log_lacks_events() -> None:
    events = ChatEvents(cap=2)
    for seq in (1, 3, 4):
        events.keep((1, 1), seq, "message", 0.0)
    log = events.log((1, 1))
    assert log is not None and [e.seq for e in log.events] == [3, 4]
    assert log.missing_to == 1 and not log.holds(0) and log.holds(1)
    rebuilt = events.restore((1, 2), [Event(7, "message", 0.0)], missing_to=6)
    assert rebuilt.missing_to == 6 and not rebuilt.holds(5)


def test_events_kept_in_any_order_stay_in_seq_order_once_each_within_the_cap() -> None:
    rng = random.Random(7)
    events = ChatEvents(cap=40)
    seen: dict[int, int] = {}  # seq -> the arrival that holds it (a seq again replaces it)
    for arrival in range(200):
        seq = rng.randrange(60) if arrival % 3 else arrival  # mostly the newest, some late
        events.keep(KEY, seq, "message", float(arrival), n=arrival)
        seen[seq] = arrival
        log = events.log(KEY)
        assert log is not None
        kept = sorted(seen.items())[-40:]
        assert [(e.seq, e.fields["n"]) for e in log.events] == kept
        after = rng.randrange(220)
        assert [e.seq for e in log.after(after)] == [s for s, _ in kept if s > after]
        for seq_dropped in [s for s in seen if s < kept[0][0]]:
            del seen[seq_dropped]  # the cap dropped it: the log lacks it from now on
            assert log.missing_to >= seq_dropped


def _text_held(events: ChatEvents, key: tuple[int, int]) -> int:
    log = events.log(key)
    assert log is not None
    return sum(len(str(e.fields.get("text", ""))) for e in log.events)


def test_a_chat_of_long_messages_keeps_a_bounded_amount_of_text() -> None:
    events = ChatEvents()  # the default caps, as every web chat has them
    for seq in range(1, 501):  # 500 messages of 10,000 characters (limits.max_body_chars)
        events.keep(KEY, seq, "message", float(seq), text="x" * 10_000)
    assert _text_held(events, KEY) <= MAX_CHARS_PER_CHAT  # not 5,000,000 characters
    log = events.log(KEY)
    assert log is not None and log.events[-1].seq == 500  # the newest stays
    assert not log.holds(log.events[0].seq - 1 - 1)  # older ones are read from the history
    assert log.holds(log.events[0].seq - 1)
