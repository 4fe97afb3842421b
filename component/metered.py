"""An ArchiveSink that counts chats and messages into Metrics on their way to the archive.

Every chat state and every message the desk records passes through its archive port, so counting
there needs no hook in the use cases: a chat starts with its message number 1 (the visitor's first
words), it ends when it is archived closed (or offline), and a visitor's or operator's message is
one relayed in that direction (system notices are not counted), and feedback is counted as it is
left. Wiring only: no I/O of its own.
"""

from __future__ import annotations

from collections.abc import Callable

from component.archive import OperatorUpdate
from component.desk.ports import ArchiveSink
from component.metrics import Metrics
from component.models import Chat, ChatState, Message, Sender
from component.records import FeedbackLeft, Record

DIRECTIONS = {
    Sender.VISITOR: "visitor_to_operator",
    Sender.OPERATOR: "operator_to_visitor",
}
_ENDED = (ChatState.CLOSED, ChatState.OFFLINE)


class MeteredArchive:
    """Forwards everything to `sink`; `slug_of` names a site id (None: the id is shown)."""

    def __init__(
        self, sink: ArchiveSink, metrics: Metrics, slug_of: Callable[[int], str | None]
    ) -> None:
        self._sink = sink
        self._metrics = metrics
        self._slug_of = slug_of

    @property
    def accepting(self) -> bool:
        return self._sink.accepting

    def add_chat(self, chat: Chat) -> None:
        self._sink.add_chat(chat)
        if chat.state in _ENDED:
            self._metrics.count_chat_closed(self._site(chat.site_id))

    def add_message(self, message: Message) -> None:
        self._sink.add_message(message)
        if message.seq == 1:
            self._metrics.count_chat_started(self._site(message.site_id))
        direction = DIRECTIONS.get(message.sender)
        if direction is not None:
            self._metrics.count_message(self._site(message.site_id), direction)

    def add_operator_update(self, update: OperatorUpdate) -> None:
        self._sink.add_operator_update(update)

    def add_record(self, record: Record) -> None:
        self._sink.add_record(record)
        if isinstance(record, FeedbackLeft):
            self._metrics.count_feedback(self._site(record.site_id), record.source.value)

    def _site(self, site_id: int) -> str:
        return self._slug_of(site_id) or str(site_id)
