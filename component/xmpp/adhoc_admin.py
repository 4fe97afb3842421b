"""A site's administration at its desk (`settings`, `operators`), for its admins only: XEP-0004
forms pre-filled with today's values, in sessions bound to their owner, the answers handed to the
SiteAdministration port (checked as the command line checks them, applied to the running desk).

Who is an admin is desk/site_admins.py's (asked again at every step); the forms' fields are
site_form.py's and operator_form.py's. A step runs as a task: the reply, or the error, is sent
when the reads and writes are done.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from slixmpp.exceptions import XMPPError
from slixmpp.plugins.xep_0004.stanza import Form

from component import operator_form, texts
from component.desk.helpdesk import HelpDesk
from component.desk.site_admins import admin_of
from component.errors import HelpDeskError, InvalidField, InvalidInput
from component.forms import FormField
from component.models import Operator, Site
from component.site_form import settings_fields
from component.xmpp.adhoc_sessions import ForeignSession, Sessions, UnknownSession
from component.xmpp.jids import normalize_bare_jid

log = logging.getLogger(__name__)

FORMS_NS = "jabber:x:data"
COMMANDS_NS = "http://jabber.org/protocol/commands"
MAX_ANSWER_CHARS = 1000


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
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self, iq: Any, owner: str, target: str, slug: str, node: str) -> None:
        """NotAllowed (forbidden) for anyone but the site's admins."""
        admin_of(self._desk(), owner.partition("/")[0], slug)
        session = self._sessions.start(owner, target, node, Step())
        self._spawn(self._step(iq, session.id, slug, owner, Step(), _values(iq)))

    def resume(self, iq: Any, owner: str, target: str, slug: str, sessionid: str) -> None:
        command = iq["command"]
        try:
            session = self._sessions.find(sessionid, owner, target, command["node"])
        except ForeignSession:
            log.warning("%s tried a session of someone else at %s", owner, target)
            raise XMPPError("forbidden", "this session belongs to someone else") from None
        except UnknownSession:
            raise XMPPError("bad-request", "no such session here (ended or expired)") from None
        admin_of(self._desk(), owner.partition("/")[0], slug)  # no longer an admin: forbidden
        if command["action"] == "cancel":
            self._sessions.end(session.id)
            _reply(iq, session.id, "canceled").send()
            return
        step = session.context
        assert isinstance(step, Step)
        self._spawn(self._step(iq, session.id, slug, owner, step, _values(iq)))

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _step(
        self, iq: Any, sessionid: str, slug: str, owner: str, step: Step, values: Mapping[str, str]
    ) -> None:
        who = owner.partition("/")[0]
        try:
            if iq["command"]["node"] == "settings":
                await self._settings(iq, sessionid, slug, who, step, values)
            else:
                await self._operators(iq, sessionid, slug, who, step, values)
        except HelpDeskError as error:
            self._sessions.end(sessionid)
            text = f"{error.field}: {error.text}" if isinstance(error, InvalidField) else error.text
            iq.exception(XMPPError(error.condition, text))  # type: ignore[arg-type]
        except XMPPError as error:
            self._sessions.end(sessionid)
            iq.exception(error)
        except Exception:
            log.exception("ad-hoc command %r failed", iq["command"]["node"])
            self._sessions.end(sessionid)
            iq.exception(XMPPError("internal-server-error", "the command failed"))

    async def _settings(
        self, iq: Any, sessionid: str, slug: str, who: str, step: Step, values: Mapping[str, str]
    ) -> None:
        if not step.stage:
            site = await self._admin.site(slug)
            shown = settings_fields(site, await self._admin.operators(slug), self._admin.languages)
            self._keep(sessionid, Step("form", shown=shown))
            form = _form(texts.settings_title(site), texts.SETTINGS_INSTRUCTIONS, shown)
            self._ask(iq, sessionid, form)
            return
        changed = await self._admin.change_settings(slug, who, step.shown, values)
        self._done(iq, sessionid, texts.settings_changed(slug, changed))

    async def _operators(
        self, iq: Any, sessionid: str, slug: str, who: str, step: Step, values: Mapping[str, str]
    ) -> None:
        if not step.stage:
            site = await self._admin.site(slug)
            operators = await self._admin.operators(slug)
            shown = operator_form.choice_fields()
            self._keep(sessionid, Step("choose", shown=shown))
            form = _form(texts.operators_title(site), texts.OPERATORS_INSTRUCTIONS, shown)
            _table(form, operators)
            self._ask(iq, sessionid, form, next_step=True)
        elif step.stage == "choose":
            await self._chosen(iq, sessionid, slug, who, values)
        elif step.stage == "edit":
            changed = await self._admin.change_operator(slug, who, step.jid, step.shown, values)
            self._done(iq, sessionid, texts.operator_changed(slug, step.jid, changed))
        else:
            op = await self._admin.add_operator(slug, who, step.jid, values)
            self._done(iq, sessionid, texts.operator_added(slug, op.jid))

    async def _chosen(
        self, iq: Any, sessionid: str, slug: str, who: str, values: Mapping[str, str]
    ) -> None:
        if iq["command"]["action"] == "complete" and not values.get("jid", "").strip():
            self._done(iq, sessionid, texts.operators_unchanged(slug))  # only looked at the table
            return
        action = operator_form.chosen_action(values)
        jid = _jid(values.get("jid", ""))
        if action == "remove":
            removed = await self._admin.remove_operator(slug, who, jid)
            self._done(iq, sessionid, texts.operator_removed(slug, removed))
            return
        found = [op for op in await self._admin.operators(slug) if op.jid == jid]
        if action == "add" and found:
            raise InvalidField("jid", f"{jid} is an operator of {slug} already")
        if action == "edit" and not found:
            raise InvalidField("jid", f"{jid} is not an operator of {slug}")
        shown = operator_form.operator_fields(found[0] if found else None)
        self._keep(sessionid, Step(action, jid, shown))
        title = texts.operator_title(slug, jid, new=action == "add")
        self._ask(iq, sessionid, _form(title, texts.OPERATOR_INSTRUCTIONS, shown))

    def _keep(self, sessionid: str, step: Step) -> None:
        session = self._sessions.get(sessionid)
        if session is not None:
            session.context = step

    def _ask(self, iq: Any, sessionid: str, form: Any, *, next_step: bool = False) -> None:
        reply = _reply(iq, sessionid, "executing")
        reply["command"]["actions"] = ["next"] if next_step else ["complete"]
        default = "next" if next_step else "complete"
        reply["command"].xml.find(f"{{{COMMANDS_NS}}}actions").set("execute", default)
        reply["command"].append(form)
        reply.send()

    def _done(self, iq: Any, sessionid: str, text: str) -> None:
        self._sessions.end(sessionid)
        reply = _reply(iq, sessionid, "completed")
        reply["command"].add_note(text, "info")
        reply.send()


