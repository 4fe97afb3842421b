"""XMPP's one normalisation of JIDs: slixmpp's JID (nodeprep, nameprep/IDNA, resourceprep).

Whatever stores, compares or configures a JID uses these; results are cached (the relay's hot path
parses every `to` and `from`). Errors are ValueErrors whose text says what is wrong.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

from slixmpp import JID
from slixmpp.jid import InvalidJID

CACHE_SIZE = 8192  # bounded: `to` addresses are stranger input


class Jid(NamedTuple):
    local: str
    domain: str
    resource: str
    bare: str


@lru_cache(maxsize=CACHE_SIZE)
def parse_jid(text: str) -> Jid:
    """The parts of `text` in normal form; all empty for ""; ValueError if it is not a JID."""
    jid = _prepared(text, "JID")
    return Jid(jid.user, jid.domain, jid.resource, jid.bare)


@lru_cache(maxsize=CACHE_SIZE)
def normalize_bare_jid(text: str) -> str:
    """`text` (surrounding spaces ignored) as a bare JID in normal form, or ValueError."""
    jid = parse_jid(text.strip())
    if not jid.domain:
        raise ValueError("empty JID")
    if jid.resource:
        raise ValueError(f"{text.strip()!r} has a resource: expected a bare JID")
    return jid.bare


def normalize_domain(text: str) -> str:
    """`text` as a bare domain (no local part, no resource) in normal form, or ValueError."""
    jid = _prepared(text, "domain")
    if not jid.domain:
        raise ValueError("empty domain")
    if jid.user or jid.resource:
        raise ValueError(f"{text!r} is not a bare domain (no @ or /)")
    return str(jid.domain)


def _prepared(text: str, what: str) -> JID:
    try:
        return JID(text)
    except InvalidJID as exc:
        raise ValueError(f"{text[:100]!r} is not a valid {what}: {exc}") from None
