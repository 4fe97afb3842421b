"""Operators with nothing to accept: with `ejabberd_api` set, `helperchat operator add` puts the
site's desk into the operator's roster through the real ejabberd's mod_http_api (subscription
both), so a client that never sends a subscription stanza is online at the desk and gets the
next chat; `operator remove` takes the desk out; an API that cannot be reached changes nothing
but the way the desk gets the operator's presence (it asks, as without the API)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from component.config import EjabberdApiConfig
from component.ejabberd_api import EjabberdApi
from component.models import Tier
from devstack.ports import free_port
from tests.integration.clients import Client
from tests.integration.helpdesk_fixtures import Desk
from tests.integration.test_adhoc_settings import note, pick, submit
from tests.integration.test_cli import helperchat, write_config

pytestmark = pytest.mark.integration

SUBSCRIPTION_TYPES = ("subscribe", "subscribed", "unsubscribe", "unsubscribed")


def api_url(desk: Desk) -> str:
    return f"http://{desk.ejabberd.host}:{desk.ejabberd.http_port}/api"


def config_with_api(desk: Desk, path: Path, url: str | None) -> Path:
    """The command line's config for this test's world, with `ejabberd_api.url` when given."""
    write_config(desk, path)
    if url is not None:
        with path.open("a", encoding="utf-8") as file:
            file.write(f"ejabberd_api:\n  url: {url}\n  timeout: 3\n")
    return path


def api(desk: Desk) -> EjabberdApi:
    return EjabberdApi(EjabberdApiConfig(url=api_url(desk)))


async def desk_items(desk: Desk, jid: str) -> list[dict[str, Any]]:
    """The items of `jid`'s roster, as ejabberd itself has them, that are the acme desk."""
    roster = await api(desk).get_roster(jid)
    return [item for item in roster if item.get("jid") == desk.desk_jid()]


class QuietClient(Client):
    """An operator's client that accepts nothing and asks for nothing: slixmpp's automatic
    answers to subscription requests are off, and every presence it sends is recorded."""

    def __init__(self, jid: str, password: str, host: str, port: int) -> None:
        super().__init__(jid, password, host, port)
        self.xmpp.auto_authorize = False
        self.xmpp.auto_subscribe = False
        self.sent_presence_types: list[str] = []
        self.xmpp.add_filter("out", self._note_outgoing)

    def _note_outgoing(self, stanza: Any) -> Any:
        if getattr(stanza, "name", "") == "presence":
            self.sent_presence_types.append(str(stanza["type"]))
        return stanza

    @property
    def subscription_stanzas_sent(self) -> list[str]:
        return [kind for kind in self.sent_presence_types if kind in SUBSCRIPTION_TYPES]


async def quiet_client(desk: Desk, jid: str) -> QuietClient:
    await desk.register(jid)
    client = QuietClient(jid, "secret", desk.ejabberd.host, desk.ejabberd.c2s_port)
    desk.clients.append(client)
    await client.start()
    return client


def known_subscribed(desk: Desk, jid: str) -> bool:
    site = desk.service.directory.site("acme")
    operator = None if site is None else desk.service.directory.operator(site.id, jid)
    return operator is not None and operator.subscribed


def online(desk: Desk, jid: str) -> bool:
    return desk.service.presence.tier_of(jid) is not Tier.OFFLINE


def asked_by_desk(desk: Desk, client: Client) -> bool:
    return any(
        p["type"] == "subscribe" and p["from"].bare == desk.desk_jid() for p in client.presences
    )


async def subscribed_at(desk: Desk, jid: str) -> object:
    rows = await desk.rows("SELECT subscribed_at FROM operators WHERE jid = %s", jid)
    return rows[0][0]


