"""A web visitor's card, made from what they typed and what the site's identity vouches for.

Every value comes from a browser or a site's server, so each is cut to one printable line of
bounded length before the desk keeps it: nothing a visitor types can add a line to an operator's
header. Pure: imports no library.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from component.identity import Identity
from component.models import VisitorCard
from component.names import one_line

EMAIL_CHARS, URL_CHARS, TITLE_CHARS, LANG_CHARS, CUSTOMER_ID_CHARS = 254, 2000, 200, 16, 200
NOTE_TITLE_CHARS = 80
NOTE_PATH_CHARS = 300


def make_card(
    *,
    email: str = "",
    page: str = "",
    referrer: str = "",
    lang: str = "",
    identity: Identity | None = None,
    chosen_operator: str | None = None,
) -> VisitorCard:
    """The card of a new web chat; a verified identity's e-mail wins over the typed one."""
    if identity is not None and identity.email:
        email = identity.email
    return VisitorCard(
        email=one_line(email, EMAIL_CHARS),
        page=one_line(page, URL_CHARS),
        referrer=one_line(referrer, URL_CHARS),
        lang=one_line(lang, LANG_CHARS),
        verified=identity is not None,
        customer_id=one_line(identity.customer_id, CUSTOMER_ID_CHARS) if identity else "",
        target=identity is not None and identity.target,
        chosen_operator=chosen_operator,
    )


def page_shown(url: str, title: str) -> tuple[str, str]:
    """A page as the card keeps it: (url, title), each one bounded line."""
    return one_line(url, URL_CHARS), one_line(title, TITLE_CHARS)


def short_page(url: str) -> str:
    """The part of a page's URL an operator reads at a glance: its path and query."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url[:NOTE_PATH_CHARS]
    if not parts.scheme and not parts.netloc:
        return url[:NOTE_PATH_CHARS]
    shown = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return shown[:NOTE_PATH_CHARS]
