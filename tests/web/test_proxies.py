"""Which address a request came from, believing X-Forwarded-For only from trusted proxies."""

from __future__ import annotations

import pytest

from component.web.proxies import client_ip, networks

TRUSTED = networks(["10.0.0.0/8", "127.0.0.1", "::1"])


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("203.0.113.9", None, "203.0.113.9"),
        ("203.0.113.9", "1.2.3.4", "203.0.113.9"),  # not from a proxy: the header is a lie
        ("127.0.0.1", None, "127.0.0.1"),
        ("127.0.0.1", "", "127.0.0.1"),
        ("127.0.0.1", "198.51.100.7", "198.51.100.7"),
        ("127.0.0.1", " 198.51.100.7 ", "198.51.100.7"),
        ("127.0.0.1", "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # the client may prepend lies
        ("127.0.0.1", "198.51.100.7, 10.1.2.3", "198.51.100.7"),  # through two proxies
        ("127.0.0.1", "10.9.9.9, 10.1.2.3", "10.9.9.9"),  # all proxies: the first one
        ("127.0.0.1", "198.51.100.7, junk", "127.0.0.1"),  # unreadable: stop at the proxy
        ("127.0.0.1", "2001:db8::7", "2001:db8::7"),
        ("::ffff:127.0.0.1", "198.51.100.7", "198.51.100.7"),  # IPv4 peer on an IPv6 socket
        ("::1", "198.51.100.7", "198.51.100.7"),
        (None, "198.51.100.7", "-"),
    ],
)
def test_client_ip(peer: str | None, forwarded: str | None, expected: str) -> None:
    assert client_ip(peer, forwarded, TRUSTED) == expected


def test_without_trusted_proxies_the_peer_is_the_client() -> None:
    assert client_ip("127.0.0.1", "198.51.100.7", ()) == "127.0.0.1"
