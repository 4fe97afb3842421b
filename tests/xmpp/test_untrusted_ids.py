"""Ids from outside are bounded, ids sent out tell nothing, sessions are per account."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from component.xmpp.adhoc_sessions import Sessions
from component.xmpp.outbox import SlixmppOut
from component.xmpp.stanzas import extras_of

NS = "jabber:component:accept"


class FakeStream:
    def __init__(self) -> None:
        self.written: list[str] = []

    def send_raw(self, data: str) -> None:
        self.written.append(data)


def test_a_receipt_request_with_an_over_long_id_is_not_remembered() -> None:
    huge = "x" * 100_000
    xml = ET.fromstring(
        f"<message xmlns='{NS}' id='{huge}' type='chat'><body>hi</body>"
        "<request xmlns='urn:xmpp:receipts'/></message>"
    )
    extras = extras_of(xml)
    assert extras is None or extras.request is None


def test_one_requesters_sessions_cannot_push_out_another_requesters_session() -> None:
    sessions = Sessions(capacity=1000)
    bobs = sessions.start("bob@globex.test/work", "globex.1@help.test", "transfer", "q")
    for n in range(1000):  # mallory holds acme.1; her server lets her use any resource
        sessions.start(f"mallory@evil.test/r{n}", "acme.1@help.test", "transfer", "q")
    found = sessions.find(bobs.id, "bob@globex.test/work", "globex.1@help.test", "transfer")
    assert found is bobs


def test_message_ids_do_not_tell_a_recipient_how_much_others_were_sent() -> None:
    out = SlixmppOut(FakeStream())
    out.connected()
    first = out.send_message("acme@help.test", "vera@v.test", "hello")
    for n in range(41):  # traffic of other sites, other chats
        out.send_message("globex.1@help.test", f"op{n}@x.test", "secret business")
    second = out.send_message("acme@help.test", "vera@v.test", "still there?")
    prefix, _, counter = first.rpartition("-")
    guessed = f"{prefix}-{int(counter) + 42}" if counter.isdigit() else None
    assert second != guessed
