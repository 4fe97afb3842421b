"""A site's web settings from raw input: CORS origins, language (one the catalogue has), welcome
text, avatar image.

Pure: no I/O. Raises InvalidInput saying what is wrong; must not import adapters.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from urllib.parse import urlsplit

from component.errors import InvalidInput
from component.svg_check import svg_problem

MAX_ORIGINS = 20
MAX_ORIGIN_CHARS = 200
MAX_WELCOME_CHARS = 500
MAX_AVATAR_BYTES = 256 * 1024
NONE = ("", "none")  # what clears the origins (and, in the CLI, the avatar)

_DEFAULT_PORTS = {"http": 80, "https": 443}
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
_SEPARATORS = re.compile(r"[,\s]+")
_PNG = b"\x89PNG\r\n\x1a\n"
_JPEG = b"\xff\xd8\xff"


@dataclass(frozen=True, slots=True)
class Avatar:
    """A checked avatar image: its bytes, its type (sniffed from them) and an ETag for the web."""

    data: bytes
    content_type: str
    etag: str


def checked_origins(text: str) -> tuple[str, ...]:
    """Origins separated by commas or whitespace, normalised, duplicates dropped; "none" = ()."""
    if text.strip().lower() in NONE:
        return ()
    origins = tuple(dict.fromkeys(_origin(part) for part in _SEPARATORS.split(text) if part))
    if len(origins) > MAX_ORIGINS:
        raise InvalidInput(f"bad origins: at most {MAX_ORIGINS} origins, got {len(origins)}")
    return origins


def _origin(text: str) -> str:
    """`scheme://host[:port]` as a browser sends it in `Origin`: lower case, no default port."""
    bad = InvalidInput(
        f"bad origin {text!r}: expected http(s)://host[:port] like https://shop.example, no path"
    )
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise bad from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or parts.path not in ("", "/") or port == 0:
        raise bad
    if parts.query or parts.fragment or "?" in text or "#" in text or "@" in parts.netloc:
        raise bad
    host = _host(parts.hostname or "")
    if host is None:
        raise bad
    origin = (
        f"{scheme}://{host}"
        if port in (None, _DEFAULT_PORTS[scheme])
        else f"{scheme}://{host}:{port}"
    )
    if len(origin) > MAX_ORIGIN_CHARS:
        raise bad
    return origin


def _host(host: str) -> str | None:
    """A DNS name (IDNA-encoded), an IPv4 address or a bracketed IPv6 one; None if it is none."""
    if ":" in host:
        try:
            return f"[{ipaddress.IPv6Address(host).compressed}]"
        except ValueError:
            return None
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    return ascii_host if _HOST.fullmatch(ascii_host) and len(ascii_host) <= 253 else None


def checked_lang(text: str, languages: Collection[str]) -> str:
    """A site's language: one of `languages` (the catalogue's), in lower case."""
    lang = text.strip().lower()
    if lang not in languages:
        choices = ", ".join(sorted(languages))
        raise InvalidInput(f"bad language {text!r}: expected one of {choices}")
    return lang


def checked_welcome(text: str) -> str:
    """The welcome text as typed, trimmed, line breaks as \\n; "" for none."""
    cleaned = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    controls = any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in cleaned)
    if len(cleaned) > MAX_WELCOME_CHARS or controls:
        raise InvalidInput(
            f"bad welcome text: up to {MAX_WELCOME_CHARS} characters,"
            " no control characters but line breaks"
        )
    return cleaned


def checked_avatar(data: bytes) -> Avatar:
    """PNG, JPEG or a harmless SVG, told by content (never by a file name), up to 256 KiB."""
    if not data:
        raise InvalidInput("bad avatar: the file is empty")
    if len(data) > MAX_AVATAR_BYTES:
        raise InvalidInput(f"bad avatar: larger than {MAX_AVATAR_BYTES // 1024} KiB")
    return Avatar(data, _content_type(data), hashlib.sha256(data).hexdigest())


def _content_type(data: bytes) -> str:
    if data.startswith(_PNG):
        return "image/png"
    if data.startswith(_JPEG):
        return "image/jpeg"
    problem = svg_problem(data)
    if problem is None:
        return "image/svg+xml"
    raise InvalidInput(f"bad avatar: {problem}")
