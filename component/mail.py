"""Mail in the persistent outbox (SPEC §6): a queued mail as read back, when a failed one is tried
again, and the header values it may carry (one line each, addresses that are addresses).

PURE: the standard library's email parser only; no asyncio, no I/O, no clock reads.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from email.errors import HeaderParseError, MessageDefect
from email.headerregistry import Address

MAX_ADDRESS_CHARS = 254  # RFC 5321's path limit, less the angle brackets
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
_IP_LITERAL = re.compile(r"\[[0-9A-Fa-f:.]+\]")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class OutboxMail:
    """One row of `mail_outbox` still to send, as the use case queued it (records.MailQueued):
    `recipients` comma-separated, `message_id` the Message-ID it keeps across retries,
    `attempts` how many tries failed so far."""

    id: int
    site_id: int
    mail_key: str
    message_id: str
    recipients: str
    subject: str
    reply_to: str
    text: str
    html: str
    created_at: float
    attempts: int = 0


@dataclass(frozen=True, slots=True)
class OutboxStatus:
    """What waits: mails neither sent nor failed, and when the earliest of them is due."""

    queued: int
    next_due: float | None


@dataclass(frozen=True, slots=True)
class Backoff:
    """Capped exponential back-off with jitter: after the n-th failure in a row, wait
    `first * 2**(n-1)` seconds, at most `cap`, drawn between half and all of it (`draw` in
    [0, 1)), so that mails (or servers) failing together do not all come back together."""

    first: float
    cap: float

    def delay(self, failures: int, draw: float) -> float:
        nominal = min(self.cap, self.first * 2.0 ** min(max(failures, 1) - 1, 60))
        return nominal * (0.5 + draw / 2)


def one_line(value: str) -> str:
    """`value` as one header line: every line break and control character (CR, LF, NEL, U+2028,
    tabs...) becomes a space and runs of spaces one, so no text can start a header of its own."""
    cleaned = "".join(" " if _breaks_a_line(char) else char for char in value)
    return _SPACES.sub(" ", cleaned).strip()


def _breaks_a_line(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Zl", "Zp") or char.isspace()


def address_of(value: str) -> str | None:
    """The plain address `local@domain` that `value` is (surrounding blanks ignored, a non-ASCII
    domain IDNA-encoded), or None when it is not exactly one: no display name, comment, quotes,
    second address, space or control character is accepted, so none can reach a header or an
    SMTP command."""
    text = value.strip()
    local, at, domain = text.rpartition("@")
    if not at or not local or len(text) > MAX_ADDRESS_CHARS:
        return None
    ascii_domain = _ascii_domain(domain)
    if ascii_domain is None or not _plain_local_part(local):
        return None
    return f"{local}@{ascii_domain}"


def _plain_local_part(local: str) -> bool:
    if not local.isascii() or not local.isprintable() or any(c in local for c in ' "()<>,;:\\['):
        return False
    try:
        parsed = Address(addr_spec=f"{local}@example.com")
    except (ValueError, IndexError, HeaderParseError, MessageDefect):
        return False
    return parsed.username == local


def _ascii_domain(domain: str) -> str | None:
    if _IP_LITERAL.fullmatch(domain):
        return domain
    try:
        ascii_domain = domain if domain.isascii() else domain.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    return ascii_domain if _HOST_NAME.fullmatch(ascii_domain) else None


@dataclass(frozen=True, slots=True)
class Mailbox:
    """An address with an optional display name, as in `HelperChat <desk@example.com>`."""

    address: str
    name: str = ""


_MAILBOX = re.compile(r"(?:(?P<name>[^<>]*?) *<(?P<address>[^<>]*)>|(?P<bare>[^<>]*))")


def mailbox_of(value: str) -> Mailbox | None:
    """`Name <address>` (the name may be in double quotes) or a bare address as a Mailbox, or
    None when it is not exactly one mailbox on one line."""
    match = _MAILBOX.fullmatch(value.strip())
    if match is None or any(_breaks_a_line(char) and char != " " for char in value):
        return None
    address = address_of(match["address"] if match["bare"] is None else match["bare"])
    name = (match["name"] or "").strip()
    if len(name) >= 2 and name[0] == name[-1] == '"':
        name = name[1:-1]
    if address is None or any(char in name for char in '"\\'):
        return None
    return Mailbox(address, name)


def addresses_of(values: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A comma-separated list split into (the addresses, the items that are not one)."""
    items = [item.strip() for item in values.split(",") if item.strip()]
    found = [(item, address_of(item)) for item in items]
    good = tuple(dict.fromkeys(address for _, address in found if address is not None))
    return good, tuple(item for item, address in found if address is None)