async def test_an_operator_added_with_the_api_gets_chats_without_sending_any_subscription(
    desk: Desk, tmp_path: Path
) -> None:
    config = config_with_api(desk, tmp_path / "config.yaml", api_url(desk))
    use_api(desk, api_url(desk))
    await desk.start_component()
    pat_jid = desk.user("pat")
    await desk.register(pat_jid)
    added = await asyncio.to_thread(
        helperchat, config, "operator", "add", "acme", pat_jid, "--name", "Pat"
    )
    assert added.returncode == 0, added.stderr
    assert "the desk is in their roster" in added.stdout
    items = await desk_items(desk, pat_jid)
    assert [(i["subscription"], i["nick"], i["group"]) for i in items] == [
        ("both", "Acme Inc.", "HelperChat")
    ]
    assert await subscribed_at(desk, pat_jid) is not None
    await desk.wait_for(lambda: known_subscribed(desk, pat_jid))  # the reload saw them

    pat = await quiet_client(desk, pat_jid)
    await desk.wait_for(lambda: online(desk, pat_jid))
    visitor = await desk.client(desk.user("visitor"))
    visitor.send(desk.desk_jid(), "hello, anyone there?")
    await pat.expect_from(desk.chat_jid(1), "hello, anyone there?")
    assert pat.subscription_stanzas_sent == []
    assert not asked_by_desk(desk, pat)
    assert [p["type"] for p in pat.presences if p["type"] in SUBSCRIPTION_TYPES] == []
    assert [(i["subscription"]) for i in await desk_items(desk, pat_jid)] == ["both"]

    removed = await asyncio.to_thread(helperchat, config, "operator", "remove", "acme", pat_jid)
    assert removed.returncode == 0, removed.stderr
    assert await desk_items(desk, pat_jid) == []


async def test_an_operator_online_before_being_added_is_online_at_the_desk_at_once(
    desk: Desk, tmp_path: Path
) -> None:
    config = config_with_api(desk, tmp_path / "config.yaml", api_url(desk))
    use_api(desk, api_url(desk))
    await desk.start_component()
    sam_jid = desk.user("sam")
    sam = await quiet_client(desk, sam_jid)  # logged in first: no presence to the desk yet
    added = await asyncio.to_thread(
        helperchat, config, "operator", "add", "acme", sam_jid, "--name", "Sam"
    )
    assert added.returncode == 0, added.stderr
    await desk.wait_for(lambda: online(desk, sam_jid))  # the desk probed, ejabberd answered
    visitor = await desk.client(desk.user("visitor"))
    visitor.send(desk.desk_jid(), "a question")
    await sam.expect_from(desk.chat_jid(1), "a question")
    assert sam.subscription_stanzas_sent == []
    assert not asked_by_desk(desk, sam)


def use_api(desk: Desk, url: str) -> None:
    """The component started next calls ejabberd's API at `url` too."""
    desk.config = replace(desk.config, ejabberd_api=EjabberdApiConfig(url=url, timeout=3.0))


async def test_the_running_desk_pushes_itself_to_operators_it_finds_unsubscribed(
    desk: Desk,
) -> None:
    """Operators added without the push (before ejabberd_api was set, or by any path that only
    stores them) get the desk from the running component: at its start, and when a reload
    finds them."""
    use_api(desk, api_url(desk))
    old_jid, new_jid = desk.user("old"), desk.user("new")
    await desk.add_operator("acme", old_jid, "Old", max_chats=1)  # stored only, no push
    await desk.start_component()
    await desk.wait_for(lambda: known_subscribed(desk, old_jid))
    await desk.add_operator("acme", new_jid, "New", max_chats=1)  # the reload finds them
    await desk.wait_for(lambda: known_subscribed(desk, new_jid))
    for jid in (old_jid, new_jid):
        assert [i["subscription"] for i in await desk_items(desk, jid)] == ["both"]
        assert await subscribed_at(desk, jid) is not None
    old, new = await quiet_client(desk, old_jid), await quiet_client(desk, new_jid)
    await desk.wait_for(lambda: online(desk, old_jid) and online(desk, new_jid))
    first, second = await desk.client(desk.user("v1")), await desk.client(desk.user("v2"))
    first.send(desk.desk_jid(), "first question")
    second.send(desk.desk_jid(), "second question")
    got = [await c.expect(lambda r: "question" in r.body) for c in (old, new)]
    assert sorted(r.body.splitlines()[-1] for r in got) == ["first question", "second question"]
    for client in (old, new):
        assert client.subscription_stanzas_sent == []
        assert not asked_by_desk(desk, client)


