"""Every sentence HelperChat says to operators, in one place (English), and the archive's own
notes. What a visitor is told comes from the catalogue, in their language (component/locales/)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime

from component.models import (
    Chat,
    Message,
    Operator,
    Sender,
    Site,
    VisitorCard,
    VisitorKind,
)
from component.records import FeedbackLeft
from component.visitor_card import NOTE_TITLE_CHARS, short_page

CHAT_HELP = (
    "Commands in a chat:\n"
    "/info - who the visitor is and why the chat came to you\n"
    "/transfer <operator> - hand the chat to another operator (name or JID), with its transcript\n"
    "/close - close this chat (the visitor is told)\n"
    "/help - this list\n"
    "Start a line with // to send a text beginning with / to the visitor."
)
DESK_HELP = (
    "Commands to the desk:\n"
    "/status - your availability, idle time and open chats, and the queue\n"
    "/pause - receive no new chats of this site until /resume\n"
    "/resume - receive new chats again\n"
    "/queue - the chats waiting for an operator\n"
    "/help - this list\n"
    "Chats reach you from their own addresses (site.number@...); answer there."
)
SYSTEM_UNANSWERED_CLOSED = "Chat closed: nobody answered it and nothing was written in it."
MOVED_OFFLINE = "you are offline"
TRANSFER_USAGE = "Usage: /transfer <operator name or JID>"


def unanswered_closed(site: Site, number: int, hours: float) -> str:
    """To the operator of a chat the desk closed because nobody answered it for so long."""
    return (
        f"Chat {site.slug}.{number} closed: nobody answered it and nothing was written in it "
        f"for {hours:g} h."
    )


def stamp(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def clock_time(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%H:%M:%S")


def duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def nick(site: Site, chat: Chat) -> str:
    return f"{chat.visitor_name} ({site.slug})"


def desk_status(waiting: int) -> str:
    """The desk's presence status for its operators: how many visitors wait in its queue."""
    if waiting == 0:
        return "No one waiting"
    return f"{waiting} visitor{'' if waiting == 1 else 's'} waiting"


def chat_header(site: Site, chat: Chat, card: VisitorCard, first: Message, now: float) -> str:
    """The first message of a chat to its operator (SPEC §2): who, where from, how long waited,
    then what the visitor wrote. Card values are single lines already (visitor_card.py)."""
    about = "".join(f"{line}\n" for line in visitor_lines(chat, card))
    return (
        f"New chat {site.slug}.{chat.number} from {chat.visitor_name} ({chat.visitor})\n"
        f"Site: {site.name} ({site.slug}) | started {stamp(chat.opened_at)}"
        f" | waited {duration(now - chat.opened_at)}\n"
        f"{about}---\n{first.body}"
    )


def visitor_lines(chat: Chat, card: VisitorCard) -> list[str]:
    """What a web visitor's card says, one `Field: value` line each (none for XMPP visitors)."""
    if chat.visitor_kind is not VisitorKind.WEB:
        return []
    if card.verified:
        identity = f"verified by the site, customer id {card.customer_id}"
    else:
        identity = "not verified (the visitor typed it)"
    page = f"{card.page} ({card.page_title})" if card.page_title else card.page
    lines = [f"Identity: {identity}"]
    lines += [f"Target visitor: {'yes' if card.target else 'no'}"]
    shown = (("E-mail", card.email), ("Page", page), ("Referrer", card.referrer))
    lines += [f"{field}: {value}" for field, value in (*shown, ("Language", card.lang)) if value]
    return lines


def page_note(url: str, title: str) -> str:
    """A web visitor moved to another page (a `page` frame), as one line for the operator."""
    cut = title if len(title) <= NOTE_TITLE_CHARS else title[: NOTE_TITLE_CHARS - 1] + "…"
    return f"Visitor now on {short_page(url)}" + (f" — {cut}" if cut else "")


def transcript_header(site: Site, chat: Chat, card: VisitorCard, now: float) -> str:
    about = "".join(f"{line}\n" for line in visitor_lines(chat, card))
    return (
        f"Chat {site.slug}.{chat.number} with {chat.visitor_name} ({chat.visitor}) is now yours\n"
        f"Site: {site.name} ({site.slug}) | started {stamp(chat.opened_at)}"
        f" | open for {duration(now - chat.opened_at)}\n"
        f"{about}{TRANSCRIPT_SO_FAR}"
    )


