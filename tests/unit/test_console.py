"""The ad-hoc console over fake ports: who may list and run which command, and that every command
answers with the same text and effect as its slash twin (one function serves both)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from component.desk import console
from component.desk.archive_view import ARCHIVE_COMMANDS
from component.desk.commands import Reply, operator_wrote_chat, operator_wrote_desk
from component.directory import Directory
from component.errors import (
    ChatClosed,
    InvalidInput,
    NotAllowed,
    NotYourChat,
    UnknownChat,
    UnknownCommand,
    UnknownSite,
)
from component.models import ChatState, VisitorKind
from tests.unit.fakes import ACME, ALICE, BOB, GLOBEX, MALLORY, World, make_world

VISITOR = "vera@v.test"
STRANGER = "eve@x.test"
CAROL = replace(BOB, jid="carol@x.test", name="Carol", priority=1)


def chat_world(*extra: object) -> World:
    """Alice and Bob online at acme, Alice holds chat acme.1 with Vera."""
    world = make_world()
    world.online(ALICE.jid)
    world.online(BOB.jid)
    world.desk.visitor_wrote("acme", VISITOR, VisitorKind.XMPP, "Vera", "hello")
    world.out.take()
    return world


def slash_reply(world: World, jid: str, body: str, *, desk: bool = False) -> str:
    if desk:
        operator_wrote_desk(world.desk, jid, "acme", body)
    else:
        operator_wrote_chat(world.desk, jid, "acme", 1, body)
    return world.out.to(jid)[-1].body


# -- who sees which commands -----------------------------------------------------------------


def test_desk_commands_are_listed_for_the_sites_operators_only() -> None:
    world = chat_world()
    for jid in (ALICE.jid, BOB.jid):
        assert console.desk_commands(world.desk, jid, "acme") == (
            *console.DESK_COMMANDS,
            *ARCHIVE_COMMANDS,
            "feedback",
        )
    assert console.DESK_COMMANDS == ("status", "pause", "resume", "queue")
    assert console.desk_commands(world.desk, MALLORY.jid, "acme") == ()
    assert console.desk_commands(world.desk, STRANGER, "acme") == ()
    globex = console.desk_commands(world.desk, MALLORY.jid, "globex")
    assert globex == (*console.DESK_COMMANDS, *ARCHIVE_COMMANDS, "feedback")
    with pytest.raises(UnknownSite):
        console.desk_commands(world.desk, ALICE.jid, "nosuch")


def test_chat_commands_are_listed_for_the_operator_holding_the_chat_only() -> None:
    world = chat_world()
    assert console.chat_commands(world.desk, ALICE.jid, "acme", 1) == ("info", "transfer", "close")
    assert console.chat_commands(world.desk, BOB.jid, "acme", 1) == ()  # a colleague's chat
    for outsider in (MALLORY.jid, STRANGER):
        with pytest.raises(NotAllowed):
            console.chat_commands(world.desk, outsider, "acme", 1)
        with pytest.raises(NotAllowed):  # strangers learn nothing about which chats exist
            console.chat_commands(world.desk, outsider, "acme", 99)
    with pytest.raises(UnknownChat):
        console.chat_commands(world.desk, ALICE.jid, "acme", 99)
    with pytest.raises(UnknownSite):
        console.chat_commands(world.desk, ALICE.jid, "nosuch", 1)
    console.run_in_chat(world.desk, ALICE.jid, "acme", 1, "close")
    assert console.chat_commands(world.desk, ALICE.jid, "acme", 1) == ()
    with pytest.raises(UnknownChat):
        console.chat_commands(world.desk, ALICE.jid, "acme", 2)


@pytest.mark.parametrize("name", ["info", "transfer", "close"])
def test_running_a_chat_command_is_refused_to_everyone_but_its_holder(name: str) -> None:
    world = chat_world()
    with pytest.raises(NotYourChat) as mine:
        console.run_in_chat(world.desk, BOB.jid, "acme", 1, name, ALICE.jid)
    assert mine.value.condition == "forbidden"
    assert mine.value.text == "Chat acme.1 is not assigned to you."
    for outsider in (MALLORY.jid, STRANGER):
        with pytest.raises(NotAllowed) as refused:
            console.run_in_chat(world.desk, outsider, "acme", 1, name, BOB.jid)
        assert refused.value.condition == "forbidden"
    with pytest.raises(UnknownChat):
        console.run_in_chat(world.desk, ALICE.jid, "acme", 7, name, BOB.jid)
    entry = world.desk.chats.get(ACME.id, 1)
    assert entry is not None and entry.chat.operator == ALICE.jid
    assert world.out.messages == []  # nobody was told anything


@pytest.mark.parametrize("name", ["status", "pause", "resume", "queue"])
def test_running_a_desk_command_is_refused_to_everyone_but_the_sites_operators(name: str) -> None:
    world = chat_world()
    for outsider in (MALLORY.jid, STRANGER):
        with pytest.raises(NotAllowed):
            console.run_at_desk(world.desk, outsider, "acme", name)
    with pytest.raises(UnknownSite):
        console.run_at_desk(world.desk, ALICE.jid, "nosuch", name)
    assert [u for u in world.archive.operators if u.paused is not None] == []
    assert world.out.messages == []


def test_unknown_command_names_are_item_not_found() -> None:
    world = chat_world()
    with pytest.raises(UnknownCommand) as unknown:
        console.run_at_desk(world.desk, ALICE.jid, "acme", "help")
    assert unknown.value.condition == "item-not-found"
    with pytest.raises(UnknownCommand):
        console.run_in_chat(world.desk, ALICE.jid, "acme", 1, "status")


def test_closed_chat_refuses_commands_with_not_allowed() -> None:
    world = chat_world()
    console.run_in_chat(world.desk, ALICE.jid, "acme", 1, "close")
    with pytest.raises(ChatClosed) as closed:
        console.run_in_chat(world.desk, ALICE.jid, "acme", 1, "info")
    assert closed.value.condition == "not-allowed"
    assert closed.value.text == "Chat acme.1 is closed."
    assert "acme.1 is closed; your message was not delivered" in slash_reply(
        world, ALICE.jid, "/info"
    )


# -- the same text and effect as the slash commands --------------------------------------------


def test_info_is_the_text_of_slash_info() -> None:
    world = chat_world()
    reply = console.run_in_chat(world.desk, ALICE.jid, "acme", 1, "info")
    assert reply.done and not reply.told
    assert world.out.messages == []  # the ad-hoc path shows it in the command result only
    assert f"Visitor: Vera <{VISITOR}> (xmpp)" in reply.text
    assert reply.text == slash_reply(world, ALICE.jid, "/info")


def test_close_closes_and_tells_as_slash_close_does() -> None:
    world = chat_world()
    reply = console.run_in_chat(world.desk, ALICE.jid, "acme", 1, "close")
    assert (reply.text, reply.done, reply.told) == ("Chat acme.1 closed.", True, True)
    assert [m.body for m in world.out.to(ALICE.jid)] == [reply.text]
    assert "closed the chat" in world.out.to(VISITOR)[-1].body
    assert world.archive.chats[-1].state is ChatState.CLOSED


def test_transfer_by_jid_moves_the_chat_as_slash_transfer_does() -> None:
    world = chat_world()
    reply = console.run_in_chat(world.desk, ALICE.jid, "acme", 1, "transfer", BOB.jid)
    assert reply.done and reply.told
    assert reply.text == "Chat acme.1 moved to Bob (you transferred it to Bob)."
    assert [m.body for m in world.out.to(ALICE.jid)] == [reply.text]
    assert "is now yours" in world.out.to(BOB.jid)[-1].body
    assert world.out.to(VISITOR)[-1].body == "You are now talking to Bob."
    assert world.archive.chats[-1].operator == BOB.jid


@pytest.mark.parametrize(
    ("target", "offline", "disabled", "text"),
    [
        (CAROL.jid, True, False, "Carol is offline; the chat stays with you."),
        (CAROL.jid, False, True, "Carol is disabled; the chat stays with you."),
        (ALICE.jid, False, False, "This chat is yours already."),
        (MALLORY.jid, False, False, "No operator 'mallory@x.test' in Acme Inc."),
        ("", False, False, "Usage: /transfer"),
    ],
)
def test_transfer_refusals_are_the_texts_of_slash_transfer(
    target: str, offline: bool, disabled: bool, text: str
) -> None:
    carol = replace(CAROL, enabled=not disabled)
    world = make_world((ALICE, BOB, carol, MALLORY))
    for jid in (ALICE.jid, BOB.jid) + (() if offline else (carol.jid,)):
        world.online(jid)
    world.desk.visitor_wrote("acme", VISITOR, VisitorKind.XMPP, "Vera", "hello")
    world.out.take()
    reply = console.run_in_chat(world.desk, ALICE.jid, "acme", 1, "transfer", target)
    assert text in reply.text and not reply.done and not reply.told
    assert world.out.messages == []
    assert reply.text == slash_reply(world, ALICE.jid, f"/transfer {target}".strip())
    entry = world.desk.chats.get(ACME.id, 1)
    assert entry is not None and entry.chat.operator == ALICE.jid


def test_transfer_choices_are_the_other_operators_of_the_site_by_name() -> None:
    world = make_world((ALICE, BOB, CAROL, MALLORY))
    world.online(ALICE.jid)
    world.online(BOB.jid, "away")
    world.desk.visitor_wrote("acme", VISITOR, VisitorKind.XMPP, "Vera", "hello")
    form = console.ask_transfer(world.desk, ALICE.jid, "acme", 1)
    assert isinstance(form, console.Question)
    assert form.title == "Transfer chat acme.1"
    (field,) = form.fields
    assert (field.var, field.label, field.required) == ("operator", "Operator", True)
    assert [(c.value, c.label) for c in field.choices] == [
        (BOB.jid, "Bob (away)"),
        (CAROL.jid, "Carol (offline)"),
    ]
    with pytest.raises(NotYourChat):
        console.ask_transfer(world.desk, BOB.jid, "acme", 1)
    with pytest.raises(NotAllowed):
        console.ask_transfer(world.desk, MALLORY.jid, "acme", 1)
    reply = console.answer_transfer(world.desk, ALICE.jid, "acme", 1, {"operator": CAROL.jid})
    assert reply == Reply("Carol is offline; the chat stays with you.", done=False)
    with pytest.raises(InvalidInput):
        console.answer_transfer(world.desk, ALICE.jid, "acme", 1, {"operator": " "})
    with pytest.raises(NotYourChat):
        console.answer_transfer(world.desk, BOB.jid, "acme", 1, {"operator": CAROL.jid})
    reply = console.answer_transfer(world.desk, ALICE.jid, "acme", 1, {"operator": BOB.jid})
    assert reply.done and world.archive.chats[-1].operator == BOB.jid


def test_transfer_choices_tell_namesakes_apart_and_show_disabled() -> None:
    other_bob = replace(CAROL, name="Bob", enabled=False)
    world = make_world((ALICE, BOB, other_bob))
    world.online(ALICE.jid)
    world.desk.visitor_wrote("acme", VISITOR, VisitorKind.XMPP, "Vera", "hello")
    form = console.ask_transfer(world.desk, ALICE.jid, "acme", 1)
    assert isinstance(form, console.Question)
    labels = [c.label for c in form.fields[0].choices]
    assert labels == ["Bob <bob@x.test> (offline)", "Bob <carol@x.test> (disabled)"]


def test_transfer_with_nobody_else_at_the_site_is_refused_before_any_form() -> None:
    world = make_world((ALICE, MALLORY))
    world.online(ALICE.jid)
    world.desk.visitor_wrote("acme", VISITOR, VisitorKind.XMPP, "Vera", "hello")
    reply = console.ask_transfer(world.desk, ALICE.jid, "acme", 1)
    assert reply == Reply("Nobody else works at Acme Inc.; the chat stays with you.", False)


@pytest.mark.parametrize("name", ["status", "queue"])
def test_desk_reports_are_the_texts_of_their_slash_twins(name: str) -> None:
    world = chat_world()
    reply = console.run_at_desk(world.desk, ALICE.jid, "acme", name)
    assert reply.done and not reply.told and world.out.messages == []
    assert reply.text == slash_reply(world, ALICE.jid, f"/{name}", desk=True)


def test_pause_and_resume_as_the_slash_commands_do() -> None:
    world = make_world((ALICE,))
    world.online(ALICE.jid)
    paused = console.run_at_desk(world.desk, ALICE.jid, "acme", "pause")
    assert paused.done and paused.text.startswith("Paused: you get no new chats of Acme Inc.")
    again = console.run_at_desk(world.desk, ALICE.jid, "acme", "pause")
    assert not again.done and again.text == slash_reply(world, ALICE.jid, "/pause", desk=True)
    world.desk.visitor_wrote("acme", VISITOR, VisitorKind.XMPP, "Vera", "hello")
    world.out.take()
    resumed = console.run_at_desk(world.desk, ALICE.jid, "acme", "resume")
    assert resumed.text == "Resumed: you get new chats of Acme Inc. again."
    (header,) = world.out.to(ALICE.jid)  # the queue is served once the command is done
    assert header.body.startswith("New chat acme.1")
    assert [u.paused for u in world.archive.operators if u.paused is not None] == [True, False]
    not_paused = console.run_at_desk(world.desk, ALICE.jid, "acme", "resume")
    assert not not_paused.done
    assert not_paused.text == slash_reply(world, ALICE.jid, "/resume", desk=True)


def test_an_operator_of_two_sites_runs_desk_commands_per_site() -> None:
    both = replace(ALICE, site_id=GLOBEX.id)
    world = make_world((ALICE, BOB, both))
    world.desk.apply_directory(Directory([ACME, GLOBEX], [ALICE, BOB, both]))
    world.online(ALICE.jid)
    console.run_at_desk(world.desk, ALICE.jid, "globex", "pause")
    acme = world.desk.directory.operator(ACME.id, ALICE.jid)
    globex = world.desk.directory.operator(GLOBEX.id, ALICE.jid)
    assert acme is not None and globex is not None
    assert (acme.paused, globex.paused) == (False, True)
