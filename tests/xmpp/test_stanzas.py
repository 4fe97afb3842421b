"""Reading chat states, receipt requests and acknowledgements out of incoming messages."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from component.models import AckRequest, Receipt, Typing
from component.xmpp.stanzas import extras_of

NS = "jabber:component:accept"


def message(inner: str, mid: str = "m1") -> ET.Element:
    return ET.fromstring(f"<message xmlns='{NS}' id='{mid}' type='chat'>{inner}</message>")


def test_a_plain_message_has_no_extras() -> None:
    assert extras_of(message("<body>hi</body><thread>t</thread>")) is None


def test_chat_state_and_what_the_author_asks_for() -> None:
    extras = extras_of(
        message(
            "<body>hi</body><active xmlns='http://jabber.org/protocol/chatstates'/>"
            "<request xmlns='urn:xmpp:receipts'/><markable xmlns='urn:xmpp:chat-markers:0'/>"
        )
    )
    assert extras is not None and extras.typing is Typing.ACTIVE and extras.acks == []
    assert extras.request == AckRequest("m1", frozenset({Receipt.DELIVERED, Receipt.READ}))


def test_a_request_without_an_id_cannot_be_acknowledged() -> None:
    extras = extras_of(message("<body>hi</body><request xmlns='urn:xmpp:receipts'/>", mid=""))
    assert extras is not None and extras.request is None


def test_receipts_and_markers_name_the_acknowledged_messages() -> None:
    extras = extras_of(
        message(
            "<received xmlns='urn:xmpp:receipts' id='a'/>"
            "<received xmlns='urn:xmpp:chat-markers:0' id='b'/>"
            "<displayed xmlns='urn:xmpp:chat-markers:0' id='c'/>"
            "<displayed xmlns='urn:xmpp:chat-markers:0'/>"
        )
    )
    assert extras is not None and extras.typing is None and extras.request is None
    assert extras.acks == [("a", Receipt.DELIVERED), ("b", Receipt.DELIVERED), ("c", Receipt.READ)]