TRANSCRIPT_SO_FAR = "--- transcript so far ---"


_LINE_BREAKS = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def transcript_line(message: Message, names: Mapping[str, str]) -> str:
    """One message of a transcript: its time, who wrote it (* for the desk), what."""
    if message.sender is Sender.SYSTEM:
        who = "*"
    elif message.sender is Sender.OPERATOR:
        who = names.get(message.author, message.author) + ":"
    else:
        who = "Visitor:"
    head, *more = _LINE_BREAKS.split(message.body)
    # a body's further lines (after any break a client shows: CR, NEL, U+2028, ...) are
    # indented, so none of them can pass for a message of its own, "[10:00:00] Alice: ..."
    body = "\n".join([head, *(f"  {line}" for line in more)])
    return f"[{clock_time(message.at)}] {who} {body}"


def transcript_part(part: int, parts: int) -> str:
    return f"[transcript, part {part} of {parts}]"


def transcript_unavailable(reason: str) -> str:
    """The archive could not give the transcript (or its rest) to the chat's new operator."""
    return (
        f"The transcript of this chat could not be read from the archive ({reason});"
        " the messages that follow are new. Every message is kept in the archive."
    )


def chat_moved(site: Site, chat: Chat, to: Operator, why: str) -> str:
    return f"Chat {site.slug}.{chat.number} moved to {to.name} ({why})."


def moved_timeout(seconds: float) -> str:
    return f"no answer within {duration(seconds)}"


def moved_transfer(name: str) -> str:
    return f"you transferred it to {name}"


def desk_unknown(site: Site, body: str) -> str:
    if body.startswith("/"):
        return f"Unknown command {body.split(maxsplit=1)[0]!r}. {DESK_HELP}"
    return f"This is the desk of {site.name}. Write /help for commands."


def chat_unknown_command(word: str) -> str:
    return f"Unknown command {word!r}; your text was not sent. {CHAT_HELP}"


def chat_closed(site: Site, number: int) -> str:
    return f"Chat {site.slug}.{number} is closed."


def chat_not_yours(site: Site, number: int) -> str:
    return f"Chat {site.slug}.{number} is not assigned to you."


def not_delivered(refusal: str) -> str:
    """A one-sentence refusal, said about a message the operator wrote to the chat."""
    return f"{refusal.removesuffix('.')}; your message was not delivered."


def operator_closed(site: Site, number: int) -> str:
    return f"Chat {site.slug}.{number} closed."


def system_closed_by(operator: str) -> str:
    return f"Chat closed by {operator}."


def system_assigned(operator: Operator, rule: str) -> str:
    return f"Assigned to {operator.name} ({operator.jid}): {rule}."


def notification(text: str, url: str) -> str:
    """What the site's server told its operators (the notification API), from the desk JID: its
    words, then its link on a line of its own (clients make it clickable)."""
    return f"{text}\n{url}" if url else text


# -- ad-hoc commands (XEP-0050) --------------------------------------------------------------

COMMAND_NAMES = {
    "info": "Chat info: the visitor and why the chat came to you",
    "transfer": "Transfer this chat to another operator",
    "close": "Close this chat",
    "status": "My status: availability, idle time, open chats",
    "pause": "Pause: receive no new chats",
    "resume": "Resume receiving new chats",
    "queue": "Chats waiting in the queue",
}
TRANSFER_INSTRUCTIONS = (
    "Choose the operator to hand this chat to. They get its transcript, and the visitor is told "
    "their name."
)
TRANSFER_FIELD = "Operator"


def transfer_title(site: Site, number: int) -> str:
    return f"Transfer chat {site.slug}.{number}"


def nobody_to_transfer_to(site: Site) -> str:
    return f"Nobody else works at {site.name}; the chat stays with you."