def _jid(text: str) -> str:
    if not text.strip():
        raise InvalidField("jid", "give the operator's JID")
    try:
        return normalize_bare_jid(text.strip())
    except ValueError as exc:
        raise InvalidField("jid", f"not a JID: {exc}") from None


def _values(iq: Any) -> dict[str, str]:
    command = iq["command"]
    if command.xml.find(f"{{{FORMS_NS}}}x") is None:
        return {}
    found: dict[str, str] = {}
    for var, value in command["form"]["values"].items():
        if isinstance(value, list):
            text = "\n".join(map(str, value))
        else:
            text = "" if value is None else str(value)
        if len(text) > MAX_ANSWER_CHARS:
            raise InvalidInput(f"{var}: longer than {MAX_ANSWER_CHARS} characters")
        found[var] = text
    return found


def _reply(iq: Any, sessionid: str, status: str) -> Any:
    reply = iq.reply()
    reply["command"]["node"] = iq["command"]["node"]
    reply["command"]["sessionid"] = sessionid
    reply["command"]["status"] = status
    return reply


def _form(title: str, instructions: str, fields: Sequence[FormField]) -> Any:
    form = Form()
    form["type"] = "form"
    form["title"] = title
    form["instructions"] = instructions
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


def _table(form: Any, operators: Sequence[Operator]) -> None:
    for var, label in operator_form.COLUMNS:
        form.add_reported(var, ftype="text-single", label=label)
    for row in operator_form.table(operators):
        form.add_item(row)
