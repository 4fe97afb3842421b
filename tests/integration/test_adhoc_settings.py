"""`settings` and `operators` at the desk from real slixmpp operators through the real ejabberd:
forms filled in as a client fills them, the values stored in MariaDB and routing changed at once
(the periodic reload is an hour away here), bad values refused with the field named and nothing
changed, the last admin kept, and nobody but the site's admins listing, running or continuing
them."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import pytest
from slixmpp.exceptions import IqError

from component.models import Tier
from tests.integration.clients import DEFAULT_TIMEOUT, Client
from tests.integration.helpdesk_fixtures import Desk

pytestmark = pytest.mark.integration

ADMIN_NODES = ("settings", "operators")


async def staff(desk: Desk) -> tuple[Client, Client, Client, Client]:
    """Admin Alice (priority 0) and plain Bob (priority 10) of acme, Mallory (admin of globex),
    Eve (nobody's); the directory reloads only once an hour."""
    await desk.admin.add_site("globex", "Globex")
    await desk.register(desk.user("alice"))
    await desk.admin.add_operator("acme", desk.user("alice"), "Alice", 0, 0, admin=True)
    await desk.add_operator("acme", desk.user("bob"), "Bob", priority=10)
    await desk.register(desk.user("mallory"))
    await desk.admin.add_operator("globex", desk.user("mallory"), "Mallory", 0, 0, admin=True)
    desk.config = replace(
        desk.config, component=replace(desk.config.component, reload_interval=3600)
    )
    await desk.start_component()
    alice = await desk.operator_online(desk.user("alice"))
    bob = await desk.operator_online(desk.user("bob"))
    mallory = await desk.operator_online(desk.user("mallory"))
    eve = await desk.client(desk.user("eve"))
    return alice, bob, mallory, eve


def fields(iq: Any) -> dict[str, Any]:
    assert iq["type"] == "result", f"expected a result, got {iq}"
    return {var: field["value"] for var, field in iq["command"]["form"].get_fields().items()}


async def submit(client: Client, to: str, iq: Any, step: str = "complete", **changes: Any) -> Any:
    """Send the form back as a client does: every field with its type, as shown but `changes`."""
    shown = iq["command"]["form"].get_fields()
    form = client.xmpp.plugin["xep_0004"].make_form(ftype="submit")
    for var, field in shown.items():
        form.add_field(var=var, ftype=field["type"], value=changes.get(var, field["value"]))
    try:
        return await client.xmpp.plugin["xep_0050"].send_command(
            to,
            iq["command"]["node"],
            action=step,
            payload=form,
            sessionid=iq["command"]["sessionid"],
            timeout=DEFAULT_TIMEOUT,
        )
    except IqError as error:
        return error.iq


def note(iq: Any) -> str:
    assert iq["type"] == "result" and iq["command"]["status"] == "completed", f"got {iq}"
    return " ".join(text for _, text in iq["command"]["notes"])


def refusal(iq: Any) -> tuple[str, str]:
    assert iq["type"] == "error", f"expected an error, got {iq}"
    return str(iq["error"]["condition"]), str(iq["error"]["text"])


async def chat_goes_to(desk: Desk, visitor: str, operator: Client, number: int) -> None:
    """A new visitor writes; chat `number` reaches `operator`."""
    client = await desk.client(desk.user(visitor))
    client.send(desk.desk_jid(), f"hello from {visitor}")
    await operator.expect_from(desk.chat_jid(number), f"hello from {visitor}")


async def close(desk: Desk, operator: Client, number: int) -> None:
    operator.send(desk.chat_jid(number), "/close")
    await operator.expect_from(desk.chat_jid(number), "closed")


async def test_settings_are_prefilled_stored_and_route_the_next_chat(
    desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    alice, bob, *_ = await staff(desk)
    await chat_goes_to(desk, "v1", bob, 1)  # priority: Bob (10) before Alice (0)
    form = await alice.run_command(desk.desk_jid(), "settings")
    shown = fields(form)
    assert shown["strategy"] == "priority" and shown["answer_timeout"] == "60"
    assert shown["default_operator"] == "none" and shown["feedback"] is False
    assert shown["lang"] == "en" and shown["visitor_choice"] is False
    options = form["command"]["form"].get_fields()["default_operator"]["options"]
    assert {o["value"] for o in options} == {"none", desk.user("alice"), desk.user("bob")}
    caplog.set_level(logging.INFO, logger="component.live_admin")
    done = await submit(
        alice, desk.desk_jid(), form, default_operator=desk.user("alice"), answer_timeout="90"
    )
    assert "answer_timeout, default_operator" in note(done)
    rows = await desk.rows(
        "SELECT default_operator, answer_timeout, strategy, lang FROM sites WHERE slug = 'acme'"
    )
    assert rows == [(desk.user("alice"), 90, "priority", "en")]
    assert any(
        "settings of acme changed by " + desk.user("alice") in r.getMessage()
        and "answer_timeout, default_operator" in r.getMessage()
        for r in caplog.records
    )
    await chat_goes_to(desk, "v2", alice, 2)  # the default operator now, without a reload
    again = fields(await alice.run_command(desk.desk_jid(), "settings"))
    assert again["default_operator"] == desk.user("alice") and again["answer_timeout"] == "90"


async def test_a_bad_setting_is_refused_by_name_and_nothing_changes(desk: Desk) -> None:
    alice, bob, *_ = await staff(desk)
    before = await desk.rows("SELECT * FROM sites WHERE slug = 'acme'")
    for bad, said in (
        ({"answer_timeout": "0"}, "answer_timeout: bad answer timeout 0"),
        ({"max_chats": "lots"}, "max_chats: not a whole number"),
        ({"default_operator": desk.user("eve")}, "default_operator: bad default operator"),
        ({"feedback_email": "not an address"}, "feedback_email: bad feedback e-mail address"),
        ({"lang": "xx"}, "lang:"),
    ):
        form = await alice.run_command(desk.desk_jid(), "settings")
        valid = {"answer_timeout": "90"} if "answer_timeout" not in bad else {"max_chats": "4"}
        refused = await submit(alice, desk.desk_jid(), form, **(valid | bad))
        condition, text = refusal(refused)
        assert condition == "bad-request" and text.startswith(said), text
    assert await desk.rows("SELECT * FROM sites WHERE slug = 'acme'") == before
    assert desk.service.directory.site("acme").settings.default_operator is None  # type: ignore[union-attr]
    await chat_goes_to(desk, "v1", bob, 1)
    unchanged = await submit(
        alice, desk.desk_jid(), await alice.run_command(desk.desk_jid(), "settings")
    )
    assert "Nothing changed" in note(unchanged)


async def pick(client: Client, desk: Desk, action: str, jid: str) -> Any:
    first = await client.run_command(desk.desk_jid(), "operators")
    return await submit(client, desk.desk_jid(), first, "next", action=action, jid=jid)


def table(iq: Any) -> dict[str, dict[str, str]]:
    assert iq["type"] == "result", f"got {iq}"
    form = iq["command"]["form"]
    return {item["jid"]: item for item in form.get_items()}


async def test_operators_edit_add_and_remove_change_routing_at_once(
    desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    alice, bob, *_ = await staff(desk)
    caplog.set_level(logging.INFO, logger="component.live_admin")
    first = await alice.run_command(desk.desk_jid(), "operators")
    rows = table(first)
    assert rows[desk.user("bob")]["priority"] == "10" and rows[desk.user("alice")]["admin"] == "yes"
    edit = await submit(alice, desk.desk_jid(), first, "next", action="edit", jid=desk.user("bob"))
    assert fields(edit) == {
        "name": "Bob",
        "priority": "10",
        "max_chats": "0",
        "enabled": True,
        "admin": False,
    }
    done = await submit(alice, desk.desk_jid(), edit, enabled=False)
    assert "enabled" in note(done)
    assert await desk.rows("SELECT enabled FROM operators WHERE jid = %s", desk.user("bob")) == [
        (0,)
    ]
    await chat_goes_to(desk, "v1", alice, 1)  # a disabled Bob gets no new chats
    carol_jid = desk.user("carol")
    carol = await desk.client(carol_jid)
    added = await pick(alice, desk, "add", carol_jid.upper())
    assert fields(added)["priority"] == "0"
    done = await submit(alice, desk.desk_jid(), added, name="Carol", priority="50", admin=True)
    assert carol_jid in note(done)
    site_id = desk.service.state.site("acme").id
    assert desk.service.directory.operator(site_id, carol_jid) is not None
    await desk.wait_for(lambda: desk.service.presence.tier_of(carol_jid) is not Tier.OFFLINE)
    await chat_goes_to(desk, "v2", carol, 2)  # greeted, online, and first by priority
    assert await desk.rows(
        "SELECT is_admin, priority FROM operators WHERE jid = %s", carol_jid
    ) == [(1, 50)]
    again = await pick(alice, desk, "add", carol_jid)
    condition, text = refusal(again)
    assert condition == "bad-request" and text == f"jid: {carol_jid} is an operator of acme already"
    removed = await pick(alice, desk, "remove", carol_jid)
    assert "removed" in note(removed)
    assert desk.service.directory.operator(site_id, carol_jid) is None
    assert await desk.rows("SELECT jid FROM operators WHERE jid = %s", carol_jid) == []
    await close(desk, alice, 1)
    await chat_goes_to(desk, "v3", alice, 3)
    await bob.expect_no_more()  # disabled before the first chat: none of them came to him
    said = [r.getMessage() for r in caplog.records if r.name == "component.live_admin"]
    by = desk.user("alice")
    assert said == [
        f"operator {desk.user('bob')} of acme changed by {by}: enabled",
        f"operator {carol_jid} added to acme by {by}",
        f"operator {carol_jid} removed from acme by {by}",
    ]


async def test_the_last_admin_is_kept_and_bad_values_change_nothing(desk: Desk) -> None:
    alice, *_ = await staff(desk)
    looked = await alice.run_command(desk.desk_jid(), "operators")
    assert "Nothing changed" in note(await submit(alice, desk.desk_jid(), looked))
    before = await desk.rows(
        "SELECT jid, name, priority, max_chats, is_admin, enabled FROM operators ORDER BY jid"
    )
    condition, text = refusal(await pick(alice, desk, "remove", desk.user("alice")))
    assert condition == "not-allowed" and "last admin of acme" in text
    own = await pick(alice, desk, "edit", desk.user("alice"))
    condition, text = refusal(await submit(alice, desk.desk_jid(), own, admin=False, priority="3"))
    assert condition == "not-allowed" and "last admin" in text
    bobs = await pick(alice, desk, "edit", desk.user("bob"))
    condition, text = refusal(
        await submit(alice, desk.desk_jid(), bobs, priority="9999999", enabled=False)
    )
    assert condition == "bad-request" and text.startswith("priority: bad priority"), text
    for action, jid, said in (
        ("edit", desk.user("nobody"), "jid: "),
        ("remove", desk.user("nobody"), "jid: "),
        ("add", "not a jid@", "jid: not a JID"),
        ("promote", desk.user("bob"), "action: "),
    ):
        condition, text = refusal(await pick(alice, desk, action, jid))
        assert condition == "bad-request" and text.startswith(said), text
    assert (
        await desk.rows(
            "SELECT jid, name, priority, max_chats, is_admin, enabled FROM operators ORDER BY jid"
        )
        == before
    )
    promoted = await pick(alice, desk, "edit", desk.user("bob"))
    assert "admin" in note(await submit(alice, desk.desk_jid(), promoted, admin=True))
    demoted = await pick(alice, desk, "edit", desk.user("alice"))
    assert "admin" in note(await submit(alice, desk.desk_jid(), demoted, admin=False))
    assert "settings" not in {node for node, _ in await alice.commands(desk.desk_jid())}


async def test_only_the_sites_admins_list_run_and_continue_them(desk: Desk) -> None:
    alice, bob, mallory, eve = await staff(desk)
    listed = {node for node, _ in await alice.commands(desk.desk_jid())}
    assert set(ADMIN_NODES) <= listed and "recent" in listed
    assert set(ADMIN_NODES) <= {node for node, _ in await mallory.commands(desk.desk_jid("globex"))}
    for outsider in (bob, mallory, eve):
        nodes = {node for node, _ in await outsider.commands(desk.desk_jid())}
        assert not nodes & set(ADMIN_NODES), nodes
        for node in ADMIN_NODES:
            assert refusal(await outsider.run_command(desk.desk_jid(), node))[0] == "forbidden"
    for node in ADMIN_NODES:
        started = await alice.run_command(desk.desk_jid(), node)
        for thief in (bob, mallory, eve):
            stolen = await submit(
                thief, desk.desk_jid(), started, "next", answer_timeout="5", action="remove"
            )
            assert refusal(stolen)[0] == "forbidden"
    assert await desk.rows("SELECT answer_timeout FROM sites WHERE slug = 'acme'") == [(60,)]
    assert len(await desk.rows("SELECT jid FROM operators")) == 3
