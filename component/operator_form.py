"""The desk's `operators` command in plain values: the site's operators as a table, what to do
(edit, add, remove one by JID), an operator's form pre-filled, and the answers turned into
OperatorChanges by `operator set`'s own validation (admin.operator_changes), only what changed.
A site keeps at least one admin: removing or demoting its last one is refused. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from component.admin import OperatorChanges, operator_changes, whole_number
from component.errors import InvalidInput, LastAdmin
from component.forms import FormField, changed, flag, read_flag
from component.models import Operator, Site

ACTIONS = (
    ("edit", "Edit an operator"),
    ("add", "Add an operator"),
    ("remove", "Remove an operator"),
)
COLUMNS = (
    ("jid", "JID"),
    ("name", "Name"),
    ("priority", "Priority"),
    ("max_chats", "Max chats"),
    ("enabled", "Enabled"),
    ("admin", "Admin"),
)


def table(operators: Sequence[Operator]) -> list[dict[str, str]]:
    """One row per operator, the columns of COLUMNS."""
    return [
        {
            "jid": op.jid,
            "name": op.name,
            "priority": str(op.priority),
            "max_chats": str(op.max_chats),
            "enabled": "yes" if op.enabled else "no",
            "admin": "yes" if op.is_admin else "no",
        }
        for op in operators
    ]


def choice_fields() -> tuple[FormField, ...]:
    """The first page's questions: what to do, and with whom (a JID)."""
    return (
        FormField("action", "What to do", "list-single", "edit", ACTIONS, required=True),
        FormField("jid", "Operator's JID", "jid-single", required=True),
    )


def chosen_action(answers: Mapping[str, str]) -> str:
    action = answers.get("action", "").strip() or "edit"
    if action not in dict(ACTIONS):
        raise InvalidInput(f"action: expected one of {', '.join(dict(ACTIONS))}, not {action!r}")
    return action


def operator_fields(op: Operator | None) -> tuple[FormField, ...]:
    """The form of one operator, pre-filled with their values (a new one: the defaults of
    `operator add`)."""
    new = Operator(site_id=0, jid="", name="") if op is None else op
    fields = (
        FormField("name", "Name", value=new.name, required=op is None),
        FormField("priority", "Priority (-1000000..1000000)", value=str(new.priority)),
        FormField("max_chats", "Max chats (0 = the site's limit)", value=str(new.max_chats)),
        FormField("enabled", "Enabled (gets new chats)", "boolean", flag(new.enabled)),
        FormField("admin", "Site admin (settings, operators)", "boolean", flag(new.is_admin)),
    )
    return fields if op is not None else tuple(f for f in fields if f.var != "enabled")


def edit_changes(
    op: Operator, shown: tuple[FormField, ...], submitted: Mapping[str, str]
) -> OperatorChanges:
    """What the answers change, validated as `operator set` validates; what is as it was is
    left out."""
    answers = changed(shown, dict(submitted))
    changes = operator_changes(
        name=answers.get("name"),
        priority=_number(answers, "priority"),
        max_chats=_number(answers, "max_chats"),
        enabled=_flag(answers, "enabled"),
        admin=_flag(answers, "admin"),
    )
    current = {
        "name": op.name,
        "priority": op.priority,
        "max_chats": op.max_chats,
        "enabled": op.enabled,
        "is_admin": op.is_admin,
    }
    kept = OperatorChanges()
    for key, value in changes.items():
        if current[key] != value:
            kept[key] = value  # type: ignore[literal-required]
    return kept


def new_operator(submitted: Mapping[str, str]) -> tuple[str, int, int, bool]:
    """Name, priority, max chats and admin flag of an operator to add, as typed (Admin.add_operator
    validates them as `operator add` does)."""
    name = submitted.get("name", "")
    priority = _number(submitted, "priority")
    max_chats = _number(submitted, "max_chats")
    admin = _flag(submitted, "admin")
    return name, priority or 0, max_chats or 0, bool(admin)


def keeps_an_admin(
    site: Site, operators: Sequence[Operator], jid: str, *, removed: bool = False
) -> None:
    """LastAdmin when `jid` is the site's only admin and is being removed or demoted."""
    admins = [op.jid for op in operators if op.is_admin]
    if admins == [jid]:
        what = "removed" if removed else "demoted"
        raise LastAdmin(f"{jid} is the last admin of {site.slug}: it cannot be {what}")


def _number(answers: Mapping[str, str], var: str) -> int | None:
    text = answers.get(var, "")
    return None if not text.strip() else whole_number(var, text)


def _flag(answers: Mapping[str, str], var: str) -> bool | None:
    text = answers.get(var, "")
    return None if not text.strip() else read_flag(var, text)
