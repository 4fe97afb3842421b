"""The operators' console for ad-hoc commands (XEP-0050), in plain values: which commands a JID
may run at a desk or a chat address, and running one through the very functions the slash
commands use (commands.py). The XMPP adapter turns forms into these calls. Must not import asyncio
or any adapter library.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from component import texts
from component.chats import OpenChat
from component.desk import commands
from component.desk.archive_view import ARCHIVE_COMMANDS
from component.desk.commands import Reply
from component.desk.feedback_view import FEEDBACK_COMMANDS
from component.desk.helpdesk import HelpDesk
from component.desk.site_admins import ADMIN_COMMANDS, is_admin
from component.errors import ChatClosed, InvalidInput, NotYourChat, UnknownCommand
from component.models import Operator, Site

DESK_COMMANDS = ("status", "pause", "resume", "queue")
"""At a desk `site@D`, for every operator of the site."""
CHAT_COMMANDS = ("info", "transfer", "close")
"""At a chat `site.N@D`, for the operator it is assigned to (as its slash commands are)."""
TRANSFER_TO = "operator"
"""The transfer form's field: the JID of the operator to hand the chat to."""


@dataclass(frozen=True, slots=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True, slots=True)
class Field:
    """One value a command asks for: one of `choices` when there are any, else free text."""

    var: str
    label: str
    choices: tuple[Choice, ...] = ()
    required: bool = True


@dataclass(frozen=True, slots=True)
class Question:
    """A step of a command that needs answers before it can run (a form, to adapters)."""

    title: str
    instructions: str
    fields: tuple[Field, ...]


def desk_commands(desk: HelpDesk, requester: str, slug: str) -> tuple[str, ...]:
    """The commands `requester` may run at the desk of `slug` (none for strangers; the
    administration commands for its admins only)."""
    site = desk.state.site(slug)
    if not desk.state.is_member(site, requester):
        return ()
    admin = ADMIN_COMMANDS if is_admin(desk, requester, site) else ()
    return (*DESK_COMMANDS, *ARCHIVE_COMMANDS, *FEEDBACK_COMMANDS, *admin)


def chat_commands(desk: HelpDesk, requester: str, slug: str, number: int) -> tuple[str, ...]:
    """The commands `requester` may run in a chat: all for its holder, none for colleagues or
    on a closed chat. Only the site's operators learn anything about its chats: UnknownSite, then
    NotAllowed for anyone else, then UnknownChat for a chat that never existed."""
    try:
        _held(desk, requester, slug, number, "see its chats")
    except (ChatClosed, NotYourChat):
        return ()
    return CHAT_COMMANDS


def run_at_desk(desk: HelpDesk, requester: str, slug: str, name: str) -> Reply:
    if name not in DESK_COMMANDS:
        raise UnknownCommand(f"no command {name!r} at a desk")
    with desk.one_use_case():  # freed slots are served after the command, as after /resume
        site = desk.state.site(slug)
        operator = desk.state.operator_of(site, requester, "use its desk")
        return commands.DESK_COMMANDS[name](desk, site, operator, "")


def run_in_chat(
    desk: HelpDesk, requester: str, slug: str, number: int, name: str, argument: str = ""
) -> Reply:
    """Run a chat command for the chat's holder; `argument` as typed after the slash command."""
    if name not in CHAT_COMMANDS:
        raise UnknownCommand(f"no command {name!r} in a chat")
    with desk.one_use_case():
        site, operator, entry = _held(desk, requester, slug, number, "use its chats")
        return commands.CHAT_COMMANDS[name](desk, site, operator, entry, argument)


def ask_transfer(desk: HelpDesk, requester: str, slug: str, number: int) -> Question | Reply:
    """Whom to transfer the chat to (the site's other operators), or a refusal when nobody
    else works at the site."""
    site, operator, _ = _held(desk, requester, slug, number, "use its chats")
    others = sorted(
        (op for op in desk.directory.operators(site.id) if op.jid != operator.jid),
        key=lambda op: (op.name.casefold(), op.jid),
    )
    if not others:
        return Reply(texts.nobody_to_transfer_to(site), done=False)
    names = [op.name.casefold() for op in others]
    choices = tuple(
        Choice(op.jid, texts.transfer_choice(op, _shown(desk, site, op), names.count(n) > 1))
        for op, n in zip(others, names, strict=True)
    )
    field = Field(TRANSFER_TO, texts.TRANSFER_FIELD, choices)
    return Question(texts.transfer_title(site, number), texts.TRANSFER_INSTRUCTIONS, (field,))


def answer_transfer(
    desk: HelpDesk, requester: str, slug: str, number: int, answers: Mapping[str, str]
) -> Reply:
    """Transfer to the chosen operator, checked as `/transfer <jid>` is (InvalidInput when the
    answer is missing)."""
    target = answers.get(TRANSFER_TO, "").strip()
    if not target:
        raise InvalidInput(f"choose an operator ({TRANSFER_TO!r})")
    return run_in_chat(desk, requester, slug, number, "transfer", target)


def _held(
    desk: HelpDesk, requester: str, slug: str, number: int, what: str
) -> tuple[Site, Operator, OpenChat]:
    site = desk.state.site(slug)
    operator = desk.state.operator_of(site, requester, what)
    return site, operator, desk.held_chat(site, requester, number)


def _shown(desk: HelpDesk, site: Site, operator: Operator) -> str:
    return "disabled" if not operator.enabled else commands.shown(desk, site, operator)
