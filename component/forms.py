"""Data-form fields as plain values (what the XMPP adapter renders as XEP-0004), and reading a
submitted form's answers back as a command-line option would be read. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from component.errors import InvalidField

TRUE = ("1", "true", "on", "yes")
FALSE = ("0", "false", "off", "no")


@dataclass(frozen=True, slots=True)
class FormField:
    """One field: `kind` is its XEP-0004 type; `value` its text as pre-filled (booleans "1"/"0",
    several lines joined by \\n); `options` (value, label) of a list-single."""

    var: str
    label: str
    kind: str = "text-single"
    value: str = ""
    options: tuple[tuple[str, str], ...] = ()
    required: bool = False


def flag(value: bool) -> str:
    return "1" if value else "0"


def read_flag(field: str, text: str) -> bool:
    """A boolean field as submitted (XEP-0004's 1/0/true/false; on/off as on the command line)."""
    word = text.strip().lower()
    if word in TRUE:
        return True
    if word in FALSE:
        return False
    raise InvalidField(field, f"expected on or off (1 or 0), not {text.strip()!r}")


def changed(fields: tuple[FormField, ...], submitted: dict[str, str]) -> dict[str, str]:
    """The submitted answers that differ from what the form was pre-filled with (a field left out
    of the answer, or sent back as it was shown, is no change)."""
    shown = {f.var: f.value for f in fields}
    return {
        var: text
        for var, text in submitted.items()
        if var in shown and _same_text(text) != _same_text(shown[var])
    }


def _same_text(text: str) -> str:
    return text.replace("\r\n", "\n").strip()
