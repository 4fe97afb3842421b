"""Operators' input: in a chat, words for the visitor or a command (/info, /transfer, /close,
/help); to the desk, a command (/status, /pause, /resume, /queue, /help). Each command is one
function returning a Reply, called by the slash path here and by the ad-hoc path (console.py);
changes go through the HelpDesk's use cases, which never import this module. Must not import
asyncio or any adapter library.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from component import texts
from component.chats import OpenChat
from component.desk.helpdesk import HelpDesk
from component.models import AckRequest, Operator, Site, Tier, Typing


@dataclass(frozen=True, slots=True)
class Reply:
    """A command's answer: `done` is False when it refused and changed nothing; `told` when its
    use case already sent `text` to the operator (from the chat), so the slash path need not."""

    text: str
    done: bool = True
    told: bool = False


ChatCommand = Callable[[HelpDesk, Site, Operator, OpenChat, str], Reply]
DeskCommand = Callable[[HelpDesk, Site, Operator, str], Reply]


def is_command(body: str) -> bool:
    """A leading "/" makes a command; "//" escapes it (the text goes out with one "/")."""
    return body.startswith("/") and not body.startswith("//")


def operator_wrote_chat(
    desk: HelpDesk,
    jid: str,
    slug: str,
    number: int,
    body: str,
    *,
    typing: Typing | None = None,
    ack: AckRequest | None = None,
) -> None:
    """An operator wrote in a chat: run the command, or pass the words (and the chat state and
    receipt request that came with them) to the visitor."""
    if not is_command(body):
        text = body.removeprefix("/")
        desk.operator_wrote_chat(jid, slug, number, text, typing=typing, ack=ack)
        return
    with desk.one_use_case():  # the reply goes out before whatever the command set moving
        found = desk.chat_of(jid, slug, number, body)
        if found is not None:
            run_chat_command(desk, *found, body)


def operator_wrote_desk(desk: HelpDesk, jid: str, slug: str, body: str) -> None:
    """An operator wrote to a site's desk: every message there is a command (or gets help)."""
    state = desk.state
    with desk.one_use_case():  # the reply goes out before whatever the command set moving
        site = state.site(slug)
        operator = state.operator_of(site, jid, "use its desk")
        run_desk_command(desk, site, operator, state.checked_body(body))


def run_chat_command(
    desk: HelpDesk, site: Site, operator: Operator, entry: OpenChat, body: str
) -> None:
    word, _, argument = body.partition(" ")
    number = entry.chat.number
    handler = CHAT_COMMANDS.get(word.removeprefix("/"))
    reply = (
        handler(desk, site, operator, entry, argument.strip())
        if handler
        else Reply(texts.chat_unknown_command(word), done=False)
    )
    if not reply.told:
        desk.state.out.send_message(
            desk.state.addresses.chat(site.slug, number), operator.jid, reply.text
        )


def run_desk_command(desk: HelpDesk, site: Site, operator: Operator, body: str) -> None:
    word, _, argument = body.strip().partition(" ")
    handler = DESK_COMMANDS.get(word.removeprefix("/")) if word.startswith("/") else None
    reply = (
        handler(desk, site, operator, argument.strip())
        if handler
        else Reply(texts.desk_unknown(site, body), done=False)
    )
    desk.state.out.send_message(desk.state.addresses.desk(site.slug), operator.jid, reply.text)


# -- in a chat -------------------------------------------------------------------------------


def _close(desk: HelpDesk, site: Site, operator: Operator, entry: OpenChat, _: str) -> Reply:
    desk.close_chat(site, operator, entry)  # tells the operator, from the chat
    return Reply(texts.operator_closed(site, entry.chat.number), told=True)


def _chat_help(desk: HelpDesk, site: Site, operator: Operator, entry: OpenChat, _: str) -> Reply:
    return Reply(texts.CHAT_HELP)


def _info(desk: HelpDesk, site: Site, operator: Operator, entry: OpenChat, _: str) -> Reply:
    chat, now = entry.chat, desk.state.clock()
    waited = (chat.assigned_at or now) - chat.opened_at
    lines = [
        f"Chat {site.slug}.{chat.number} on {site.name}",
        f"Visitor: {chat.visitor_name} <{chat.visitor}> ({chat.visitor_kind.value})",
        *texts.visitor_lines(chat, entry.card),
        f"Started {texts.stamp(chat.opened_at)}, waited {texts.duration(waited)} for an operator",
        f"Visitor messages: {entry.visitor_messages}, operator messages: {entry.operator_messages}",
        chat.route_reason or "Routing: not recorded",
    ]
    return Reply("\n".join(lines))


def _transfer(desk: HelpDesk, site: Site, operator: Operator, entry: OpenChat, arg: str) -> Reply:
    target = _transfer_target(desk, site, operator, arg)
    if isinstance(target, str):
        return Reply(target, done=False)
    desk.transfer_chat(site, entry, target, operator)  # tells the operator, from the chat
    moved = texts.chat_moved(site, entry.chat, target, texts.moved_transfer(target.name))
    return Reply(moved, told=True)


