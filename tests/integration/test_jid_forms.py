"""JIDs typed in other forms than XMPP's normal one, over the real ejabberd: chats still flow."""

from __future__ import annotations

import dataclasses

from component.config import parse_config
from component.models import Tier
from tests.integration.helpdesk_fixtures import Desk


async def test_component_jid_with_capitals_in_the_config_still_relays_chats(desk: Desk) -> None:
    domain = desk.ejabberd.component_domain
    data = dataclasses.asdict(desk.config, dict_factory=dict)
    data["http"]["trusted_proxies"] = list(data["http"]["trusted_proxies"])  # as YAML gives it
    data["smtp"]["from"] = data["smtp"].pop("from_")  # the YAML key of a field named `from_`
    data["xmpp"]["component_jid"] = domain.title()  # Helpdesk.Localhost
    desk.config = parse_config(data, {})
    alice_jid = desk.user("alice")
    await desk.add_operator("acme", alice_jid, "Alice")
    await desk.start_component()
    alice = await desk.operator_online(alice_jid)
    visitor = await desk.client(desk.user("visitor"))

    visitor.send(f"acme@{domain}", "hello")
    await alice.expect_from(f"acme.1@{domain}", "hello")
    alice.send(f"acme.1@{domain}", "hi there")
    assert (await visitor.expect_from(f"acme@{domain}")).body == "hi there"
    visitor.send(f"ACME@{domain.upper()}", "same chat?")
    assert (await alice.expect_from(f"acme.1@{domain}")).body == "same chat?"


async def test_operator_added_in_a_unicode_mixed_case_form_receives_chats(desk: Desk) -> None:
    typed = f"Straße{desk.tag}@{desk.ejabberd.domain.upper()}"
    normal = f"strasse{desk.tag}@{desk.ejabberd.domain}"  # how ejabberd knows the account
    await desk.add_operator("acme", typed, "Straße")
    await desk.start_component()
    operator = await desk.client(typed)  # logs in as the account ejabberd nodeprepped
    await desk.wait_for(lambda: desk.service.presence.tier_of(normal) is Tier.AVAILABLE)
    visitor = await desk.client(desk.user("visitor"))

    visitor.send(desk.desk_jid(), "Grüße")
    header = await operator.expect_from(desk.chat_jid(1))
    assert header.body.endswith("Grüße")
    operator.send(desk.chat_jid(1), "Hallo!")
    assert (await visitor.expect_from(desk.desk_jid())).body == "Hallo!"
    await desk.flush_archive()
    assert await desk.rows("SELECT operator_jid FROM chats") == [(normal,)]
