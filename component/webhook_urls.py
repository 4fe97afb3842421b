"""A webhook's URL: checked when it is added, its receiver's origin, and which addresses count as
public (deliveries to others are refused unless allowed, SSRF).

Pure: no I/O (no DNS: names are checked where the connection is made); must not import asyncio,
the use cases or an adapter.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from urllib.parse import urlsplit

from component.errors import InvalidInput

MAX_URL_CHARS = 2000  # webhooks.url
_DEFAULT_PORTS = {"http": 80, "https": 443}
_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?"
_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*\.?")
_PRINTABLE_ASCII = re.compile(r"[!-~]+")


def checked_webhook_url(text: str) -> str:
    """`http(s)://host[:port][/path][?query]`: no credentials, no fragment, printable ASCII
    (percent-encode the rest), at most MAX_URL_CHARS; scheme and host lower case, the host
    IDNA-encoded, a default port dropped. InvalidInput says what is wrong."""
    url = text.strip()
    if len(url) > MAX_URL_CHARS or not _PRINTABLE_ASCII.fullmatch(_ascii_host_form(url)):
        raise InvalidInput(
            f"bad webhook URL: at most {MAX_URL_CHARS} printable ASCII characters"
            " (percent-encode spaces and others)"
        )
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise _bad(url, "its port or host cannot be read") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise _bad(url, "it must start with http:// or https://")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise _bad(url, "credentials do not belong in it (use the signature to authenticate)")
    if parts.fragment or "#" in url:
        raise _bad(url, "a fragment (#...) is never sent")
    host = _host(parts.hostname or "")
    if host is None or port == 0:
        raise _bad(url, "it needs a host name or address (and a port from 1 to 65535)")
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    query = f"?{parts.query}" if parts.query else ""
    return f"{scheme}://{netloc}{parts.path or '/'}{query}"


@functools.lru_cache(maxsize=4096)
def origin_of(url: str) -> str:
    """`scheme://host:port` of a checked URL: one receiver, for concurrency limits and holds."""
    parts = urlsplit(url)
    port = parts.port or _DEFAULT_PORTS.get(parts.scheme, 0)
    host = parts.hostname or ""
    shown = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{shown}:{port}"


def literal_address(url: str) -> str | None:
    """The host of a URL when it is an IP address (else None: a name, resolved when sending)."""
    host = urlsplit(url).hostname or ""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


def is_public_address(address: str) -> bool:
    """Whether a webhook may connect to this IP address when private ones are not allowed:
    global unicast only (no loopback, private, link-local, site-local, shared, reserved,
    multicast or unspecified address). An IPv6 address that carries an IPv4 one (IPv4-mapped,
    -compatible or -translated, NAT64, 6to4) counts as that IPv4 address: a NAT64 gateway or a
    6to4 relay connects to it."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _SITE_LOCAL:
            return False
        ip = _carried_ipv4(ip) or ip
    return ip.is_global and not ip.is_multicast


_SITE_LOCAL = ipaddress.IPv6Network("fec0::/10")
_CARRYING_IPV4_IN_LAST_32_BITS = tuple(
    ipaddress.IPv6Network(prefix)
    for prefix in (
        "::/96",  # IPv4-compatible (deprecated; :: and ::1 are not public anyway)
        "::ffff:0:0/96",  # IPv4-mapped
        "::ffff:0:0:0/96",  # IPv4-translated (SIIT)
        "64:ff9b::/96",  # NAT64, well-known prefix (RFC 6052)
        "64:ff9b:1::/48",  # NAT64, local use (RFC 8215)
    )
)


def _carried_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for, if any."""
    if ip.sixtofour is not None:
        return ip.sixtofour
    if any(ip in network for network in _CARRYING_IPV4_IN_LAST_32_BITS):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _ascii_host_form(url: str) -> str:
    """The URL with an internationalised host name IDNA-encoded (the rest must be ASCII)."""
    parts = urlsplit(url) if "://" in url else None
    host = parts.hostname if parts is not None else None
    if host is None or host.isascii():
        return url
    try:
        encoded = host.encode("idna").decode("ascii")
    except UnicodeError:
        return url
    return url.replace(host, encoded, 1) if host in url else url


def _host(host: str) -> str | None:
    """A DNS name (IDNA-encoded, lower case), an IPv4 address or a bracketed IPv6 one."""
    if ":" in host:
        try:
            return f"[{ipaddress.IPv6Address(host).compressed}]"
        except ValueError:
            return None
    try:
        name = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    return name if _NAME.fullmatch(name) and len(name) <= 253 else None


def _bad(url: str, why: str) -> InvalidInput:
    return InvalidInput(f"bad webhook URL {url!r}: {why}")
