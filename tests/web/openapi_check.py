"""Checking answers of the running app against component/web/openapi.json (jsonschema_rs)."""

from __future__ import annotations

import json
from typing import Any

import jsonschema_rs

from component.web.openapi import description

DOC: dict[str, Any] = description()


def schema_check(name: str, value: object) -> None:
    """`value` is valid against components/schemas/`name` of the description."""
    _validate({"$ref": f"#/components/schemas/{name}"}, value)


def documented_answer(
    path: str, method: str, status: int, content_type: str, body: bytes
) -> dict[str, Any]:
    """Assert the answer is documented for the operation: its status, media type and body."""
    operation = DOC["paths"][path][method.lower()]
    documented = operation["responses"]
    assert str(status) in documented, f"{method} {path}: {status} is not documented: {body!r}"
    content = documented[str(status)].get("content")
    if content is None:
        assert body == b"", f"{method} {path}: {status} documents no body: {body!r}"
        return {}
    assert content_type in content, f"{method} {path} {status}: {content_type} undocumented"
    schema = content[content_type]["schema"]
    if content_type != "application/json":
        return {}
    value = json.loads(body)
    _validate(schema, value)
    return dict(value) if isinstance(value, dict) else {}


def _validate(schema: dict[str, Any], value: object) -> None:
    """The schema, its `$ref`s resolved against the description's components."""
    jsonschema_rs.validator_for({"components": DOC["components"], **schema}).validate(value)
