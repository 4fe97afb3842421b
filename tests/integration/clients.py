"""Real XMPP clients (slixmpp) for the integration tests: visitors, operators, strangers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from slixmpp import ClientXMPP
from slixmpp.exceptions import IqError
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher.base import MatcherBase

COMMANDS_NS = "http://jabber.org/protocol/commands"
DEFAULT_TIMEOUT = 15.0
QUIET_SECONDS = 0.5
"""How long `expect_no_more` waits for a late extra message."""

CHATSTATES_NS = "http://jabber.org/protocol/chatstates"
RECEIPTS_NS = "urn:xmpp:receipts"
MARKERS_NS = "urn:xmpp:chat-markers:0"
CHAT_STATES = ("active", "composing", "paused", "inactive", "gone")
SIGNAL_NAMES = {
    **{f"{{{CHATSTATES_NS}}}{state}": state for state in CHAT_STATES},
    f"{{{RECEIPTS_NS}}}received": "received",
    f"{{{MARKERS_NS}}}received": "marker-received",
    f"{{{MARKERS_NS}}}displayed": "displayed",
}
ACKS = {
    "received": f"<received xmlns='{RECEIPTS_NS}' id=%s/>",
    "marker-received": f"<received xmlns='{MARKERS_NS}' id=%s/>",
    "displayed": f"<displayed xmlns='{MARKERS_NS}' id=%s/>",
}


STANZAS_NS = "urn:ietf:params:xml:ns:xmpp-stanzas"
DELAY_NS = "urn:xmpp:delay"


def error_condition(msg: Any) -> str:
    """An error's defined condition, read from the XML: slixmpp 1.17 reads only RFC 3920's, so
    RFC 6120's policy-violation would be ""."""
    for child in msg["error"].xml:
        name = child.tag.removeprefix(f"{{{STANZAS_NS}}}")
        if name not in (child.tag, "text"):
            return str(name)
    return ""


@dataclass(frozen=True)
class Received:
    sender: str
    body: str
    type: str
    nick: str = ""
    error_condition: str = ""
    error_text: str = ""
    error_type: str = ""
    """The error's type: cancel, wait, modify, auth."""
    id: str = ""
    typing: str = ""
    """The chat state that came with the words, if any."""
    request: bool = False
    """It asks for a delivery receipt (XEP-0184)."""
    markable: bool = False
    """It asks for chat markers (XEP-0333)."""
    delay: str = ""
    """Its XEP-0203 delay stamp (when it was first said), as sent; "" without one."""


@dataclass(frozen=True)
class Signal:
    """A message without a body: a chat state ("composing", ...) or an acknowledgement of message
    `id` ("received" for XEP-0184; "marker-received" or "displayed" for XEP-0333)."""

    sender: str
    name: str
    id: str = ""


def _delay_stamp(xml: Any) -> str:
    delay = xml.find(f"{{{DELAY_NS}}}delay")
    return "" if delay is None else str(delay.get("stamp", ""))


class _Bodiless(MatcherBase):
    """Messages without a body (slixmpp's `message` event sees only those with one)."""

    def __init__(self, ns: str) -> None:
        self._tag, self._body = f"{{{ns}}}message", f"{{{ns}}}body"

    def match(self, stanza: Any) -> bool:
        xml = stanza.xml
        return bool(xml.tag == self._tag and xml.find(self._body) is None)


