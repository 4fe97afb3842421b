"""The address a request came from, believing X-Forwarded-For only from trusted proxies.

Pure: no aiohttp. The header is read from the right (the hop the proxy appended) back past every
trusted proxy; what a client wrote itself, to the left, is never believed.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def networks(texts: Iterable[str]) -> tuple[Network, ...]:
    """Parse already validated config values (http.trusted_proxies)."""
    return tuple(ipaddress.ip_network(text, strict=False) for text in texts)


def client_ip(peer: str | None, forwarded_for: str | None, trusted: Sequence[Network]) -> str:
    """The client's address: `peer`, or the last X-Forwarded-For hop no trusted proxy added."""
    current = _address(peer)
    if current is None:
        return peer or "-"
    if not forwarded_for or not _is_trusted(current, trusted):
        return str(current)
    for hop in reversed(forwarded_for.split(",")):
        address = _address(hop.strip())
        if address is None:
            break  # unreadable: the last proxy we believe is all we know
        current = address
        if not _is_trusted(address, trusted):
            break
    return str(current)


def _address(text: str | None) -> Address | None:
    try:
        address = ipaddress.ip_address(text or "")
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # an IPv4 client of a socket listening on "::"
    return address


def _is_trusted(address: Address, trusted: Sequence[Network]) -> bool:
    return any(address in network for network in trusted)
