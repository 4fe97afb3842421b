"""`helperchat check`: one XEP-0114 handshake with the server, then a clean disconnect."""

from __future__ import annotations

import asyncio
from typing import Any

from slixmpp import ComponentXMPP

from component.config import XmppConfig


async def check_handshake(config: XmppConfig, timeout: float = 10.0) -> str | None:
    """None when the server accepted the component, else the reason it did not."""
    stream = ComponentXMPP(config.component_jid, config.secret, config.host, config.port)
    outcome: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()

    def settle(reason: str | None) -> None:
        if not outcome.done():
            outcome.set_result(reason)

    def on_stream_error(error: Any) -> None:
        settle(f"server refused the component: {error['condition']} {error['text']}".strip())

    stream.add_event_handler("session_start", lambda _: settle(None))
    stream.add_event_handler("stream_error", on_stream_error)
    stream.add_event_handler("connection_failed", lambda e: settle(f"cannot connect: {e}"))
    stream.add_event_handler("disconnected", lambda e: settle(f"disconnected: {e or 'closed'}"))
    stream.connect()
    try:
        return await asyncio.wait_for(outcome, timeout)
    except TimeoutError:
        return f"no answer from {config.host}:{config.port} within {timeout:.0f} s"
    finally:
        stream.cancel_connection_attempt()
        if stream.is_connected():
            await stream.disconnect(wait=1.0)