def _transfer_target(desk: HelpDesk, site: Site, operator: Operator, arg: str) -> Operator | str:
    """The operator named by `arg` who can take the chat now, or why there is none."""
    if not arg:
        return texts.TRANSFER_USAGE
    target, problem = _find_operator(desk, site, arg)
    if target is None:
        return f"{problem} {texts.TRANSFER_USAGE}"
    if target.jid == operator.jid:
        return "This chat is yours already."
    if not target.enabled:
        return f"{target.name} is disabled; the chat stays with you."
    if desk.presence.tier_of(target.jid, site.id) is Tier.OFFLINE:
        return f"{target.name} is offline; the chat stays with you."
    return target


def _find_operator(desk: HelpDesk, site: Site, arg: str) -> tuple[Operator | None, str]:
    operators = list(desk.directory.operators(site.id))
    by_jid = [op for op in operators if op.jid == _as_jid(desk, arg)]
    if by_jid:
        return by_jid[0], ""
    by_name = [op for op in operators if op.name.casefold() == arg.casefold()]
    if len(by_name) == 1:
        return by_name[0], ""
    if by_name:
        jids = ", ".join(op.jid for op in by_name)
        return None, f"Several operators are called {arg!r} ({jids}); use the JID."
    names = ", ".join(op.name for op in operators)
    return None, f"No operator {arg!r} in {site.name} (operators: {names})."


def _as_jid(desk: HelpDesk, arg: str) -> str | None:
    try:
        return desk.state.jid_form(arg) if "@" in arg else None
    except ValueError:
        return None


def shown(desk: HelpDesk, site: Site, operator: Operator) -> str:
    """An operator's availability at a site in one word: dnd, available, away, xa, offline."""
    presence = desk.presence.summary(operator.jid, site.id)
    return "dnd" if presence.dnd else presence.tier.name.lower()


CHAT_COMMANDS: dict[str, ChatCommand] = {
    "close": _close,
    "help": _chat_help,
    "info": _info,
    "transfer": _transfer,
}


# -- to the desk -----------------------------------------------------------------------------


def _desk_help(desk: HelpDesk, site: Site, operator: Operator, _: str) -> Reply:
    return Reply(texts.DESK_HELP)


def _status(desk: HelpDesk, site: Site, operator: Operator, _: str) -> Reply:
    now = desk.state.clock()
    presence = desk.presence.summary(operator.jid, site.id)
    idle = desk.state.idle_since(operator)
    open_chats = [e.chat for e in desk.chats.assigned_to(operator.jid, site.id)]
    limit = operator.max_chats or site.settings.max_chats
    numbers = ", ".join(f"{site.slug}.{c.number}" for c in open_chats) or "none"
    lines = [
        f"You at {site.name}: {shown(desk, site, operator)} ({presence.resources} connected)"
        + (f", status {presence.status!r}" if presence.status else ""),
        f"Idle: {texts.duration(now - idle) if idle is not None else 'never active'}"
        + _client_idle(presence.client_idle_since, now),
        f"Open chats: {len(open_chats)}/{limit or 'unlimited'} ({numbers})",
        f"New chats: {'paused (/resume to receive them)' if operator.paused else 'yes'}",
        f"Queue: {len(desk.chats.queued(site.id))} waiting",
    ]
    return Reply("\n".join(lines))


def _client_idle(since: float | None, now: float) -> str:
    return f" (your client says idle for {texts.duration(now - since)})" if since else ""


def _pause(desk: HelpDesk, site: Site, operator: Operator, _: str) -> Reply:
    if operator.paused:
        return Reply("You are paused already.", done=False)
    desk.set_paused(site, operator, paused=True)
    return Reply(
        f"Paused: you get no new chats of {site.name} until /resume. Open chats stay yours."
    )


def _resume(desk: HelpDesk, site: Site, operator: Operator, _: str) -> Reply:
    if not operator.paused:
        return Reply("You are receiving new chats already.", done=False)
    desk.set_paused(site, operator, paused=False)
    return Reply(f"Resumed: you get new chats of {site.name} again.")


def _queue(desk: HelpDesk, site: Site, operator: Operator, _: str) -> Reply:
    now = desk.state.clock()
    waiting = desk.chats.queued(site.id)
    if not waiting:
        return Reply(f"The queue of {site.name} is empty.")
    lines = [f"Queue of {site.name} ({len(waiting)}):"]
    lines += [
        f"{position}. {site.slug}.{e.chat.number} {e.chat.visitor_name},"
        f" waiting {texts.duration(now - e.chat.opened_at)}"
        for position, e in enumerate(waiting, start=1)
    ]
    return Reply("\n".join(lines))


DESK_COMMANDS: dict[str, DeskCommand] = {
    "help": _desk_help,
    "status": _status,
    "pause": _pause,
    "resume": _resume,
    "queue": _queue,
}
