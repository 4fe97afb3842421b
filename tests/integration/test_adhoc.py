"""Ad-hoc commands (XEP-0050) from real slixmpp clients through the real ejabberd: every command
end to end, the disco listing per requester, and who may run what (a stolen session included)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from slixmpp.exceptions import IqError

from tests.integration.clients import COMMANDS_NS, Client, expect_no_more
from tests.integration.helpdesk_fixtures import Desk

CHAT_COMMANDS = ["info", "transfer", "close"]
DESK_COMMANDS = ["status", "pause", "resume", "queue", "recent", "transcript", "search", "feedback"]


@dataclass
class Staff:
    alice: Client  # operator of acme, holds chat acme.1
    bob: Client  # operator of acme, online, holds nothing
    mallory: Client  # operator of globex only
    eve: Client  # nobody's operator
    visitor: Client  # opened acme.1


async def staffed(desk: Desk) -> Staff:
    await desk.admin.add_site("globex", "Globex")
    alice_jid, bob_jid, mallory_jid = desk.user("alice"), desk.user("bob"), desk.user("mallory")
    await desk.add_operator("acme", alice_jid, "Alice", priority=10)
    await desk.add_operator("acme", bob_jid, "Bob", priority=5)
    await desk.add_operator("globex", mallory_jid, "Mallory")
    await desk.start_component()
    alice = await desk.operator_online(alice_jid)
    bob = await desk.operator_online(bob_jid)
    mallory = await desk.operator_online(mallory_jid)
    eve = await desk.client(desk.user("eve"))
    visitor = await desk.client(desk.user("visitor"))
    visitor.send(desk.desk_jid(), "hello")
    await alice.expect_from(desk.chat_jid(1), "hello")
    return Staff(alice, bob, mallory, eve, visitor)


def completed(iq: Any) -> tuple[str, str]:
    """The (type, text) of the one note of a completed command; fails on anything else."""
    assert iq["type"] == "result", f"expected a result, got {iq}"
    assert iq["command"]["status"] == "completed" and iq["command"]["sessionid"]
    (note,) = iq["command"]["notes"]
    return note[0], note[1]


def refused(iq: Any) -> str:
    assert iq["type"] == "error", f"expected an error, got {iq}"
    return str(iq["error"]["condition"])


async def listing(client: Client, jid: str) -> list[str] | str:
    """The nodes `jid` lists for `client`, or the error condition it answers with."""
    try:
        return [node for node, _ in await client.commands(jid)]
    except IqError as error:
        return str(error.iq["error"]["condition"])


def holder(desk: Desk, number: int = 1) -> str | None:
    entry = desk.service.chats.get(desk.service.directory.site("acme").id, number)  # type: ignore[union-attr]
    return entry.chat.operator if entry is not None else None


# -- listing ---------------------------------------------------------------------------------


async def test_commands_are_listed_per_requester_and_address(desk: Desk) -> None:
    staff = await staffed(desk)
    chat, acme, globex = desk.chat_jid(1), desk.desk_jid(), desk.desk_jid("globex")
    expected: dict[tuple[str, str], list[str] | str] = {
        ("alice", chat): CHAT_COMMANDS,
        ("alice", acme): DESK_COMMANDS,
        ("alice", globex): [],
        ("bob", chat): [],  # a colleague's chat: commands only for the operator holding it
        ("bob", acme): DESK_COMMANDS,
        ("mallory", chat): "forbidden",
        ("mallory", acme): [],
        ("mallory", globex): DESK_COMMANDS,
        ("eve", chat): "forbidden",
        ("eve", acme): [],
        ("eve", globex): [],
    }
    seen = {(who, jid): await listing(getattr(staff, who), jid) for who, jid in expected}
    assert seen == expected

    names = dict(await staff.alice.commands(chat))
    assert set(names) == set(CHAT_COMMANDS) and all(names.values())
    for who, jid in [
        ("alice", desk.chat_jid(99)),
        ("alice", f"nosuch@{desk.domain}"),
        ("eve", f"nosuch.1@{desk.domain}"),
    ]:
        assert await listing(getattr(staff, who), jid) == "item-not-found"
    assert await listing(staff.eve, desk.chat_jid(99)) == "forbidden"  # no hint what exists
    assert await listing(staff.alice, desk.domain) == []


async def test_disco_info_names_the_commands_feature(desk: Desk) -> None:
    staff = await staffed(desk)
    disco = staff.alice.xmpp.plugin["xep_0030"]
    for jid in (desk.desk_jid(), desk.chat_jid(1)):
        info = await disco.get_info(jid=jid, timeout=10)
        assert COMMANDS_NS in info["disco_info"]["features"]
        relayed = ("http://jabber.org/protocol/chatstates", "urn:xmpp:receipts")
        assert set(relayed) <= set(info["disco_info"]["features"])  # clients send them
        node = await disco.get_info(jid=jid, node=COMMANDS_NS, timeout=10)
        assert ("automation", "command-list") in {
            (category, kind) for category, kind, _, _ in node["disco_info"]["identities"]
        }
    info = await disco.get_info(jid=desk.chat_jid(1), node="transfer", timeout=10)
    assert ("automation", "command-node") in {
        (category, kind) for category, kind, _, _ in info["disco_info"]["identities"]
    }
    with pytest.raises(IqError) as stranger:
        await staff.eve.xmpp.plugin["xep_0030"].get_info(jid=desk.chat_jid(1), timeout=10)
    assert stranger.value.iq["error"]["condition"] == "forbidden"
    with pytest.raises(IqError) as unknown:
        await disco.get_info(jid=desk.chat_jid(99), timeout=10)
    assert unknown.value.iq["error"]["condition"] == "item-not-found"


# -- who may run what --------------------------------------------------------------------------


async def test_only_the_sites_operators_run_commands_and_nothing_changes_for_others(
    desk: Desk,
) -> None:
    staff = await staffed(desk)
    chat, acme = desk.chat_jid(1), desk.desk_jid()
    for who in ("bob", "mallory", "eve"):
        for node in CHAT_COMMANDS:
            answer = await getattr(staff, who).run_command(chat, node)
            assert refused(answer) == "forbidden", (who, node)
    for who in ("mallory", "eve"):
        for node in DESK_COMMANDS:
            answer = await getattr(staff, who).run_command(acme, node)
            assert refused(answer) == "forbidden", (who, node)
    refusal = await staff.bob.run_command(chat, "close")
    assert refusal["error"]["text"] == "Chat acme.1 is not assigned to you."

    assert holder(desk) == desk.user("alice")
    directory = desk.service.directory
    assert not any(op.paused for op in directory.operators())
    unknown = [
        await staff.alice.run_command(desk.chat_jid(99), "info"),
        await staff.alice.run_command(f"nosuch@{desk.domain}", "status"),
        await staff.alice.run_command(f"nosuch.1@{desk.domain}", "info"),
        await staff.alice.run_command(acme, "frobnicate"),
        await staff.alice.run_command(acme, "info"),  # a chat command at the desk
        await staff.alice.run_command(desk.domain, "status"),
    ]
    assert [refused(iq) for iq in unknown] == ["item-not-found"] * len(unknown)
    await expect_no_more(staff.alice, staff.bob, staff.visitor)


async def test_a_stolen_session_id_is_forbidden_and_changes_nothing(desk: Desk) -> None:
    staff = await staffed(desk)
    chat, bob_jid = desk.chat_jid(1), desk.user("bob")
    form = await staff.alice.run_command(chat, "transfer")
    assert form["command"]["status"] == "executing"
    sessionid = form["command"]["sessionid"]

    for thief in (staff.eve, staff.mallory, staff.bob):
        for action in ("complete", "next", "execute"):
            stolen = await thief.run_command(
                chat, "transfer", action=action, sessionid=sessionid, values={"operator": bob_jid}
            )
            assert refused(stolen) == "forbidden"
        cancel = await thief.run_command(chat, "transfer", action="cancel", sessionid=sessionid)
        assert refused(cancel) == "forbidden"
    assert holder(desk) == desk.user("alice")
    await expect_no_more(staff.alice, staff.bob, staff.visitor)

    done = await staff.alice.run_command(
        chat, "transfer", action="complete", sessionid=sessionid, values={"operator": bob_jid}
    )
    assert completed(done) == ("info", "Chat acme.1 moved to Bob (you transferred it to Bob).")
    again = await staff.alice.run_command(
        chat, "transfer", action="complete", sessionid=sessionid, values={"operator": bob_jid}
    )
    assert refused(again) == "bad-request"  # the session ended with the command


async def test_sessions_can_be_cancelled_and_unknown_ones_are_refused(desk: Desk) -> None:
    staff = await staffed(desk)
    chat = desk.chat_jid(1)
    form = await staff.alice.run_command(chat, "transfer")
    sessionid = form["command"]["sessionid"]
    cancelled = await staff.alice.run_command(
        chat, "transfer", action="cancel", sessionid=sessionid
    )
    assert cancelled["command"]["status"] == "canceled"
    late = await staff.alice.run_command(
        chat, "transfer", action="complete", sessionid=sessionid, values={"operator": "x"}
    )
    assert refused(late) == "bad-request"
    made_up = await staff.alice.run_command(chat, "transfer", sessionid="made-up")
    assert refused(made_up) == "bad-request"
    assert made_up["error"].xml.find(f"{{{COMMANDS_NS}}}bad-sessionid") is not None

    form = await staff.alice.run_command(chat, "transfer")
    sessionid = form["command"]["sessionid"]
    empty = await staff.alice.run_command(
        chat, "transfer", action="complete", sessionid=sessionid, values={}
    )
    assert refused(empty) == "bad-request"
    huge = await staff.alice.run_command(
        chat, "transfer", action="complete", sessionid=sessionid, values={"operator": "x" * 5000}
    )
    assert refused(huge) == "not-acceptable"
    back = await staff.alice.run_command(chat, "transfer", action="prev", sessionid=sessionid)
    assert back["error"].xml.find(f"{{{COMMANDS_NS}}}bad-action") is not None
    # a bad answer ends nothing: the session still completes
    done = await staff.alice.run_command(
        chat, "transfer", action="complete", sessionid=sessionid, values={"operator": "Zed"}
    )
    assert completed(done)[0] == "warn" and "No operator 'Zed' in Acme Inc." in completed(done)[1]
    assert holder(desk) == desk.user("alice")
    await expect_no_more(staff.alice, staff.bob, staff.visitor)


# -- each command end to end -------------------------------------------------------------------


async def test_info_shows_the_text_of_slash_info(desk: Desk) -> None:
    staff = await staffed(desk)
    kind, text = completed(await staff.alice.run_command(desk.chat_jid(1), "info"))
    assert kind == "info"
    assert f"<{desk.user('visitor')}> (xmpp)" in text and "Routing: assigned to" in text
    staff.alice.send(desk.chat_jid(1), "/info")
    slash = await staff.alice.expect_from(desk.chat_jid(1))
    assert slash.body == text
    await expect_no_more(staff.alice, staff.visitor)


async def test_transfer_through_the_form_to_an_online_operator(desk: Desk) -> None:
    staff = await staffed(desk)
    carol_jid = desk.user("carol")
    await desk.add_operator("acme", carol_jid, "Carol")  # never logs in
    await desk.wait_for(lambda: desk.service.directory.is_operator(carol_jid))
    chat, bob_jid = desk.chat_jid(1), desk.user("bob")

    step = await staff.alice.run_command(chat, "transfer")
    assert step["command"]["status"] == "executing"
    form = step["command"]["form"]
    assert form["type"] == "form" and form["title"] == "Transfer chat acme.1"
    field = form.get_fields()["operator"]
    assert field["type"] == "list-single" and field["required"]
    options = [(o["label"], o["value"]) for o in field["options"]]
    assert options == [("Bob (available)", bob_jid), ("Carol (offline)", carol_jid)]

    offline = await staff.alice.run_command(
        chat,
        "transfer",
        action="complete",
        sessionid=step["command"]["sessionid"],
        values={"operator": carol_jid},
    )
    assert completed(offline) == ("warn", "Carol is offline; the chat stays with you.")
    assert holder(desk) == desk.user("alice")

    step = await staff.alice.run_command(chat, "transfer")
    done = await staff.alice.run_command(
        chat,
        "transfer",
        action="complete",
        sessionid=step["command"]["sessionid"],
        values={"operator": bob_jid},
    )
    notice = "Chat acme.1 moved to Bob (you transferred it to Bob)."
    assert completed(done) == ("info", notice)
    transcript = await staff.bob.expect_from(chat, "is now yours")
    assert "Visitor: hello" in transcript.body
    told = await staff.visitor.expect_from(desk.desk_jid())
    assert told.body == "You are now talking to Bob."
    assert (await staff.alice.expect_from(chat)).body == notice  # as after /transfer
    assert holder(desk) == bob_jid
    assert await listing(staff.alice, chat) == []
    assert await listing(staff.bob, chat) == CHAT_COMMANDS
    staff.bob.send(chat, "Bob here")
    assert (await staff.visitor.expect_from(desk.desk_jid())).body == "Bob here"
    await expect_no_more(staff.alice, staff.bob, staff.visitor)


async def test_close_closes_the_chat_and_tells_the_visitor(desk: Desk) -> None:
    staff = await staffed(desk)
    chat = desk.chat_jid(1)
    assert completed(await staff.alice.run_command(chat, "close")) == (
        "info",
        "Chat acme.1 closed.",
    )
    assert "closed the chat" in (await staff.visitor.expect_from(desk.desk_jid())).body
    assert (await staff.alice.expect_from(chat)).body == "Chat acme.1 closed."
    assert holder(desk) is None
    assert await listing(staff.alice, chat) == []
    again = await staff.alice.run_command(chat, "info")
    assert refused(again) == "not-allowed"
    assert again["error"]["text"] == "Chat acme.1 is closed."
    await desk.flush_archive()
    assert await desk.rows("SELECT state FROM chats WHERE number = 1") == [("closed",)]
    await expect_no_more(staff.alice, staff.visitor)


async def test_desk_commands_status_pause_queue_resume(desk: Desk) -> None:
    staff = await staffed(desk)
    acme = desk.desk_jid()
    kind, status = completed(await staff.alice.run_command(acme, "status"))
    assert kind == "info"
    assert status.startswith("You at Acme Inc.: available (1 connected)")
    assert "Open chats: 1/unlimited (acme.1)" in status

    for operator in (staff.alice, staff.bob):
        kind, text = completed(await operator.run_command(acme, "pause"))
        assert (kind, text.split(":")[0]) == ("info", "Paused")
    assert completed(await staff.alice.run_command(acme, "pause")) == (
        "warn",
        "You are paused already.",
    )
    second = await desk.client(desk.user("second"))
    second.send(acme, "anyone?")
    await second.expect_from(acme, "number 1 in the queue")
    _, queue = completed(await staff.bob.run_command(acme, "queue"))
    assert queue.startswith("Queue of Acme Inc. (1):\n1. acme.2 ")

    kind, text = completed(await staff.alice.run_command(acme, "resume"))
    assert (kind, text) == ("info", "Resumed: you get new chats of Acme Inc. again.")
    header = await staff.alice.expect_from(desk.chat_jid(2), "New chat acme.2")
    assert header.body.endswith("anyone?")
    _, queue = completed(await staff.bob.run_command(acme, "queue"))
    assert queue == "The queue of Acme Inc. is empty."
    await desk.flush_archive()
    paused = await desk.rows("SELECT jid, paused FROM operators")
    assert dict(paused)[desk.user("alice")] == 0 and dict(paused)[desk.user("bob")] == 1
    await expect_no_more(staff.alice, staff.bob, staff.visitor, second)
