"""The text outbox: well-formed, escaped stanzas with `from`, held in order while disconnected."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from component.desk.ports import PresenceType
from component.models import Receipt, Typing
from component.xmpp.outbox import SlixmppOut
from component.xmpp.stanzas import CHATSTATES_NS, MARKERS_NS, RECEIPTS_NS


class FakeStream:
    def __init__(self) -> None:
        self.written: list[str] = []

    def send_raw(self, data: str) -> None:
        self.written.append(data)


def parse(data: str) -> ET.Element:
    return ET.fromstring(data)


def test_message_is_escaped_and_carries_from_and_nick() -> None:
    stream = FakeStream()
    out = SlixmppOut(stream)
    out.connected()
    out.send_message("acme.1@d", "op@x", "<b>&'\"</b>\x00", nick='Bob "<x>" (acme)')
    element = parse(stream.written[0])
    assert element.get("from") == "acme.1@d" and element.get("to") == "op@x"
    assert element.get("type") == "chat" and element.get("id")
    assert element.findtext("body") == "<b>&'\"</b>\ufffd"
    nick = element.find("{http://jabber.org/protocol/nick}nick")
    assert nick is not None and nick.text == 'Bob "<x>" (acme)'


@pytest.mark.parametrize(
    ("kind", "ptype"), [(PresenceType.AVAILABLE, None), (PresenceType.PROBE, "probe")]
)
def test_presence(kind: PresenceType, ptype: str | None) -> None:
    stream = FakeStream()
    out = SlixmppOut(stream)
    out.connected()
    out.send_presence("acme@d", "op@x", kind)
    element = parse(stream.written[0])
    assert (element.tag, element.get("from"), element.get("type")) == ("presence", "acme@d", ptype)


def test_presence_status_is_escaped() -> None:
    stream = FakeStream()
    out = SlixmppOut(stream)
    out.connected()
    out.send_presence("acme@d", "op@x", PresenceType.AVAILABLE, status="3 <waiting> & \x01")
    element = parse(stream.written[0])
    assert element.get("type") is None and element.findtext("status") == "3 <waiting> & \ufffd"


def test_held_while_disconnected_then_sent_in_order() -> None:
    stream = FakeStream()
    out = SlixmppOut(stream, max_pending=3)
    for i in range(4):
        out.send_message("a@d", "b@x", f"m{i}")
    assert stream.written == []
    out.connected()
    assert [parse(s).findtext("body") for s in stream.written] == ["m1", "m2", "m3"]
    out.disconnected()
    out.send_message("a@d", "b@x", "later")
    assert len(stream.written) == 3


def test_a_relayed_message_carries_the_chat_state_and_asks_for_receipts() -> None:
    stream = FakeStream()
    out = SlixmppOut(stream)
    out.connected()
    both = frozenset({Receipt.DELIVERED, Receipt.READ})
    message_id = out.send_message("acme.1@d", "op@x", "hi", typing=Typing.COMPOSING, ask=both)
    element = parse(stream.written[0])
    assert element.get("id") == message_id
    assert element.find(f"{{{CHATSTATES_NS}}}composing") is not None
    assert element.find(f"{{{RECEIPTS_NS}}}request") is not None
    assert element.find(f"{{{MARKERS_NS}}}markable") is not None
    out.send_message("acme.1@d", "op@x", "plain")
    plain = parse(stream.written[1])
    assert [child.tag for child in plain] == ["body"]


def test_message_ids_differ_between_runs_of_the_component() -> None:
    first, second = SlixmppOut(FakeStream()), SlixmppOut(FakeStream())
    assert first.send_message("a@d", "b@x", "m") != second.send_message("a@d", "b@x", "m")


def test_a_chat_state_alone_is_a_bodiless_message_not_stored_offline() -> None:
    stream = FakeStream()
    out = SlixmppOut(stream)
    out.connected()
    out.send_typing("acme@d", "v@x", Typing.PAUSED)
    element = parse(stream.written[0])
    assert (element.get("from"), element.get("to"), element.get("type")) == (
        "acme@d",
        "v@x",
        "chat",
    )
    assert element.find("body") is None
    assert element.find(f"{{{CHATSTATES_NS}}}paused") is not None
    assert element.find("{urn:xmpp:hints}no-store") is not None


@pytest.mark.parametrize(
    ("kind", "tag"),
    [
        (Receipt.DELIVERED, f"{{{RECEIPTS_NS}}}received"),
        (Receipt.READ, f"{{{MARKERS_NS}}}displayed"),
    ],
)
def test_a_receipt_names_the_acknowledged_message(kind: Receipt, tag: str) -> None:
    stream = FakeStream()
    out = SlixmppOut(stream)
    out.connected()
    out.send_receipt("acme@d", "v@x", "v'1", kind)
    element = parse(stream.written[0])
    assert (element.get("from"), element.get("to")) == ("acme@d", "v@x")
    acked = element.find(tag)
    assert acked is not None and acked.get("id") == "v'1"


def test_a_hold_keeps_what_goes_to_that_operator_from_that_chat_behind_the_transcript() -> None:
    stream = FakeStream()
    out = SlixmppOut(stream)
    out.connected()
    gate = out.hold("acme.1@d", "bob@x")
    out.send_message("acme.1@d", "bob@x", "visitor's next words", ask=frozenset(Receipt))
    out.send_typing("acme.1@d", "bob@x", Typing.COMPOSING)
    out.send_message("acme.2@d", "bob@x", "another chat goes at once")
    out.send_message("acme.1@d", "alice@x", "another operator too")
    out.send_through(gate, "transcript, part 1", nick="Vera (acme)")
    out.send_through(gate, "transcript, part 2")
    assert [parse(d).findtext("body") for d in stream.written] == [
        "another chat goes at once",
        "another operator too",
        "transcript, part 1",
        "transcript, part 2",
    ]
    first_page = parse(stream.written[2])
    assert first_page.get("from") == "acme.1@d" and first_page.get("to") == "bob@x"
    assert first_page.find("{http://jabber.org/protocol/nick}nick") is not None
    out.release(gate)
    held = [parse(d) for d in stream.written[4:]]
    assert held[0].findtext("body") == "visitor's next words"
    assert held[0].find(f"{{{RECEIPTS_NS}}}request") is not None  # as it was asked for
    assert held[1].find(f"{{{CHATSTATES_NS}}}composing") is not None
    out.send_message("acme.1@d", "bob@x", "after the release")
    assert parse(stream.written[-1]).findtext("body") == "after the release"


def test_held_stanzas_released_while_disconnected_wait_in_order() -> None:
    stream = FakeStream()
    out = SlixmppOut(stream)
    gate = out.hold("acme.1@d", "bob@x")
    out.send_message("acme.1@d", "bob@x", "held")
    out.send_through(gate, "page")
    out.release(gate)
    assert stream.written == []
    out.connected()
    assert [parse(d).findtext("body") for d in stream.written] == ["page", "held"]


def test_a_message_told_later_carries_its_delay_stamp_from_the_sender() -> None:
    stream = FakeStream()
    out = SlixmppOut(stream)
    out.connected()
    out.send_message("acme@d", "op@x", "feedback left earlier", delay=1_767_225_600.1234)
    delay = parse(stream.written[0]).find("{urn:xmpp:delay}delay")
    assert delay is not None
    assert (delay.get("stamp"), delay.get("from")) == ("2026-01-01T00:00:00.123Z", "acme@d")
    out.send_message("acme@d", "op@x", "said now")
    assert parse(stream.written[1]).find("{urn:xmpp:delay}delay") is None
