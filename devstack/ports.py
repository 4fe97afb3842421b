"""Free TCP ports on 127.0.0.1, picked by the kernel."""

import socket
from contextlib import ExitStack


def free_ports(count: int) -> list[int]:
    """Return `count` distinct ports that were free a moment ago (all bound at once)."""
    with ExitStack() as stack:
        ports = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind(("127.0.0.1", 0))
            ports.append(int(sock.getsockname()[1]))
        return ports


def free_port() -> int:
    """Return one port on 127.0.0.1 that was free a moment ago."""
    return free_ports(1)[0]


def port_or_free(preferred: int, host: str = "127.0.0.1") -> int:
    """`preferred` if it can be bound on `host` right now, else a port that was free then."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, preferred))
        except OSError:
            return free_port()
        return preferred
