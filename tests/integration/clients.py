"""Real XMPP clients (slixmpp) for the integration tests: visitors, operators, strangers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slixmpp import ClientXMPP

DEFAULT_TIMEOUT = 15.0


@dataclass(frozen=True)
class Received:
    sender: str
    body: str
    type: str
    nick: str = ""
    error_condition: str = ""
    error_text: str = ""


class Client:
    """A logged-in account that records every message and presence it receives."""

    def __init__(self, jid: str, password: str, host: str, port: int) -> None:
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
        self.xmpp.register_plugin("xep_0030")
        self.xmpp.register_plugin("xep_0172")
        self.inbox: asyncio.Queue[Received] = asyncio.Queue()
        self.presences: list[Any] = []
        self.online = asyncio.Event()
        self.xmpp.add_event_handler("session_start", self._on_session_start)
        self.xmpp.add_event_handler("message", self._on_message)
        self.xmpp.add_event_handler("message_error", self._on_message)
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
        nick = msg.xml.find("{http://jabber.org/protocol/nick}nick")
        self.inbox.put_nowait(
            Received(
                sender=str(msg["from"]),
                body=msg["body"],
                type=msg["type"],
                nick=(nick.text or "") if nick is not None else "",
                error_condition=msg["error"]["condition"] if msg["type"] == "error" else "",
                error_text=msg["error"]["text"] if msg["type"] == "error" else "",
            )
        )

    def send(self, to: str, body: str, *, nick: str = "", mtype: str = "chat") -> None:
        message = self.xmpp.make_message(mto=to, mbody=body, mtype=mtype)
        if nick:
            message["nick"]["nick"] = nick
        message.send()

    def send_raw(self, xml: str) -> None:
        self.xmpp.send_raw(xml)

    def set_show(self, show: str = "") -> None:
        self.xmpp.send_presence(pshow=show or None)

    async def expect(
        self,
        match: Callable[[Received], bool] = lambda _: True,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Received:
        """The next received message that matches; others received meanwhile are dropped."""
        async with asyncio.timeout(timeout):
            while True:
                received = await self.inbox.get()
                if match(received):
                    return received

    async def expect_from(self, sender: str, contains: str = "", **kw: Any) -> Received:
        return await self.expect(
            lambda r: r.sender.split("/")[0] == sender and contains in r.body, **kw
        )

    async def expect_nothing(self, seconds: float = 1.0) -> None:
        with contextlib.suppress(TimeoutError):
            received = await asyncio.wait_for(self.inbox.get(), seconds)
            raise AssertionError(f"{self.jid} got an unexpected message: {received}")

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
