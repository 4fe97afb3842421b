"""Every sentence HelperChat says to operators and visitors, in one place (English)."""

from __future__ import annotations

from datetime import UTC, datetime

from component.models import Chat, Message, Site

CHAT_HELP = (
    "Commands in a chat:\n"
    "/close - close this chat (the visitor is told)\n"
    "/help - this list\n"
    "Start a line with // to send a text beginning with / to the visitor."
)
DESK_HELP = (
    "Commands to the desk:\n"
    "/help - this list\n"
    "Chats reach you from their own addresses (site.number@...); answer there."
)
VISITOR_QUEUED = (
    "Thank you for your message. No operator is available right now; it has been kept and "
    "an operator will answer as soon as one is available."
)
VISITOR_CLOSED = "The operator closed the chat. Write again any time to start a new one."


def stamp(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def chat_header(site: Site, chat: Chat, first: Message, now: float) -> str:
    waited = max(0, round(now - chat.opened_at))
    return (
        f"New chat {site.slug}.{chat.number} from {chat.visitor_name} ({chat.visitor})\n"
        f"Site: {site.name} ({site.slug}) | started {stamp(chat.opened_at)} | waited {waited} s\n"
        f"---\n{first.body}"
    )


def desk_unknown(site: Site, body: str) -> str:
    if body.startswith("/"):
        return f"Unknown command {body.split(maxsplit=1)[0]!r}. {DESK_HELP}"
    return f"This is the desk of {site.name}. Write /help for commands."


def chat_unknown_command(word: str) -> str:
    return f"Unknown command {word!r}; your text was not sent. {CHAT_HELP}"


def chat_closed(site: Site, number: int) -> str:
    return f"Chat {site.slug}.{number} is closed; your message was not delivered."


def chat_not_yours(site: Site, number: int) -> str:
    return f"Chat {site.slug}.{number} is not assigned to you; your message was not delivered."


def operator_closed(site: Site, number: int) -> str:
    return f"Chat {site.slug}.{number} closed."


def system_closed_by(operator: str) -> str:
    return f"Chat closed by {operator}."


def system_assigned(name: str, jid: str) -> str:
    return f"Assigned to {name} ({jid})."