async def test_an_unreachable_api_still_adds_the_operator_and_the_desk_asks(
    desk: Desk, tmp_path: Path
) -> None:
    wrong = f"http://127.0.0.1:{free_port()}/api"  # nothing listens there
    config = config_with_api(desk, tmp_path / "config.yaml", wrong)
    use_api(desk, wrong)  # the running component fails as well, and asks
    await desk.start_component()
    lee_jid = desk.user("lee")
    await desk.register(lee_jid)
    added = await asyncio.to_thread(
        helperchat, config, "operator", "add", "acme", lee_jid, "--name", "Lee"
    )
    assert added.returncode == 0, added.stderr
    assert "the desk will ask them for a subscription" in added.stdout
    assert "could not put the desk" in added.stderr
    assert "unreachable" in added.stderr
    assert await subscribed_at(desk, lee_jid) is None
    assert await desk_items(desk, lee_jid) == []
    lee = await desk.client(lee_jid)  # slixmpp's default: approves the desk's request
    await desk.wait_for(lambda: asked_by_desk(desk, lee))  # the fallback: today's request
    await desk.wait_for(lambda: known_subscribed(desk, lee_jid))
    await desk.wait_for(lambda: online(desk, lee_jid))

    removed = await asyncio.to_thread(helperchat, config, "operator", "remove", "acme", lee_jid)
    assert removed.returncode == 0, removed.stderr
    assert "could not take the desk" in removed.stderr


async def test_a_refusing_api_is_reported_and_changes_nothing_else(
    desk: Desk, tmp_path: Path
) -> None:
    """An operator of another server: ejabberd's API refuses (not its user), the operator is
    added all the same and will be asked."""
    config = config_with_api(desk, tmp_path / "config.yaml", api_url(desk))
    added = await asyncio.to_thread(
        helperchat, config, "operator", "add", "acme", "kim@elsewhere.example", "--name", "Kim"
    )
    assert added.returncode == 0, added.stderr
    assert "the desk will ask them for a subscription" in added.stdout
    assert "HTTP 500" in added.stderr
    assert await subscribed_at(desk, "kim@elsewhere.example") is None


async def test_without_the_api_the_roster_is_left_alone(desk: Desk, tmp_path: Path) -> None:
    config = config_with_api(desk, tmp_path / "config.yaml", None)
    ana_jid = desk.user("ana")
    await desk.register(ana_jid)
    added = await asyncio.to_thread(
        helperchat, config, "operator", "add", "acme", ana_jid, "--name", "Ana"
    )
    assert added.returncode == 0, added.stderr
    assert "the desk will ask them for a subscription" in added.stdout
    assert added.stderr == ""
    assert await desk_items(desk, ana_jid) == []
    assert await subscribed_at(desk, ana_jid) is None


async def test_the_operators_command_adds_and_removes_through_the_api(desk: Desk) -> None:
    """A site admin adding an operator with the desk's `operators` command: the running desk
    puts itself into the newcomer's roster, so a client that never sends a subscription stanza
    gets the next chat; removing them with the command takes the desk out of their roster."""
    use_api(desk, api_url(desk))
    await desk.register(desk.user("alice"))
    await desk.admin.add_operator("acme", desk.user("alice"), "Alice", 0, 1, admin=True)
    await desk.start_component()
    alice = await desk.operator_online(desk.user("alice"))
    kit_jid = desk.user("kit")
    await desk.register(kit_jid)
    kit = await quiet_client(desk, kit_jid)
    added = await pick(alice, desk, "add", kit_jid)
    assert kit_jid in note(await submit(alice, desk.desk_jid(), added, name="Kit", priority="50"))
    await desk.wait_for(lambda: known_subscribed(desk, kit_jid))
    assert [i["subscription"] for i in await desk_items(desk, kit_jid)] == ["both"]
    await desk.wait_for(lambda: online(desk, kit_jid))
    visitor = await desk.client(desk.user("visitor"))
    visitor.send(desk.desk_jid(), "is anyone new there?")
    await kit.expect_from(desk.chat_jid(1), "is anyone new there?")  # first by priority
    assert kit.subscription_stanzas_sent == []
    assert not asked_by_desk(desk, kit)

    assert "removed" in note(await pick(alice, desk, "remove", kit_jid))
    for _ in range(100):  # the call to the API follows the command's answer
        if await desk_items(desk, kit_jid) == []:
            break
        await asyncio.sleep(0.05)
    assert await desk_items(desk, kit_jid) == []
