"""A live WebSocket's Subscription of WebVisitors: wake-ups in order, bounded, gone after
its block."""

from __future__ import annotations

import pytest

from component.chat_events import Event
from component.models import Message, Sender
from component.web.visitors import WebVisitors
from tests.unit.fakes import ACME, Clock

KEY, OTHER = (ACME.id, 1), (ACME.id, 2)


def typing(seq: int) -> Event:
    return Event(seq, "typing", 0.0, {"state": "composing"})


def test_each_wake_up_calls_wake_and_is_taken_in_order() -> None:
    visitors, woken = WebVisitors(Clock()), []
    with visitors.subscribe(KEY, lambda: woken.append(1), limit=3) as subscription:
        assert not subscription.pending
        subscription.notify(None)
        subscription.notify(typing(0))
        assert len(woken) == 2 and subscription.pending
        assert subscription.take() is None
        assert subscription.take() == typing(0)
        assert not subscription.pending
        with pytest.raises(IndexError):
            subscription.take()
        subscription.notify(None)  # pending again after it was drained
        assert subscription.pending and not subscription.overflowed


def test_past_its_limit_an_overflow_is_flagged_and_nothing_more_kept() -> None:
    visitors, woken = WebVisitors(Clock()), []
    with visitors.subscribe(KEY, lambda: woken.append(1), limit=2) as subscription:
        for seq in range(4):
            subscription.notify(typing(seq))
        assert subscription.overflowed and len(woken) == 2
        assert [subscription.take(), subscription.take()] == [typing(0), typing(1)]
        assert not subscription.pending


def test_the_chats_wake_ups_reach_it_only_inside_its_block() -> None:
    visitors, woken = WebVisitors(Clock()), []
    subscription = visitors.subscribe(KEY, lambda: woken.append(KEY))
    with subscription, visitors.subscribe(OTHER, lambda: woken.append(OTHER)):
        assert visitors.subscribed_chats() == 2
        visitors.visitor_said(ACME, said(KEY))
        assert woken == [KEY] and subscription.take() is None  # the log changed
    assert visitors.subscribed_chats() == 0
    visitors.visitor_said(ACME, said(KEY))
    assert woken == [KEY] and not subscription.pending


def said(key: tuple[int, int]) -> Message:
    return Message(*key, 1, 1.0, Sender.VISITOR, "visitor", "hi")