def transfer_choice(operator: Operator, shown: str, namesake: bool) -> str:
    """An operator as offered in the transfer form: name (JID only when names clash) and show."""
    who = f"{operator.name} <{operator.jid}>" if namesake else operator.name
    return f"{who} ({shown})"


SYSTEM_VISITOR_CLOSED = "Chat closed by the visitor."


def visitor_closed(site: Site, chat: Chat) -> str:
    return f"The visitor closed chat {site.slug}.{chat.number}."


def feedback_reminder(site: Site, feedback: FeedbackLeft, details: list[tuple[str, str]]) -> str:
    """One open feedback for an operator coming online (its delay stamp says when it was left):
    who, how to reach them, where from, the message, and how to mark it done."""
    source = "the web form" if feedback.source is VisitorKind.WEB else "XMPP"
    left = stamp(feedback.left_at)
    heading = f"Feedback {feedback.number} for {site.name} ({site.slug}), left {left} via {source}:"
    body = [f"{label}: {value}" for label, value in details]
    done = f"Done? helperchat feedback done {site.slug} {feedback.number}"
    lines = [heading, *body, "", feedback.text, "", done]
    return "\n".join(lines)


def feedback_more(site: Site, remaining: int) -> str:
    """After the reminders of one login, when more open feedback waits for this operator."""
    return (
        f"{remaining} more open feedback of {site.name} wait{'s' if remaining == 1 else ''}:"
        " you get the next ones when you come online again;"
        f" `helperchat feedback list {site.slug} --open` lists them all."
    )


ARCHIVE_COMMAND_NAMES = {
    "recent": "Recent chats of this site",
    "transcript": "One chat's transcript",
    "search": "Search this site's chats",
}
COMMAND_NAMES.update(ARCHIVE_COMMAND_NAMES)
RECENT_INSTRUCTIONS = (
    "The site's latest chats, newest first. Filter by state or operator, or give a chat number "
    "to read its transcript."
)
TRANSCRIPT_INSTRUCTIONS = "The number of the chat to read."
RECENT_COLUMNS = (
    ("number", "Number"),
    ("started", "Started"),
    ("visitor", "Visitor"),
    ("operator", "Operator"),
    ("state", "State"),
    ("messages", "Messages"),
    ("first_words", "First words"),
)


def recent_title(site: Site, page: int) -> str:
    return f"Recent chats of {site.name} — page {page}"


def archive_header(site: Site, chat: Chat, card: VisitorCard) -> str:
    """A transcript's head as `transcript` shows it: the visitor, the page, the routing."""
    about = "".join(f"{line}\n" for line in visitor_lines(chat, card))
    closed = f" | closed {stamp(chat.closed_at)}" if chat.closed_at is not None else ""
    reason = chat.route_reason or ""  # as the router stored it, "Routing: ..." (or older text)
    if reason and not reason.startswith("Routing:"):
        reason = f"Routing: {reason}"
    routing = f"{reason}\n" if reason else ""
    return (
        f"Chat {site.slug}.{chat.number} with {chat.visitor_name} ({chat.visitor})\n"
        f"Site: {site.name} ({site.slug}) | {chat.state} | started {stamp(chat.opened_at)}"
        f"{closed}\nOperator: {chat.operator or 'none'}\n{about}{routing}--- transcript ---"
    )


def transcript_title(site: Site, number: int, part: int, last: bool) -> str:
    if part == 1 and last:
        return f"Chat {site.slug}.{number}"
    return f"Chat {site.slug}.{number} — page {part}{', the last' if last else ''}"


FEEDBACK_COMMAND_NAMES = {"feedback": "Feedback visitors left: read it, mark it done"}
COMMAND_NAMES.update(FEEDBACK_COMMAND_NAMES)
FEEDBACK_INSTRUCTIONS = (
    "The site's feedback, newest first: the open ones, or all. Pick one (or give its number) to "
    "read it whole and mark it done."
)
FEEDBACK_COLUMNS = (
    ("id", "Id"),
    ("received", "Received"),
    ("name", "Name"),
    ("contact", "Contact"),
    ("page", "Page"),
    ("first_words", "First words"),
)
FEEDBACK_ONE_INSTRUCTIONS = "Check “Mark done” and complete to mark this feedback done."


