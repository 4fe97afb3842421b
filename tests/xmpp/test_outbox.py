"""The text outbox: well-formed, escaped stanzas with `from`, held in order while disconnected."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from component.desk.ports import PresenceType
from component.xmpp.outbox import SlixmppOut


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
