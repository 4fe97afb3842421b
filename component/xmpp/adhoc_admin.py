"""A site's administration at its desk (`settings`, `operators`), for its admins only: XEP-0004
forms pre-filled with today's values, in sessions bound to their owner, the answers handed to the
SiteAdministration port (checked as the command line checks them, applied to the running desk).

Who is an admin is desk/site_admins.py's (asked again at every step); the forms' fields are
site_form.py's and operator_form.py's. The steps run in adhoc_steps.py's runner, one session's in
turn: a second `complete` sent with the first is told the session ended.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from component import operator_form, texts
from component.desk.helpdesk import HelpDesk
from component.desk.site_admins import admin_of
from component.errors import HelpDeskError, InvalidField, InvalidInput, LastAdmin
from component.forms import FormField
from component.models import Operator, Site
from component.site_form import settings_fields
from component.xmpp.adhoc_sessions import Sessions
from component.xmpp.adhoc_steps import (
    Steps,
    add_table,
    answers_of,
    new_form,
    set_actions,
    step_reply,
)
from component.xmpp.jids import normalize_bare_jid

MISTYPED = (InvalidInput, LastAdmin)
"""Refusals of an answer (a bad value, a JID that is no operator, the last admin demoted): the
session stays at its form, to be sent again corrected."""
MAX_SETTING_CHARS = 4000
"""An answer at most: above the longest value `site set` keeps (ten feedback addresses in 2000
characters, shown with their separators), so a form sent back as shown is never refused for its
length; each field's own check bounds it further."""


class SiteAdministration(Protocol):
    """Reads and changes of a site's settings and operators (component/live_admin.py)."""

    @property
    def languages(self) -> Collection[str]: ...

    async def site(self, slug: str) -> Site: ...

    async def operators(self, slug: str) -> list[Operator]: ...

    async def change_settings(
        self, slug: str, by: str, shown: tuple[FormField, ...], submitted: Mapping[str, str]
    ) -> list[str]: ...

    async def change_operator(
        self,
        slug: str,
        by: str,
        jid: str,
        shown: tuple[FormField, ...],
        submitted: Mapping[str, str],
    ) -> list[str]: ...

    async def add_operator(
        self, slug: str, by: str, jid: str, submitted: Mapping[str, str]
    ) -> Operator: ...

    async def remove_operator(self, slug: str, by: str, jid: str) -> str: ...


@dataclass(frozen=True, slots=True)
class Step:
    """Where a session is: `stage` (settings: "form"; operators: "choose", "edit", "add"), the
    operator it is about, and the fields as they were shown."""

    stage: str = ""
    jid: str = ""
    shown: tuple[FormField, ...] = ()