def feedback_list_title(site: Site, only_open: bool, page: int) -> str:
    which = "Open feedback" if only_open else "All feedback"
    return f"{which} of {site.name} — page {page}"


def feedback_title(site: Site, number: int, part: int, parts: int) -> str:
    pages = f" — page {part} of {parts}" if parts > 1 else ""
    return f"Feedback {number} of {site.name} ({site.slug}){pages}"


def feedback_state(done_at: float | None, done_by: str) -> str:
    """Open, or when it was marked done and by whom (the command line marks it by nobody)."""
    if done_at is None:
        return "open"
    return f"done {stamp(done_at)}" + (f" by {done_by}" if done_by else "")


ADMIN_COMMAND_NAMES = {
    "settings": "Site settings (admins)",
    "operators": "Operators of this site (admins)",
}
COMMAND_NAMES.update(ADMIN_COMMAND_NAMES)
SETTINGS_INSTRUCTIONS = (
    "Today's settings of the site. Change what you want and complete: only the changed ones are "
    "applied, at once, and checked as `helperchat site set` checks them."
)
OPERATORS_INSTRUCTIONS = (
    "The site's operators. Choose what to do, give the operator's JID, and go on (remove: at "
    "once; a site keeps at least one admin)."
)
OPERATOR_INSTRUCTIONS = "Change what you want and complete: applied at once."


def settings_title(site: Site) -> str:
    return f"Settings of {site.name} ({site.slug})"


def settings_changed(slug: str, changed: list[str]) -> str:
    if not changed:
        return f"Nothing changed: the settings of {slug} are as they were."
    return f"Settings of {slug} changed: {', '.join(changed)}."


def operators_title(site: Site) -> str:
    return f"Operators of {site.name} ({site.slug})"


def operator_title(slug: str, jid: str, *, new: bool) -> str:
    return f"New operator {jid} of {slug}" if new else f"Operator {jid} of {slug}"


def operator_changed(slug: str, jid: str, changed: list[str]) -> str:
    if not changed:
        return f"Nothing changed: {jid} of {slug} is as before."
    return f"Operator {jid} of {slug} changed: {', '.join(changed)}."


def operators_unchanged(slug: str) -> str:
    return f"Nothing changed: the operators of {slug} are as they were."


def operator_added(slug: str, jid: str) -> str:
    return (
        f"Operator {jid} added to {slug}; the desk puts itself into their roster, or asks them for"
        " a subscription where the server's API is not set."
    )


def operator_removed(slug: str, jid: str) -> str:
    return f"Operator {jid} removed from {slug}."


SEARCH_INSTRUCTIONS = (
    "Words to look for in the site's chats (words of 3 letters or more; very common English "
    "words such as 'the' or 'with' are not searched). Mode natural: any of the words, best "
    'matches; boolean: "an exact phrase", +must, -not, prefix*. From/to: days YYYY-MM-DD (UTC), '
    "both included. Operator: only that operator's chats. Pick a chat to read its transcript."
)
SEARCH_COLUMNS = (
    ("number", "Number"),
    ("at", "Time"),
    ("visitor", "Visitor"),
    ("operator", "Operator"),
    ("line", "Matching line"),
)


def search_title(site: Site, query: str, page: int) -> str:
    return f"Search {site.name} for “{query[:60]}” — page {page}"


def nothing_found(query: str, searchable: bool) -> str:
    """The note of a search that found nothing (not an error: the form stays, to try again)."""
    why = "" if searchable else " Words shorter than 3 letters are not searchable: use longer ones."
    return f"Nothing found for “{query[:60]}”.{why}"


CHOICE_WORDS_CHARS = 60


def chat_choice(number: int, visitor_name: str, words: str) -> str:
    """A chat as an option of a form's "Open chat" list: its number, visitor and a few words on
    one line. Clients that show no table (profanity 0.13 ignores `reported`/`item`) show this."""
    line = " ".join(words.split())
    if len(line) > CHOICE_WORDS_CHARS:
        line = line[: CHOICE_WORDS_CHARS - 1].rstrip() + "…"
    return f"{number}: {visitor_name} — {line}" if line else f"{number}: {visitor_name}"
