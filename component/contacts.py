"""E-mail addresses and phone numbers from raw input: a visitor's contact, a site's feedback
addresses. Pure: e-mail syntax is email-validator's (no DNS look-up); must not import adapters.

A phone number is checked by its shape only (7 to 15 digits, E.164's most, with the usual
separators and an optional leading +): visitors write local numbers without a country code,
which no numbering-plan check can judge without knowing their country, and refusing a real
number costs more than keeping an odd one.
"""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email

from component.errors import InvalidInput

EMAIL_CHARS = 254  # RFC 5321's limit on a path, and the columns' width
MAX_FEEDBACK_EMAILS = 10
FEEDBACK_EMAILS_CHARS = 2000  # sites.feedback_emails, one address a line
NONE = ("", "none")  # what clears a site's feedback addresses

_PHONE = re.compile(r"\+?[0-9 ()./-]+")
_SEPARATORS = re.compile(r"[,;\s]+")
MIN_PHONE_DIGITS, MAX_PHONE_DIGITS = 7, 15


def email_address(text: str) -> str | None:
    """`text` as an e-mail address in its normal form (the domain lower case, IDNA-encoded
    where it can be), or None when it is none; never holds a control character or a space."""
    if len(text) > EMAIL_CHARS:
        return None
    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        return None
    return checked.ascii_email or checked.normalized


def is_phone_number(text: str) -> bool:
    if not _PHONE.fullmatch(text):
        return False
    digits = sum(ch.isdigit() for ch in text)
    return MIN_PHONE_DIGITS <= digits <= MAX_PHONE_DIGITS


def checked_feedback_emails(text: str) -> tuple[str, ...]:
    """The addresses a site's feedback is mailed to, separated by commas or spaces, normalised,
    duplicates dropped; "" or "none" for none (the feedback is then stored but not mailed)."""
    if text.strip().lower() in NONE:
        return ()
    addresses: dict[str, str] = {}
    for part in _SEPARATORS.split(text.strip()):
        address = email_address(part)
        if address is None:
            raise InvalidInput(
                f"bad feedback e-mail address {part!r}: expected one like a@b.example"
            )
        addresses.setdefault(address.casefold(), address)
    if len(addresses) > MAX_FEEDBACK_EMAILS:
        raise InvalidInput(f"bad feedback e-mail addresses: at most {MAX_FEEDBACK_EMAILS}")
    found = tuple(addresses.values())
    if len("\n".join(found)) > FEEDBACK_EMAILS_CHARS:
        raise InvalidInput(
            f"bad feedback e-mail addresses: at most {FEEDBACK_EMAILS_CHARS} characters in all"
        )
    return found
