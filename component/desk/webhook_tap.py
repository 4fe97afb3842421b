"""The chat events of webhooks, seen on the desk's archive port: every chat state and every
message passes it (as metered.py counts them), and so does a visitor's feedback.

A chat starts with its message number 1 (the visitor's first words, right after the chat's first
row): chat.started. Every row in state assigned is an assignment (routing, a move, a transfer):
chat.assigned. A row closed or offline: chat.closed. A visitor's or operator's message:
chat.message (system notices are not). A FeedbackLeft record: feedback.received. The use cases
are not touched; this forwards everything to the archive first, then appends the deliveries.
Must not import asyncio or any adapter library.
"""

from __future__ import annotations

from component import webhook_payloads as payloads
from component.archive import OperatorUpdate
from component.desk.ports import ArchiveSink
from component.desk.state import DeskState
from component.desk.webhooks import WebhookEmitter
from component.models import Chat, ChatState, Message, Operator, Sender, Site
from component.records import FeedbackLeft, Record
from component.webhook_events import (
    CHAT_ASSIGNED,
    CHAT_CLOSED,
    CHAT_MESSAGE,
    CHAT_STARTED,
    FEEDBACK_RECEIVED,
)

_ENDED = (ChatState.CLOSED, ChatState.OFFLINE)
_WORDS = (Sender.VISITOR, Sender.OPERATOR)


class ChatEventTap:
    """An ArchiveSink forwarding to `sink`; once `attach`ed to the desk's state it emits the
    chat and feedback events of the sites whose webhooks take them."""

    def __init__(self, sink: ArchiveSink, emitter: WebhookEmitter) -> None:
        self._sink = sink
        self._emitter = emitter
        self._state: DeskState | None = None
        self._opening: dict[tuple[int, int], Chat] = {}  # a queued row until its next message

    def attach(self, state: DeskState) -> None:
        self._state = state

    @property
    def accepting(self) -> bool:
        return self._sink.accepting

    def add_chat(self, chat: Chat) -> None:
        self._sink.add_chat(chat)
        key = (chat.site_id, chat.number)
        if chat.state is ChatState.QUEUED:
            self._opening[key] = chat
            return
        self._opening.pop(key, None)
        site = self._site(chat.site_id)
        if site is None:
            return
        if chat.state is ChatState.ASSIGNED and self._emitter.wants(site, CHAT_ASSIGNED):
            self._assigned(site, chat)
        elif chat.state in _ENDED and self._emitter.wants(site, CHAT_CLOSED):
            data = payloads.chat_closed(site, chat, self._operator(site, chat.operator))
            self._emitter.emit(site, CHAT_CLOSED, chat.closed_at or chat.opened_at, data)

    def add_message(self, message: Message) -> None:
        self._sink.add_message(message)
        opening = self._opening.pop((message.site_id, message.chat_number), None)
        if opening is not None and message.seq == 1:
            self._started(opening)
        if message.sender in _WORDS and self._wanted(message.site_id, CHAT_MESSAGE):
            self._message(message)

    def add_operator_update(self, update: OperatorUpdate) -> None:
        self._sink.add_operator_update(update)

    def add_record(self, record: Record) -> None:
        self._sink.add_record(record)
        if isinstance(record, FeedbackLeft):
            site = self._site(record.site_id)
            if site is not None and self._emitter.wants(site, FEEDBACK_RECEIVED):
                data = payloads.feedback_received(site, record)
                self._emitter.emit(site, FEEDBACK_RECEIVED, record.left_at, data)

    # -- the events ----------------------------------------------------------------------------

    def _started(self, chat: Chat) -> None:
        site = self._site(chat.site_id)
        if site is None or not self._emitter.wants(site, CHAT_STARTED):
            return
        entry = None if self._state is None else self._state.chats.get(chat.site_id, chat.number)
        card = None if entry is None else entry.card
        self._emitter.emit(
            site, CHAT_STARTED, chat.opened_at, payloads.chat_started(site, chat, card)
        )

    def _assigned(self, site: Site, chat: Chat) -> None:
        operator = self._operator(site, chat.operator)
        if operator is None or self._state is None:
            return
        online = self._state.is_online(site, operator.jid)
        data = payloads.chat_assigned(site, chat, operator, online)
        self._emitter.emit(site, CHAT_ASSIGNED, chat.assigned_at or chat.opened_at, data)

    def _message(self, message: Message) -> None:
        state = self._state
        site = self._site(message.site_id)
        entry = None if state is None else state.chats.get(message.site_id, message.chat_number)
        if site is None or entry is None:
            return  # a message is always written while its chat is open
        by_operator = message.sender is Sender.OPERATOR
        operator = self._operator(site, message.author) if by_operator else None
        data = payloads.chat_message(site, entry.chat, message, operator)
        self._emitter.emit(site, CHAT_MESSAGE, message.at, data)

    # -- look-ups ------------------------------------------------------------------------------

    def _wanted(self, site_id: int, event: str) -> bool:
        return self._emitter.book.wants(site_id, event)

    def _site(self, site_id: int) -> Site | None:
        return None if self._state is None else self._state.directory.site_by_id_or_none(site_id)

    def _operator(self, site: Site, jid: str | None) -> Operator | None:
        if self._state is None or jid is None:
            return None
        return self._state.directory.operator(site.id, jid)
