"""What an operator is given on taking a chat: a new chat's backlog, or on a move its transcript.

The backlog is the header with the visitor's first message, then each later visitor message as
its own stanza with its receipt request; the transcript is the header and every message so far, in
pages of at most 16 KB (transcript_pages.py). Both come from the chat's tail while it holds them;
else from the archive through the Transcripts port, and what the desk sends that operator from
that chat meanwhile waits for the last page. Must not import asyncio or any adapter library.
"""

from __future__ import annotations

from collections.abc import Callable

from component import texts
from component.chats import OpenChat
from component.desk.ports import TranscriptOrder
from component.desk.signals import relay_to_operator
from component.desk.state import DeskState
from component.models import ChatState, Sender, Site
from component.receipts import AckMap
from component.transcript_pages import entries, page_budget, paginate


def send_backlog(s: DeskState, site: Site, entry: OpenChat, jid: str, now: float) -> None:
    """A new chat's first operator: the header and every visitor message so far."""
    chat, first = entry.chat, entry.first_visitor
    if first is None:  # its first message was never stored (a restart after a refused row)
        send_transcript(s, site, entry, jid, now)
        return
    entry.first_visitor = None  # the header is its one use
    entry.page_noted_at, entry.page_pending = now, False  # the header shows the page
    header = texts.chat_header(site, chat, entry.card, first, now)
    if not entry.tail.holds_after(first.seq):  # a long wait in the queue: from the archive
        header = f"{header}\n{texts.TRANSCRIPT_SO_FAR}"
        s.transcripts.send(_order(s, site, entry, jid, header, after=first.seq))
        entry.acks.waiting = AckMap()  # pages are not acknowledged message by message
        return
    asked = entry.acks.waiting
    nick = texts.nick(site, chat)
    relay_to_operator(s, site, entry, jid, header, asked.pop(first.seq), nick=nick)
    for message in entry.tail.after(first.seq):
        if message.sender is Sender.VISITOR:
            relay_to_operator(s, site, entry, jid, message.body, asked.pop(message.seq))


def send_transcript(s: DeskState, site: Site, entry: OpenChat, jid: str, now: float) -> None:
    """A chat moved to `jid`: the header and the whole transcript so far."""
    chat = entry.chat
    header = texts.transcript_header(site, chat, entry.card, now)
    entry.page_noted_at, entry.page_pending = now, False  # the header shows the page
    if not entry.tail.holds_after(0):
        s.transcripts.send(_order(s, site, entry, jid, header, after=0))
        return
    chat_jid, nick = s.addresses.chat(site.slug, chat.number), texts.nick(site, chat)
    budget = page_budget(chat_jid, jid, nick)
    pages = paginate(entries(header, entry.tail.messages, _names(s, site)), budget)
    for part, page in enumerate(pages):
        s.out.send_message(chat_jid, jid, page, nick=nick if part == 0 else None)


def _order(
    s: DeskState, site: Site, entry: OpenChat, jid: str, header: str, after: int
) -> TranscriptOrder:
    chat = entry.chat
    return TranscriptOrder(
        site_id=site.id,
        number=chat.number,
        after=after,
        through=entry.next_seq - 1,
        sender=s.addresses.chat(site.slug, chat.number),
        recipient=jid,
        header=header,
        nick=texts.nick(site, chat),
        names=_names(s, site),
        current=_still_theirs(s, entry, jid),
    )


def _still_theirs(s: DeskState, entry: OpenChat, jid: str) -> Callable[[], bool]:
    """Whether the chat is open and still `jid`'s by this very assignment (not moved, closed,
    or moved away and back)."""
    key, assignment = (entry.chat.site_id, entry.chat.number), entry.assignment

    def current() -> bool:
        chat = entry.chat
        open_now = s.chats.get(*key) is entry and chat.state is ChatState.ASSIGNED
        return open_now and chat.operator == jid and entry.assignment == assignment

    return current


def _names(s: DeskState, site: Site) -> dict[str, str]:
    return {op.jid: op.name for op in s.directory.operators(site.id)}
