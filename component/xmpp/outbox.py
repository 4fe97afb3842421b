"""The XmppOut port over a slixmpp stream: every stanza carries an explicit `from`."""

from __future__ import annotations

from typing import Any

from component.ports import PresenceType

NICK_NS = "http://jabber.org/protocol/nick"


class SlixmppOut:
    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def send_message(
        self, sender: str, recipient: str, body: str, *, nick: str | None = None
    ) -> None:
        message = self._stream.make_message(mto=recipient, mbody=body, mtype="chat", mfrom=sender)
        if nick:
            message["nick"]["nick"] = nick
        message.send()

    def send_presence(self, sender: str, recipient: str, kind: PresenceType) -> None:
        ptype = None if kind is PresenceType.AVAILABLE else kind.value
        self._stream.make_presence(pto=recipient, pfrom=sender, ptype=ptype).send()
