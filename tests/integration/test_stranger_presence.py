"""Strangers' presence over the real ejabberd: answered as it deserves, remembered nowhere."""

from __future__ import annotations

from typing import Any

from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

from component.models import Tier
from tests.integration.clients import Client
from tests.integration.helpdesk_fixtures import Desk

PRESENCE_TYPES = ("", "subscribe", "probe", "unavailable")
DISCO_INFO = "http://jabber.org/protocol/disco#info"
CAPS = "http://jabber.org/protocol/caps"


def peer_state(component: Any) -> dict[str, int]:
    """Sizes of everything slixmpp keeps per peer: roster nodes and items, disco and caps caches."""
    roster = component.roster
    nodes = list(roster.keys())
    state = {
        "roster nodes": len(nodes),
        "roster items": sum(len(roster[node]) for node in nodes),
        "disco cache": len(component.plugin["xep_0030"].static.nodes),
    }
    caps = component.plugin.get("xep_0115", None)
    if caps is not None:
        state["caps versions"] = len(caps.static.jid_vers)
    return state


def flood(stranger: Client, desk: Desk, count: int) -> None:
    """`count` presences of every kind to unknown addresses, some to the desk, disco results."""
    for i in range(count):
        kind = PRESENCE_TYPES[i % len(PRESENCE_TYPES)]
        to = desk.desk_jid() if i % 10 < len(PRESENCE_TYPES) else f"x{i}@{desk.domain}"
        ptype = f" type='{kind}'" if kind else ""
        caps = f"<c xmlns='{CAPS}' hash='sha-1' node='https://x.test' ver='v{i}='/>"
        stranger.send_raw(f"<presence to='{to}'{ptype}>{caps if not kind else ''}</presence>")
        if i % 3 == 0:
            stranger.send_raw(
                f"<iq type='result' id='r{i}' to='x{i}@{desk.domain}'>"
                f"<query xmlns='{DISCO_INFO}'><identity category='client' type='pc'/></query></iq>"
            )


async def test_stranger_presence_leaves_no_state_and_operators_still_work(desk: Desk) -> None:
    alice_jid = desk.user("alice")
    await desk.add_operator("acme", alice_jid, "Alice")
    app = await desk.start_component()
    alice = await desk.operator_online(alice_jid)
    before = peer_state(app.component)

    stranger = await desk.client(desk.user("stranger"))
    queries: list[Any] = []
    stranger.xmpp.register_handler(
        Callback("queries", MatchXPath("{jabber:client}iq"), queries.append)
    )
    flood(stranger, desk, 300)
    stranger.send(f"nosuch@{desk.domain}", "done?")  # handled after every stanza above
    await stranger.expect(lambda r: r.type == "error")
    assert peer_state(app.component) == before
    late = await desk.client(desk.user("late"))  # the desk still answers a stranger
    late.xmpp.send_presence(pto=desk.desk_jid(), ptype="subscribe")
    await desk.wait_for(
        lambda: any(
            p["type"] == "unsubscribed" and p["from"].bare == desk.desk_jid()
            for p in late.presences
        )
    )
    answered = [p for p in stranger.presences if p["from"].user.startswith("x")]
    assert {p["type"] for p in answered} <= {"error", "unsubscribed"}, "answered with state"
    assert not [iq for iq in queries if iq["type"] == "get"], "the component queried a stranger"
    assert not desk.service.directory.is_operator(stranger.jid)
    assert desk.service.presence.tier_of(stranger.jid) is Tier.OFFLINE

    visitor = await desk.client(desk.user("visitor"))
    visitor.send(desk.desk_jid(), "still working?")
    await alice.expect_from(desk.chat_jid(1), "still working?")
    alice.set_show("away")
    await desk.wait_for(lambda: desk.service.presence.tier_of(alice_jid) is Tier.AWAY)
    await alice.stop()
    await desk.wait_for(lambda: desk.service.presence.tier_of(alice_jid) is Tier.OFFLINE)
    assert peer_state(app.component) == before
