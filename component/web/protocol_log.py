"""aiohttp's own protocol logger, tamed: a request it cannot parse is one INFO line, no traceback.

aiohttp logs such a request at ERROR with a traceback that quotes the raw request line or header
(an `Authorization` token included), and anyone can send one. This logger keeps what matters (who,
and what kind of error) and drops the rest; every other record passes unchanged.
"""

from __future__ import annotations

import logging

from aiohttp.http_exceptions import HttpProcessingError

PROTOCOL_LOGGER = "component.web.protocol"


class _MalformedRequests(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            remote = record.args[0] if isinstance(record.args, tuple) and record.args else "?"
            record.msg, record.args = (
                "malformed HTTP request from %s refused (%s)",
                (
                    remote,
                    type(error).__name__,
                ),
            )
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


def protocol_logger() -> logging.Logger:
    """The logger to give aiohttp's request handler (AppRunner(..., logger=...))."""
    logger = logging.getLogger(PROTOCOL_LOGGER)
    if not any(isinstance(f, _MalformedRequests) for f in logger.filters):
        logger.addFilter(_MalformedRequests())
    return logger