class Client:
    """A logged-in account that records every message and presence it receives."""

    def __init__(
        self, jid: str, password: str, host: str, port: int, ca_certs: Path | None = None
    ) -> None:
        """`ca_certs`: the server's certificate, trusted for STARTTLS when the server offers it."""
        self.jid = jid
        self.host, self.port = host, port
        self.xmpp = ClientXMPP(
            jid,
            password,
            plugin_config={
                "feature_mechanisms": {"unencrypted_plain": True, "unencrypted_scram": True}
            },
        )
        self.xmpp.enable_direct_tls = False
        if ca_certs is not None:
            self.xmpp.ca_certs = str(ca_certs)
        self.xmpp.register_plugin("xep_0030")
        self.xmpp.register_plugin("xep_0172")
        self.xmpp.register_plugin("xep_0004")
        self.xmpp.register_plugin("xep_0050")
        self.pending: list[Received] = []
        """Messages received and not yet taken by an `expect`, in arrival order."""
        self._arrived = asyncio.Event()
        self.signals: list[Signal] = []
        """Chat states and acknowledgements received without a body, not yet taken."""
        self._signalled = asyncio.Event()
        bodiless = _Bodiless(self.xmpp.default_ns)
        self.xmpp.register_handler(Callback("test signals", bodiless, self._on_bodiless))
        self.presences: list[Any] = []
        self.online = asyncio.Event()
        self.xmpp.add_event_handler("session_start", self._on_session_start)
        self.xmpp.add_event_handler("message", self._on_message)
        self.xmpp.add_event_handler("message_error", self._on_bodiless_error)
        self.xmpp.add_event_handler("presence", self.presences.append)
        self.xmpp.add_event_handler("disconnected", lambda _: self.online.clear())

    async def start(self, show: str = "", timeout: float = DEFAULT_TIMEOUT) -> Client:
        self._initial_show = show
        self.xmpp.connect(self.host, self.port)
        await asyncio.wait_for(self.online.wait(), timeout)
        return self

    def _on_session_start(self, _: Any) -> None:
        self.xmpp.send_presence(pshow=self._initial_show or None)
        self.online.set()

    def _on_message(self, msg: Any) -> None:
        xml = msg.xml
        nick = xml.find("{http://jabber.org/protocol/nick}nick")
        tags = {child.tag for child in xml}
        states = [SIGNAL_NAMES[tag] for tag in tags if tag.startswith(f"{{{CHATSTATES_NS}}}")]
        self.pending.append(
            Received(
                sender=str(msg["from"]),
                body=msg["body"],
                type=msg["type"],
                nick=(nick.text or "") if nick is not None else "",
                error_condition=error_condition(msg) if msg["type"] == "error" else "",
                error_text=msg["error"]["text"] if msg["type"] == "error" else "",
                error_type=msg["error"]["type"] if msg["type"] == "error" else "",
                id=xml.get("id", ""),
                typing=states[0] if states else "",
                request=f"{{{RECEIPTS_NS}}}request" in tags,
                markable=f"{{{MARKERS_NS}}}markable" in tags,
                delay=_delay_stamp(xml),
            )
        )
        self._arrived.set()

    def _on_bodiless(self, msg: Any) -> None:
        sender = str(msg["from"])
        for child in msg.xml:
            name = SIGNAL_NAMES.get(child.tag)
            if name is not None:
                self.signals.append(Signal(sender, name, child.get("id", "")))
                self._signalled.set()

    def forget_received(self) -> None:
        """Drop every message received so far and not taken (for benchmarks between rounds)."""
        self.pending.clear()
        self._arrived.clear()

    def _on_bodiless_error(self, msg: Any) -> None:
        """slixmpp fires both `message` and `message_error` for an error with a body: keep one."""
        if not msg["body"]:
            self._on_message(msg)

    def send(
        self, to: str, body: str, *, nick: str = "", mtype: str = "chat", lang: str = ""
    ) -> None:
        """Words to `to`; `lang`: the stanza's xml:lang (else the stream's, as the client says)."""
        message = self.xmpp.make_message(mto=to, mbody=body, mtype=mtype)
        if nick:
            message["nick"]["nick"] = nick
        if lang:
            message["lang"] = lang
        message.send()

    async def commands(self, to: str) -> list[tuple[str, str]]:
        """(node, name) of each ad-hoc command `to` lists for this account (XEP-0050)."""
        iq = await self.xmpp.plugin["xep_0030"].get_items(
            jid=to, node=COMMANDS_NS, timeout=DEFAULT_TIMEOUT
        )
        found = iq["disco_items"].xml.findall("{http://jabber.org/protocol/disco#items}item")
        return [(item.get("node", ""), item.get("name", "")) for item in found]  # in order

    async def run_command(
        self,
        to: str,
        node: str,
        *,
        action: str = "execute",
        sessionid: str | None = None,
        values: dict[str, str] | None = None,
    ) -> Any:
        """One step of an ad-hoc command; the answer, a result or an error Iq (not raised)."""
        payload = None
        if values is not None:
            payload = self.xmpp.plugin["xep_0004"].make_form(ftype="submit")
            for var, value in values.items():
                payload.add_field(var=var, value=value)
        try:
            return await self.xmpp.plugin["xep_0050"].send_command(
                to,
                node,
                action=action,
                payload=payload,
                sessionid=sessionid,
                timeout=DEFAULT_TIMEOUT,
            )
        except IqError as error:
            return error.iq

    def send_asking(
        self,
        to: str,
        body: str,
        message_id: str,
        *,
        typing: str = "",
        request: bool = True,
        markable: bool = True,
    ) -> None:
        """Words with a chat state, asking for a delivery receipt and chat markers."""
        extras = f"<{typing} xmlns='{CHATSTATES_NS}'/>" if typing else ""
        extras += f"<request xmlns='{RECEIPTS_NS}'/>" if request else ""
        extras += f"<markable xmlns='{MARKERS_NS}'/>" if markable else ""
        self.send_raw(
            f"<message to={quoteattr(to)} type='chat' id={quoteattr(message_id)}>"
            f"<body>{escape(body)}</body>{extras}</message>"
        )

    def send_typing(self, to: str, state: str) -> None:
        """A chat state alone (XEP-0085), no body."""
        self.send_raw(
            f"<message to={quoteattr(to)} type='chat'><{state} xmlns='{CHATSTATES_NS}'/></message>"
        )

    def send_ack(self, to: str, name: str, message_id: str) -> None:
        """Acknowledge message `message_id`: `name` as in Signal ("received", "displayed", ...)."""
        ack = ACKS[name] % quoteattr(message_id)
        self.send_raw(f"<message to={quoteattr(to)} type='chat'>{ack}</message>")

    def send_raw(self, xml: str) -> None:
        self.xmpp.send_raw(xml)

    def set_show(self, show: str = "") -> None:
        self.xmpp.send_presence(pshow=show or None)

    async def expect(
        self,
        match: Callable[[Received], bool] = lambda _: True,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Received:
        """Take the first message, in arrival order, that matches; waits up to `timeout`.

        Messages that do not match stay in `pending` for a later `expect`, so a test can still see
        an extra or repeated message with `assert_no_more` or `expect_no_more`.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for index, received in enumerate(self.pending):
                if match(received):
                    del self.pending[index]
                    return received
            self._arrived.clear()
            try:
                async with asyncio.timeout_at(deadline):
                    await self._arrived.wait()
            except TimeoutError:
                raise AssertionError(
                    f"{self.jid}: no matching message within {timeout:g} s; {self._describe()}"
                ) from None

    async def expect_from(self, sender: str, contains: str = "", **kw: Any) -> Received:
        """The first message from `sender` (a bare JID) whose body contains `contains`."""
        return await self.expect(
            lambda r: r.sender.split("/")[0] == sender and contains in r.body, **kw
        )

    async def expect_signal(
        self, sender: str, name: str, timeout: float = DEFAULT_TIMEOUT
    ) -> Signal:
        """Take the first bodiless signal `name` from `sender` (a bare JID), in arrival order."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for index, signal in enumerate(self.signals):
                if signal.sender.split("/")[0] == sender and signal.name == name:
                    del self.signals[index]
                    return signal
            self._signalled.clear()
            try:
                async with asyncio.timeout_at(deadline):
                    await self._signalled.wait()
            except TimeoutError:
                raise AssertionError(
                    f"{self.jid}: no {name} from {sender} within {timeout:g} s;"
                    f" signals not taken: {self.signals}"
                ) from None

    def assert_no_more(self) -> None:
        """Fail when a message arrived that no `expect` took, listing what arrived."""
        if self.pending:
            raise AssertionError(f"{self.jid}: {self._describe()}")

    async def expect_no_more(self, seconds: float = QUIET_SECONDS) -> None:
        """Fail if a message no `expect` took is pending now or arrives within `seconds`."""
        await expect_no_more(self, seconds=seconds)

    async def expect_nothing(self, seconds: float = QUIET_SECONDS) -> None:
        """The same as `expect_no_more` (earlier messages not taken count too)."""
        await expect_no_more(self, seconds=seconds)

    def _describe(self) -> str:
        if not self.pending:
            return "nothing else arrived"
        lines = [f"{len(self.pending)} message(s) arrived that no expect took:"]
        for number, r in enumerate(self.pending, start=1):
            body = r.body if len(r.body) <= 300 else r.body[:300] + "..."
            error = f" error={r.error_condition}:{r.error_text!r}" if r.type == "error" else ""
            lines.append(f"  {number}. from {r.sender} ({r.type}){error}: {body!r}")
        return "\n".join(lines)

    async def stop(self) -> None:
        if self.xmpp.is_connected():
            self.xmpp.disconnect(wait=1.0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.xmpp.disconnected, 5)

    async def reconnect(self, timeout: float = 30.0) -> None:
        """Log in again after the server went away (slixmpp clients do not do it alone)."""
        self.online.clear()
        self.xmpp.connect(self.host, self.port)
        await asyncio.wait_for(self.online.wait(), timeout)


def assert_no_more(*clients: Client) -> None:
    """Fail when any of the clients has a message that no `expect` took; lists them all."""
    failures = [f"{c.jid}: {c._describe()}" for c in clients if c.pending]
    if failures:
        raise AssertionError("\n".join(failures))


async def expect_no_more(*clients: Client, seconds: float = QUIET_SECONDS) -> None:
    """Nothing else arrived: fail at once on messages no `expect` took, else wait `seconds` (once,
    for all the clients) and fail on any that arrived meanwhile."""
    assert_no_more(*clients)
    await asyncio.sleep(seconds)
    assert_no_more(*clients)
