"""Rows the use cases append besides chats and messages: feedback, mail, webhook deliveries and
site events (SPEC §6). Plain values, no I/O.

They travel the archive writer's path (archive.py): appended without waiting, written in its
batches with its retries and back-off, handed to the spool at a stop and written back at the next
start. So a feedback left, a mail queued or a delivery due is never lost, and the drainers that
send mail and deliver webhooks read only what the database holds. Each has a `key`, its identity:
writing a record again (a batch retried after a lost commit, a spool replayed) stores it once.
"""

from __future__ import annotations

from dataclasses import dataclass

from component.models import VisitorKind


@dataclass(frozen=True, slots=True)
class FeedbackLeft:
    """A visitor's feedback, number `number` of its site (table `feedback`). `contact` is what
    they gave (an e-mail address or a phone number), `email` the same when it is an address;
    `visitor` and `chat_number` name the XMPP visitor and the chat that became this feedback."""

    site_id: int
    number: int
    left_at: float
    source: VisitorKind
    text: str
    name: str = ""
    contact: str = ""
    email: str = ""
    page: str = ""
    lang: str = ""
    visitor: str = ""
    chat_number: int | None = None

    @property
    def key(self) -> str:
        return f"feedback {self.site_id}.{self.number}"


@dataclass(frozen=True, slots=True)
class FeedbackDone:
    """Feedback marked done, by whom (an operator's JID, or "" from the command line)."""

    site_id: int
    number: int
    done_at: float
    done_by: str = ""

    @property
    def key(self) -> str:
        return f"feedback {self.site_id}.{self.number} done"


@dataclass(frozen=True, slots=True)
class MailQueued:
    """A mail for the outbox (table `mail_outbox`), whole as it is to be sent: `recipients`
    comma-separated, `message_id` the Message-ID header it keeps across retries. `mail_key` is its
    identity (e.g. `feedback:3:17`)."""

    site_id: int
    mail_key: str
    message_id: str
    recipients: str
    subject: str
    text: str
    html: str
    created_at: float
    reply_to: str = ""
    feedback_number: int | None = None

    @property
    def key(self) -> str:
        return f"mail {self.mail_key}"


@dataclass(frozen=True, slots=True)
class DeliveryQueued:
    """A webhook delivery (table `webhook_deliveries`): `body` is the exact JSON to POST (signed
    as it is), `delivery_id` the id its receiver sees (X-HelperChat-Delivery)."""

    delivery_id: str
    site_id: int
    webhook_number: int
    event: str
    body: str
    created_at: float

    @property
    def key(self) -> str:
        return f"delivery {self.delivery_id}"


@dataclass(frozen=True, slots=True)
class SiteEventRecorded:
    """Something that happened to a site rather than in a chat, archived (table `site_events`):
    a notification from the site's server (category `notify`), to `audience` (online or all),
    delivered to `delivered_to` operators."""

    event_key: str
    site_id: int
    at: float
    category: str
    text: str
    url: str = ""
    audience: str = ""
    delivered_to: int = 0

    @property
    def key(self) -> str:
        return f"site event {self.event_key}"


Record = FeedbackLeft | FeedbackDone | MailQueued | DeliveryQueued | SiteEventRecorded
RECORD_KINDS: dict[str, type[Record]] = {
    "feedback": FeedbackLeft,
    "feedback_done": FeedbackDone,
    "mail": MailQueued,
    "delivery": DeliveryQueued,
    "site_event": SiteEventRecorded,
}
"""Every kind by its name in a spool file; a new record kind is added here and in
storage/records.py."""
