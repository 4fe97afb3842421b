"""Keep slixmpp from remembering peers: its roster and disco cache grow with every JID that writes.

The HelpDesk keeps the only presence state the component needs (operators', in its own table).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

PLUGIN_CONFIG = {"xep_0030": {"use_cache": False}}  # no caching of anyone's disco#info results

# slixmpp's presence event handlers: each one creates roster[to][from] for the stanza it sees
ROSTER_HANDLERS = {
    "presence_available": "_handle_available",
    "presence_chat": "_handle_available",
    "presence_away": "_handle_available",
    "presence_xa": "_handle_available",
    "presence_dnd": "_handle_available",
    "presence_unavailable": "_handle_unavailable",
    "presence_subscribe": "_handle_subscribe",
    "presence_subscribed": "_handle_subscribed",
    "presence_unsubscribe": "_handle_unsubscribe",
    "presence_unsubscribed": "_handle_unsubscribed",
    "presence_probe": "_handle_probe",
    "roster_subscription_request": "_handle_new_subscription",
}


def take_over_presence(stream: Any, on_presence: Callable[[Any], None]) -> None:
    """Hand every presence stanza to `on_presence` only; slixmpp's roster never sees one.

    slixmpp's own "Presence" stream handler creates a roster node for every sender before it fires
    any event, and its outgoing filter one for every presence sent: both go, with the handlers.
    """
    stream.remove_handler("Presence")
    presence = MatchXPath(f"{{{stream.default_ns}}}presence")
    stream.register_handler(Callback("HelperChat presence", presence, on_presence))
    for event, method in ROSTER_HANDLERS.items():
        stream.del_event_handler(event, getattr(stream, method))
    stream.del_filter("out", stream.roster._save_last_status)
