"""The receiver's check in the README works on what HelperChat sends: a genuine delivery is
taken, a forged, stale or repeated one is not (the snippet is run as printed)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from component.webhook_payloads import envelope
from component.webhook_signing import signature

README = Path(__file__).resolve().parents[2] / "README.md"
SECRET = "whsec-for-the-readme"


@pytest.fixture
def take() -> Callable[[dict[str, str], bytes], Any]:
    text = README.read_text(encoding="utf-8")
    section = text.split("### Checking a delivery", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert code is not None, "the README's receiver snippet is gone"
    namespace: dict[str, Any] = {}
    exec(code.group(1).replace('b"..."', repr(SECRET.encode())), namespace)
    return namespace["take"]


def delivery(at: int, delivery_id: str = "d-1") -> tuple[dict[str, str], bytes]:
    body = envelope(delivery_id, "chat.started", "acme", at, {"chat": {"id": "acme.1"}})
    raw = body.encode("utf-8")
    headers = {
        "X-HelperChat-Timestamp": str(at),
        "X-HelperChat-Signature": signature(SECRET, at, raw),
    }
    return headers, raw


def test_a_genuine_delivery_is_taken_once(take: Callable[[dict[str, str], bytes], Any]) -> None:
    headers, raw = delivery(int(time.time()))
    assert take(headers, raw) == json.loads(raw)
    assert take(headers, raw) is None  # the same id again


def test_forged_or_stale_deliveries_are_not(take: Callable[[dict[str, str], bytes], Any]) -> None:
    now = int(time.time())
    headers, raw = delivery(now, "d-2")
    assert take(headers, raw.replace(b"acme", b"evil")) is None
    assert take({**headers, "X-HelperChat-Signature": "sha256=" + "0" * 64}, raw) is None
    assert take(*delivery(now - 3600, "d-3")) is None
    assert take({}, raw) is None
