"""Reading chat states, receipt requests and acknowledgements out of incoming messages, and the
error replies."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from slixmpp import ComponentXMPP, Message

from component.models import AckRequest, Receipt, Typing
from component.xmpp.stanzas import extras_of, send_error

NS = "jabber:component:accept"
STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"


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


def _refused(condition: str) -> ET.Element:
    """The error element of the reply send_error sends on a real (unconnected) component."""
    component, sent = ComponentXMPP("help.test", "secret", "127.0.0.1", 5347), []
    component.send = sent.append
    incoming = Message(component, message("<body>hi</body>"))
    incoming["from"], incoming["to"] = "vera@v.test/phone", "acme@help.test"
    send_error(incoming, condition, "why")
    (reply,) = sent
    assert reply["from"] == "acme@help.test" and reply["to"] == "vera@v.test/phone"
    error = reply["error"].xml
    assert error.findtext(f"{{{STANZAS}}}text") == "why"
    return error


def test_an_error_condition_slixmpp_does_not_know_is_written_all_the_same() -> None:
    error = _refused("policy-violation")  # RFC 6120; slixmpp 1.17 knows RFC 3920's only
    conditions = [child.tag for child in error if child.tag != f"{{{STANZAS}}}text"]
    assert conditions == [f"{{{STANZAS}}}policy-violation"]
    assert error.get("type") == "wait"


def test_a_known_condition_is_written_once() -> None:
    error = _refused("item-not-found")
    conditions = [child.tag for child in error if child.tag != f"{{{STANZAS}}}text"]
    assert conditions == [f"{{{STANZAS}}}item-not-found"]
    assert error.get("type") == "cancel"
