"""The visitor API's input, checked into plain values before anything reaches the desk (§7.1)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from aiohttp import web

from component.models import Typing
from component.web.errors import ApiError

MAX_WAIT_SECONDS = 30.0
_CHAT_ID = re.compile(r"([a-z0-9-]{1,32})\.([1-9][0-9]{0,9})")
_DIGITS = re.compile(r"[0-9]{1,10}")
_LANG = re.compile(r"[A-Za-z0-9_-]*")  # a language tag (en, pt-BR, ru_RU): kept as ASCII
_FIELD_CHARS = {
    "name": 200,
    "email": 254,
    "page": 2000,
    "referrer": 2000,
    "lang": 16,
    "identity": None,  # its own limit is checked with its signature (identity.py)
}
TYPING_STATES = (Typing.COMPOSING, Typing.PAUSED, Typing.ACTIVE)


@dataclass(frozen=True, slots=True)
class StartChat:
    text: str
    name: str = ""
    email: str = ""
    page: str = ""
    referrer: str = ""
    lang: str = ""
    operator: int | None = None  # an operator's id as GET /api/v1/sites/{slug} lists it
    identity: str = ""


def start_chat(body: Mapping[str, object]) -> StartChat:
    _only(body, {"text", "operator", *_FIELD_CHARS})
    extra = {key: _string(body, key, limit) for key, limit in _FIELD_CHARS.items() if key in body}
    if not _LANG.fullmatch(extra.get("lang", "")):
        raise ApiError(400, "invalid", "`lang` must be a language tag like en or pt-BR")
    operator = _operator_id(body["operator"]) if "operator" in body else None
    return StartChat(text=text(body), operator=operator, **extra)


@dataclass(frozen=True, slots=True)
class LeaveFeedback:
    """`POST /api/v1/sites/{slug}/feedback` as sent; component.feedback.checked_form checks the
    values (in the visitor's `lang`, its errors are told in)."""

    text: str
    name: str = ""
    contact: str = ""
    page: str = ""
    lang: str = ""


_FEEDBACK_CHARS = {"name": None, "contact": None, "page": 2000, "lang": 16}


def leave_feedback(body: Mapping[str, object]) -> LeaveFeedback:
    """The fields' presence and types, the page's length and the language tag; the rest is
    checked with the desk's limits by checked_form."""
    _only(body, {"text", *_FEEDBACK_CHARS})
    extra = {
        key: _string(body, key, limit) for key, limit in _FEEDBACK_CHARS.items() if key in body
    }
    if not _LANG.fullmatch(extra.get("lang", "")):
        raise ApiError(400, "invalid", "`lang` must be a language tag like en or pt-BR")
    return LeaveFeedback(text=text(body), **extra)


def text(body: Mapping[str, object]) -> str:
    """The `text` field: a string (the desk checks it is not empty and not too long)."""
    if "text" not in body:
        raise ApiError(400, "invalid", "`text` is required")
    return _string(body, "text", None)


def message(body: Mapping[str, object]) -> str:
    _only(body, {"text"})
    return text(body)


def typing(body: Mapping[str, object]) -> Typing:
    _only(body, {"state"})
    state = body.get("state")
    if state not in [t.value for t in TYPING_STATES]:
        raise ApiError(400, "invalid", "`state` is composing, paused or active")
    return Typing(str(state))


@dataclass(frozen=True, slots=True)
class Hello:
    token: str
    after: int


def hello(frame: Mapping[str, object]) -> Hello:
    """The WebSocket's first frame `{"type": "hello", "token", "after"?}` (after: 0 if absent)."""
    _only(frame, {"type", "token", "after"})
    if frame.get("type") != "hello":
        raise ApiError(400, "invalid", "the first frame must be a hello")
    token = frame.get("token")
    if not isinstance(token, str) or not token.strip() or not token.isascii():
        raise ApiError(401, "unauthorized", "send the chat's token in the hello")
    after = frame.get("after", 0)
    if type(after) is not int or not 0 <= after <= 2**32:
        raise ApiError(400, "invalid", "`after` must be a whole number from 0")
    return Hello(token.strip(), after)


def frame_type(frame: Mapping[str, object]) -> str:
    kind = frame.get("type")
    if kind not in ("message", "typing", "page"):
        raise ApiError(400, "invalid", "`type` is message, typing or page")
    return str(kind)


def without_type(frame: Mapping[str, object]) -> dict[str, object]:
    """A client frame's fields but `type`, to check as the HTTP body of the same request."""
    return {key: value for key, value in frame.items() if key != "type"}


def page(body: Mapping[str, object]) -> tuple[str, str]:
    """A `page` frame's `{"url", "title"?}`."""
    _only(body, {"url", "title"})
    if "url" not in body:
        raise ApiError(400, "invalid", "`url` is required")
    title = _string(body, "title", 200) if "title" in body else ""
    return _string(body, "url", _FIELD_CHARS["page"]), title


def chat_id(request: web.Request) -> tuple[str, int]:
    """`{chat}` of the path: `<site>.<number>`; anything else is no chat here."""
    found = _CHAT_ID.fullmatch(request.match_info["chat"])
    if found is None:
        raise ApiError(404, "unknown_chat", "there is no such chat")
    return found[1], int(found[2])


def bearer(request: web.Request) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip() or not token.isascii():
        raise ApiError(401, "unauthorized", "send the chat's token as `Authorization: Bearer`")
    return token.strip()


def after_and_wait(query: Mapping[str, str]) -> tuple[int, float]:
    _only(query, {"after", "wait"})
    after = _number(query, "after", 0, 2**32)
    wait = _number(query, "wait", 0, MAX_WAIT_SECONDS)
    return int(after), wait


def _only(body: Mapping[str, object], known: set[str]) -> None:
    unknown = sorted(set(body) - known)
    if unknown:
        raise ApiError(400, "invalid", f"unknown field: {unknown[0]}")


def _string(body: Mapping[str, object], key: str, limit: int | None) -> str:
    value = body[key]
    if not isinstance(value, str):
        raise ApiError(400, "invalid", f"`{key}` must be a string")
    if limit is not None and len(value) > limit:
        raise ApiError(400, "invalid", f"`{key}` is longer than {limit} characters")
    return value


def _operator_id(value: object) -> int:
    """An operator's id: a whole number in the id column's range (bool is no number here)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value < 2**32:
        raise ApiError(400, "invalid", "`operator` must be an operator's id (a whole number)")
    return value


def _number(query: Mapping[str, str], key: str, low: float, high: float) -> float:
    raw = query.get(key, "0")
    if key != "wait" and not _DIGITS.fullmatch(raw):
        raise ApiError(400, "invalid", f"`{key}` must be a number")
    try:
        value = float(raw) if key == "wait" else int(raw)
    except ValueError:
        raise ApiError(400, "invalid", f"`{key}` must be a number") from None
    if not low <= value <= high:
        raise ApiError(400, "invalid", f"`{key}` must be between {low:g} and {high:g}")
    return value
