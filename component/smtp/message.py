"""One outbox mail as the message the server receives: the standard library's EmailMessage with
From, To, Subject, Reply-To, Message-ID, Date and a plain-text and an HTML part.

Whoever composed the row, no value makes a header of its own: the subject is cut to one line,
and every address must be exactly one address (a recipient that is not one is left out, a
reply-to that is not one is dropped, each noted). Must not import aiosmtplib (client.py does).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from component.mail import Mailbox, OutboxMail, address_of, addresses_of, one_line

_MESSAGE_ID = re.compile(r"<[!-;=?A-~]+@[!-;=?A-~]+>")  # printable ASCII, no space, <, > or a 2nd @
MAX_SUBJECT_CHARS = 500


class UnsendableMail(Exception):
    """No recipient of the mail is an address: it can never be sent."""


@dataclass(frozen=True, slots=True)
class Envelope:
    """The message, who it goes to, and what had to be left out of it (for the log)."""

    message: EmailMessage
    sender: str
    recipients: tuple[str, ...]
    notes: tuple[str, ...] = ()


def build_message(mail: OutboxMail, sender: Mailbox) -> Envelope:
    """The message for `mail` from `sender`; UnsendableMail when it has no valid recipient."""
    recipients, not_addresses = addresses_of(mail.recipients)
    if not recipients:
        raise UnsendableMail(f"no recipient is an e-mail address: {_shown(mail.recipients)}")
    notes = [f"recipient {_shown(item)} is not an e-mail address" for item in not_addresses]
    message = EmailMessage()
    message["From"] = Address(display_name=one_line(sender.name), addr_spec=sender.address)
    message["To"] = [Address(addr_spec=address) for address in recipients]
    message["Subject"] = one_line(mail.subject)[:MAX_SUBJECT_CHARS]
    reply_to = address_of(mail.reply_to)
    if reply_to is not None:
        message["Reply-To"] = Address(addr_spec=reply_to)
    elif mail.reply_to.strip():
        notes.append(f"reply-to {_shown(mail.reply_to)} is not an e-mail address, left out")
    message["Message-ID"] = message_id_of(mail, sender)
    message["Date"] = format_datetime(datetime.fromtimestamp(mail.created_at, UTC))
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to it
    _set_body(message, mail)
    return Envelope(message, sender.address, recipients, tuple(notes))


def message_id_of(mail: OutboxMail, sender: Mailbox) -> str:
    """The row's Message-ID when it is a well-formed one, else one made from the row's id: the
    same at every retry either way, so receivers can drop a duplicate."""
    if _MESSAGE_ID.fullmatch(mail.message_id):
        return mail.message_id
    return f"<outbox-{mail.id}@{sender.address.rpartition('@')[2]}>"


def _set_body(message: EmailMessage, mail: OutboxMail) -> None:
    message.set_content(mail.text, charset="utf-8")
    if mail.html:
        message.add_alternative(mail.html, subtype="html", charset="utf-8")


def _shown(value: str) -> str:
    """A value for a log line or last_error: repr (line breaks visible), at most 80 characters."""
    return repr(value[:80])
