"""aiohttp's own protocol layer, tamed: a request it cannot parse gets the JSON error body and one
INFO line, no traceback.

aiohttp answers such a request (a control character in a header, a header over its limit) itself,
below every middleware, with a text/plain 400 that echoes the raw line, and logs it at ERROR with a
traceback quoting the raw request line or header (an `Authorization` token included). Anyone can
send one. Here the answer is the §7.1 error JSON and the log keeps who and what kind of error.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestHandler

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


class _JsonErrorHandler(RequestHandler):
    __slots__ = ()

    def handle_error(
        self,
        request: Any,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if status >= 500 or not isinstance(exc, HttpProcessingError):
            return super().handle_error(request, status, exc, message)
        self.logger.info(
            "malformed HTTP request from %s refused (%s)", request.remote, type(exc).__name__
        )
        if request.writer.output_size > 0:
            raise ConnectionError("an answer was being sent already")
        body = {"error": {"code": "bad_request", "message": "the request could not be parsed"}}
        answer = web.json_response(body, status=status)
        answer.force_close()
        return answer


class _JsonErrorServer(web.Server):
    def __call__(self) -> RequestHandler:
        return _JsonErrorHandler(self, loop=self._loop, **self._kwargs)


def answer_malformed_requests_in_json(server: web.Server) -> None:
    """Make a set-up runner's server (`runner.server`) answer unparsable requests in JSON.

    aiohttp builds one request handler per connection by calling the server; only that call
    changes. Works on a server already listening: the next connection gets the new handler.
    """
    server.__class__ = _JsonErrorServer
