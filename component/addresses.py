"""The XMPP address contract (SPEC §2): the service domain, `<site>@D` desks, `<site>.<n>@D` chats.

Pure string work; must not import slixmpp.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from component.models import SLUG_PATTERN

_CHAT_LOCAL = re.compile(r"(?P<slug>[a-z0-9-]{1,32})\.(?P<number>[1-9][0-9]{0,9})")
_BARE_JID = re.compile(r"[^@/\s\"&'<>:]{1,1023}@[^@/\s\"&'<>:]{1,1023}")


class AddressKind(StrEnum):
    SERVICE = "service"
    DESK = "desk"
    CHAT = "chat"
    INVALID = "invalid"


@dataclass(frozen=True, slots=True)
class Address:
    kind: AddressKind
    slug: str = ""
    number: int = 0


class Addresses:
    """Builds and parses the component's JIDs for one component domain."""

    def __init__(self, domain: str) -> None:
        self.domain = domain

    def desk(self, slug: str) -> str:
        return f"{slug}@{self.domain}"

    def chat(self, slug: str, number: int) -> str:
        return f"{slug}.{number}@{self.domain}"

    def parse(self, local: str) -> Address:
        """Classify the local part of a JID addressed to this component."""
        if not local:
            return Address(AddressKind.SERVICE)
        if SLUG_PATTERN.fullmatch(local):
            return Address(AddressKind.DESK, slug=local)
        match = _CHAT_LOCAL.fullmatch(local)
        if match:
            return Address(AddressKind.CHAT, slug=match["slug"], number=int(match["number"]))
        return Address(AddressKind.INVALID)


def is_bare_jid(value: str) -> bool:
    """True for `user@domain` without resource: the form operators are known by."""
    return bool(_BARE_JID.fullmatch(value)) and len(value) <= 255