class AdminCommands:
    def __init__(
        self, desk: Callable[[], HelpDesk], sessions: Sessions, admin: SiteAdministration
    ) -> None:
        self._desk = desk
        self._sessions = sessions
        self._admin = admin
        self._steps = Steps(sessions, MISTYPED, _described)

    def start(self, iq: Any, owner: str, target: str, slug: str, node: str) -> None:
        """NotAllowed (forbidden) for anyone but the site's admins."""
        admin_of(self._desk(), owner.partition("/")[0], slug)
        answers = answers_of(iq, limit=MAX_SETTING_CHARS)
        session = self._sessions.start(owner, target, node, Step())
        self._run(iq, session.id, slug, owner, answers)

    def resume(self, iq: Any, owner: str, target: str, slug: str) -> None:
        session = self._steps.find(iq, owner, target)
        admin_of(self._desk(), owner.partition("/")[0], slug)  # no longer an admin: forbidden
        answers = (
            {} if iq["command"]["action"] == "cancel" else answers_of(iq, limit=MAX_SETTING_CHARS)
        )
        self._run(iq, session.id, slug, owner, answers)

    def _run(
        self, iq: Any, sessionid: str, slug: str, owner: str, answers: Mapping[str, str]
    ) -> None:
        who = owner.partition("/")[0]

        async def work(step: object) -> Any:
            assert isinstance(step, Step)
            if iq["command"]["node"] == "settings":
                return await self._settings(iq, sessionid, slug, who, step, answers)
            return await self._operators(iq, sessionid, slug, who, step, answers)

        self._steps.run(iq, sessionid, work)

    async def _settings(
        self, iq: Any, sessionid: str, slug: str, who: str, step: Step, values: Mapping[str, str]
    ) -> Any:
        if not step.stage:
            site = await self._admin.site(slug)
            shown = settings_fields(site, await self._admin.operators(slug), self._admin.languages)
            self._steps.keep(sessionid, Step("form", shown=shown))
            form = _form(texts.settings_title(site), texts.SETTINGS_INSTRUCTIONS, shown)
            return _ask(iq, sessionid, form)
        changed = await self._admin.change_settings(slug, who, step.shown, values)
        return self._steps.finish(iq, sessionid, texts.settings_changed(slug, changed))

    async def _operators(
        self, iq: Any, sessionid: str, slug: str, who: str, step: Step, values: Mapping[str, str]
    ) -> Any:
        if not step.stage:
            site = await self._admin.site(slug)
            operators = await self._admin.operators(slug)
            shown = operator_form.choice_fields()
            self._steps.keep(sessionid, Step("choose", shown=shown))
            form = _form(texts.operators_title(site), texts.OPERATORS_INSTRUCTIONS, shown)
            add_table(form, operator_form.COLUMNS, operator_form.table(operators))
            return _ask(iq, sessionid, form, next_step=True)
        if step.stage == "choose":
            return await self._chosen(iq, sessionid, slug, who, values)
        if step.stage == "edit":
            changed = await self._admin.change_operator(slug, who, step.jid, step.shown, values)
            return self._steps.finish(
                iq, sessionid, texts.operator_changed(slug, step.jid, changed)
            )
        op = await self._admin.add_operator(slug, who, step.jid, values)
        return self._steps.finish(iq, sessionid, texts.operator_added(slug, op.jid))

    async def _chosen(
        self, iq: Any, sessionid: str, slug: str, who: str, values: Mapping[str, str]
    ) -> Any:
        if iq["command"]["action"] == "complete" and not values.get("jid", "").strip():
            return self._steps.finish(iq, sessionid, texts.operators_unchanged(slug))  # looked only
        action = operator_form.chosen_action(values)
        jid = _jid(values.get("jid", ""))
        if action == "remove":
            removed = await self._admin.remove_operator(slug, who, jid)
            return self._steps.finish(iq, sessionid, texts.operator_removed(slug, removed))
        found = [op for op in await self._admin.operators(slug) if op.jid == jid]
        if action == "add" and found:
            raise InvalidField("jid", f"{jid} is an operator of {slug} already")
        if action == "edit" and not found:
            raise InvalidField("jid", f"{jid} is not an operator of {slug}")
        shown = operator_form.operator_fields(found[0] if found else None)
        self._steps.keep(sessionid, Step(action, jid, shown))
        title = texts.operator_title(slug, jid, new=action == "add")
        return _ask(iq, sessionid, _form(title, texts.OPERATOR_INSTRUCTIONS, shown))


def _described(error: HelpDeskError) -> str:
    """A refusal's text, with the field it is about (`answer_timeout: ...`)."""
    return f"{error.field}: {error.text}" if isinstance(error, InvalidField) else error.text


def _ask(iq: Any, sessionid: str, form: Any, *, next_step: bool = False) -> Any:
    reply = step_reply(iq, sessionid, "executing")
    set_actions(reply, next_=next_step, complete=not next_step)
    reply["command"].append(form)
    return reply


def _jid(text: str) -> str:
    if not text.strip():
        raise InvalidField("jid", "give the operator's JID")
    try:
        return normalize_bare_jid(text.strip())
    except ValueError as exc:
        raise InvalidField("jid", f"not a JID: {exc}") from None


def _form(title: str, instructions: str, fields: Sequence[FormField]) -> Any:
    form = new_form(title, instructions)
    for field in fields:
        options = [{"value": value, "label": label} for value, label in field.options]
        form.add_field(
            var=field.var,
            ftype=field.kind,
            label=field.label,
            required=field.required,
            value=field.value,
            options=options or None,
        )
    return form
