"""The XEP-0114 component: classifies each stanza once and hands it to one HelpDesk use case.

Handlers are synchronous so stanzas reach the use cases in the order they arrived. Domain errors
become XMPP errors here; no exception escapes a handler. Every message comes to `on_message`, with
a body or not (chat states, receipts, markers); slixmpp's receipt plugin is never loaded, as its
automatic acknowledgements carry no `from`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from slixmpp import ComponentXMPP
from slixmpp.exceptions import XMPPError
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

from component.addresses import Address, Addresses, AddressKind
from component.config import XmppConfig
from component.desk import commands
from component.desk.helpdesk import HelpDesk
from component.errors import HelpDeskError, RateLimited, UnknownSite
from component.models import Typing, VisitorKind
from component.visitor_limits import VisitorLimits
from component.xmpp import peers, stanzas
from component.xmpp.adhoc import AdHoc
from component.xmpp.adhoc_steps import COMMANDS_NS
from component.xmpp.admission import XmppAdmission
from component.xmpp.jids import Jid, normalize_domain, parse_jid
from component.xmpp.outbox import SlixmppOut

log = logging.getLogger(__name__)

RELAYED_FEATURES = (
    "http://jabber.org/protocol/chatstates",  # XEP-0085
    "urn:xmpp:receipts",  # XEP-0184
    "urn:xmpp:chat-markers:0",  # XEP-0333
)
"""What desks and chats relay between visitor and operator, advertised so clients send it."""

IGNORED_MESSAGE_TYPES = frozenset({"error", "groupchat", "headline"})
SERVICE_TEXT = "This is the HelperChat service. Write to a site's desk, <site>@{domain}."


class HelperChatComponent(ComponentXMPP):
    def __init__(self, config: XmppConfig, limits: VisitorLimits) -> None:
        """`limits`: the visitor limits, shared with the web side."""
        super().__init__(
            config.component_jid,
            config.secret,
            config.host,
            config.port,
            plugin_config=peers.PLUGIN_CONFIG,
            fix_error_ns=True,
        )
        self.config = config
        self.addresses = Addresses(normalize_domain(config.component_jid))
        self.outbox = SlixmppOut(self)
        self.admission = XmppAdmission(limits)
        self.desk: HelpDesk | None = None
        self.stopping = False
        self.connected_event = asyncio.Event()
        self._reconnect_delay = 1.0
        self._body_tag = f"{{{self.default_ns}}}body"
        self.register_plugin("xep_0030")
        peers.take_over_presence(self, self.on_presence)
        self.remove_handler("IM")  # fires `message` only for messages with a body
        every_message = MatchXPath(f"{{{self.default_ns}}}message")
        self.register_handler(Callback("HelperChat message", every_message, self.on_message))
        self.add_event_handler("session_start", self.on_session_start)
        self.add_event_handler("disconnected", self.on_disconnected)
        self.add_event_handler("connection_failed", self.on_connection_failed)
        disco = self.plugin["xep_0030"]
        disco.set_node_handler("get_info", None, None, self.disco_info)
        disco.set_node_handler("get_items", None, None, self.disco_items)
        self.adhoc = AdHoc(self, self.addresses, self._desk)

    def attach(self, desk: HelpDesk) -> None:
        self.desk = desk

    # -- connection --------------------------------------------------------------------------

    def on_session_start(self, _: Any) -> None:
        log.info("connected to %s:%s as %s", self.config.host, self.config.port, self.boundjid)
        self._reconnect_delay = 1.0
        self.connected_event.set()
        self.outbox.connected()
        self._guarded(lambda desk: desk.on_connected())

    def on_disconnected(self, reason: Any) -> None:
        self.connected_event.clear()
        self.outbox.disconnected()
        self._guarded(lambda desk: desk.on_disconnected())
        if self.stopping:
            return
        delay = self._reconnect_delay
        self._reconnect_delay = min(delay * 2, self.config.reconnect_max_delay)
        log.warning("disconnected (%s); reconnecting in %.0f s", reason, delay)
        self.loop.call_later(delay, self._reconnect)

    def on_connection_failed(self, error: Any) -> None:
        log.warning("cannot connect to %s:%s: %s", self.config.host, self.config.port, error)
        self._connect_loop_wait = min(self._connect_loop_wait, self.config.reconnect_max_delay)

    def _reconnect(self) -> None:
        if not self.stopping and not self.is_connected() and not self.is_connecting():
            self.connect()

    async def stop(self) -> None:
        self.stopping = True
        self.cancel_connection_attempt()
        if self.is_connected():
            await self.disconnect(wait=2.0)

    # -- stanzas -----------------------------------------------------------------------------

    def on_message(self, msg: Any) -> None:
        """Hot path: reads the raw attributes once; JIDs go through the cached normalisation."""
        xml = msg.xml
        if xml.get("type") in IGNORED_MESSAGE_TYPES:
            return
        try:
            to = parse_jid(xml.get("to", ""))
            if to.domain != self.addresses.domain:
                return
            sender = parse_jid(xml.get("from", ""))
        except ValueError as exc:
            log.info("dropped a message with an invalid address: %s", exc)
            return
        text = xml.findtext(self._body_tag)
        extras = stanzas.extras_of(xml)
        address = self.addresses.parse(to.local)
        jid = sender.bare
        if extras is not None and not text:  # a state or an acknowledgement alone: never an error
            if self._signal_admitted(address, jid):
                self._guarded(lambda desk: self._route_extras(desk, address, jid, extras, ""))
        elif text is not None:
            self._on_words(msg, address, sender, text, extras)

    def _on_words(
        self, msg: Any, address: Address, sender: Jid, body: str, extras: stanzas.Extras | None
    ) -> None:
        """A message with a body: once the visitor limits let it through, its acknowledgements and
        its words go on; a refusal is an error reply and nothing else."""
        jid, to = sender.bare, msg.xml.get("to")
        try:
            self._admit_words(msg, address, sender, body)
            if extras is not None:
                self._guarded(lambda desk: self._route_extras(desk, address, jid, extras, body))
            self._route_message(address, jid, msg, body, extras)
        except HelpDeskError as error:
            level = logging.DEBUG if isinstance(error, RateLimited) else logging.INFO  # floods
            log.log(level, "refused message from %s to %s: %s", jid, to, error.text)
            stanzas.send_error(msg, error.condition, error.text)
        except Exception:
            log.exception("message from %s to %s failed", jid, to)
            stanzas.send_error(msg, "internal-server-error", "the message could not be handled")

    def _admit_words(self, msg: Any, address: Address, sender: Jid, body: str) -> None:
        """A visitor's words to a desk count against the visitor limits (RateLimited when over);
        an operator of the site, and words to any other address, are not counted."""
        desk = self._desk()
        if address.kind is not AddressKind.DESK or desk.is_operator_of(sender.bare, address.slug):
            return
        site = desk.state.site(address.slug)  # UnknownSite before anything is counted
        lang = stanzas.lang_of(msg)
        self.admission.words(desk, site, sender.bare, sender.domain, body, lang)

    def _signal_admitted(self, address: Address, sender: str) -> bool:
        """A visitor's signal to a desk within their signal limit (an operator's: always)."""
        if address.kind is not AddressKind.DESK:
            return True
        desk = self._desk()
        return desk.is_operator_of(sender, address.slug) or self.admission.signal(
            desk, address.slug, sender
        )

    def _route_message(
        self, address: Address, sender: str, msg: Any, body: str, extras: stanzas.Extras | None
    ) -> None:
        desk = self._desk()
        typing, ack = (extras.typing, extras.request) if extras else (None, None)
        if address.kind is AddressKind.DESK:
            if desk.is_operator_of(sender, address.slug):
                commands.operator_wrote_desk(desk, sender, address.slug, body)
            else:
                name = stanzas.nick_of(msg) or sender.split("@", 1)[0]
                lang = stanzas.lang_of(msg)  # a new chat speaks it (or the site's language)
                desk.visitor_wrote(
                    address.slug,
                    sender,
                    VisitorKind.XMPP,
                    name,
                    body,
                    typing=typing,
                    ack=ack,
                    lang=lang,
                )
        elif address.kind is AddressKind.CHAT:
            slug, number = address.slug, address.number
            commands.operator_wrote_chat(desk, sender, slug, number, body, typing=typing, ack=ack)
        elif address.kind is AddressKind.SERVICE:
            reply = SERVICE_TEXT.format(domain=self.addresses.domain)
            self.outbox.send_message(self.addresses.domain, msg["from"].full, reply)
        else:
            raise UnknownSite(f"{msg['to'].user!r} is not a site or chat address")

    def _route_extras(
        self, desk: HelpDesk, address: Address, sender: str, extras: stanzas.Extras, body: str
    ) -> None:
        """Acknowledgements, and a chat state that came without words, to the chat's other side."""
        typing: Typing | None = None if body else extras.typing
        signals = desk.signals
        if address.kind is AddressKind.DESK and not desk.is_operator_of(sender, address.slug):
            if typing is not None:
                signals.visitor_typing(address.slug, sender, typing)
            for relayed, kind in extras.acks:
                signals.visitor_acknowledged(address.slug, sender, relayed, kind)
        elif address.kind is AddressKind.CHAT:
            slug, number = address.slug, address.number
            if typing is not None:
                signals.operator_typing(sender, slug, number, typing)
            for relayed, kind in extras.acks:
                signals.operator_acknowledged(sender, slug, number, relayed, kind)

    def on_presence(self, pres: Any) -> None:
        xml = pres.xml
        try:
            to, sender = parse_jid(xml.get("to", "")), parse_jid(xml.get("from", ""))
        except ValueError as exc:
            log.info("dropped a presence with an invalid address: %s", exc)
            return
        if to.domain != self.addresses.domain or not sender.domain or pres["type"] == "error":
            return
        address = self.addresses.parse(to.local)
        if address.kind is AddressKind.DESK:
            slug, ptype = address.slug, pres["type"]
            self._guarded(lambda desk: self._presence_to_desk(desk, pres, sender, slug, ptype))

    def _presence_to_desk(
        self, desk: HelpDesk, pres: Any, sender: Jid, slug: str, ptype: str
    ) -> None:
        jid = sender.bare
        if ptype == "subscribe":
            desk.roster.requested(jid, slug)
        elif ptype in ("subscribed", "unsubscribed"):
            desk.roster.granted(jid, slug, granted=ptype == "subscribed")
        elif ptype == "probe":
            desk.roster.probed(jid, slug)
        elif ptype == "unavailable":
            desk.presence_unavailable(jid, slug, sender.resource)
        elif ptype != "unsubscribe":
            desk.presence_available(
                jid,
                slug,
                sender.resource,
                stanzas.show_of(pres),
                pres["status"],
                int(pres["priority"] or 0),
                stanzas.idle_since_of(pres),
            )

    # -- service discovery -------------------------------------------------------------------

    def disco_info(self, jid: Any, node: Any, ifrom: Any, data: Any) -> Any:
        address = self.addresses.parse(jid.user if jid else "")
        if node:
            return self.adhoc.disco_info(address, _bare(ifrom), node)
        info = self.plugin["xep_0030"].stanza.DiscoInfo()
        if address.kind is AddressKind.SERVICE:
            info.add_identity("component", "generic", "HelperChat")
        elif address.kind is AddressKind.DESK and self._site_exists(address.slug):
            site = self._desk().directory.site(address.slug)
            info.add_identity("client", "bot", site.name if site else address.slug)
        elif address.kind is AddressKind.CHAT:
            self.adhoc.allowed(address, _bare(ifrom))  # only the site's operators see its chats
            info.add_identity("client", "bot", f"{address.slug}.{address.number}")
        else:
            raise XMPPError("item-not-found")
        info.add_feature("http://jabber.org/protocol/disco#info")
        info.add_feature("http://jabber.org/protocol/disco#items")
        if address.kind is not AddressKind.SERVICE:
            for feature in (COMMANDS_NS, *RELAYED_FEATURES):
                info.add_feature(feature)
        return info

    def disco_items(self, jid: Any, node: Any, ifrom: Any, data: Any) -> Any:
        address = self.addresses.parse(jid.user if jid else "")
        if node:
            return self.adhoc.disco_items(jid.bare, address, _bare(ifrom), node)
        self.adhoc.allowed(address, _bare(ifrom))  # item-not-found, or forbidden for strangers
        return self.plugin["xep_0030"].stanza.DiscoItems()

    # -- helpers -----------------------------------------------------------------------------

    def _site_exists(self, slug: str) -> bool:
        return self._desk().directory.site(slug) is not None

    def _desk(self) -> HelpDesk:
        if self.desk is None:
            raise RuntimeError("component used before a HelpDesk was attached")
        return self.desk

    def _guarded(self, action: Callable[[HelpDesk], None]) -> None:
        """Run a use case; log and swallow anything it raises, so the stream survives."""
        try:
            action(self._desk())
        except Exception:
            log.exception("presence, signal or connection handling failed")


def _bare(jid: Any) -> str:
    """The requester of a disco query as a bare JID in normal form ("" when unreadable)."""
    try:
        return parse_jid(str(jid or "")).bare
    except ValueError:
        return ""
