"""The `feedback` ad-hoc command at a desk: the site's feedback as an XEP-0004 table (open, or
all), 20 a page with XEP-0050's next/prev; one picked by its number shown whole (a very long
text in pages), with a field to mark it done; `prev` on its first page goes back to the list.
Sessions are bound to their owner (adhoc_sessions.py).

Who may read what is feedback_view.py's (pure); the reads and the marking are the FeedbackInbox
port's (the archive's writer flushed first, so feedback just left is there), and marking is the
same storage call as `helperchat feedback done`. Reminders are claimed from the database only
while feedback is open, so once it is marked none is sent for it any more. A step runs as a task:
the reply, or the error, is sent when the reads are done.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

from slixmpp.exceptions import XMPPError
from slixmpp.plugins.xep_0004.stanza import Form

from component import texts
from component.desk import feedback_view
from component.desk.archive_view import turn
from component.desk.feedback_view import FEEDBACK_PAGE, Reader
from component.desk.helpdesk import HelpDesk
from component.errors import HelpDeskError, UnknownFeedback
from component.feedback import DoneOutcome, FeedbackEntry, done_text
from component.xmpp.adhoc_archive import COMMANDS_NS, FORMS_NS
from component.xmpp.adhoc_sessions import ForeignSession, Sessions, UnknownSession

log = logging.getLogger(__name__)

ASKED = ("state", "feedback", "done")
"""The fields the command reads back; the rest of a submitted form (a client sends the whole
message back with "Mark done") is ignored."""
MAX_ANSWER_CHARS = 1000


class FeedbackInbox(Protocol):
    """The feedback reads and the marking the command needs (storage adapters implement them)."""

    async def flush(self) -> None: ...

    async def page(
        self, site_id: int, offset: int, limit: int, *, only_open: bool = True
    ) -> list[FeedbackEntry]: ...

    async def entry(self, site_id: int, number: int) -> FeedbackEntry | None: ...

    async def mark_done(self, site_id: int, number: int, at: float, by: str) -> DoneOutcome: ...


@dataclass(frozen=True, slots=True)
class ListStep:
    offset: int = 0
    state: str = "open"


@dataclass(frozen=True, slots=True)
class OneStep:
    number: int
    part: int = 1
    back: ListStep | None = None  # the list page it was picked from: `prev` on its first page


class FeedbackCommands:
    def __init__(
        self, desk: Callable[[], HelpDesk], sessions: Sessions, inbox: FeedbackInbox
    ) -> None:
        self._desk = desk
        self._sessions = sessions
        self._inbox = inbox
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self, iq: Any, owner: str, target: str, slug: str) -> None:
        reader = feedback_view.reader_of(self._desk(), owner.partition("/")[0], slug)
        values = _values(iq)
        session = self._sessions.start(owner, target, "feedback", ListStep())
        self._spawn(self._step(iq, session.id, reader, ListStep(), "execute", values))

    def resume(self, iq: Any, owner: str, target: str, slug: str, sessionid: str) -> None:
        command = iq["command"]
        try:
            session = self._sessions.find(sessionid, owner, target, command["node"])
        except ForeignSession:
            log.warning("%s tried a session of someone else at %s", owner, target)
            raise XMPPError("forbidden", "this session belongs to someone else") from None
        except UnknownSession:
            raise XMPPError("bad-request", "no such session here (ended or expired)") from None
        reader = feedback_view.reader_of(self._desk(), owner.partition("/")[0], slug)
        action = command["action"] or "execute"
        if action == "cancel":
            self._sessions.end(session.id)
            _reply(iq, session.id, "canceled").send()
            return
        step = session.context
        assert isinstance(step, ListStep | OneStep)
        self._spawn(self._step(iq, session.id, reader, step, action, _values(iq)))

    async def wait_idle(self) -> None:
        """Return once no step is being worked on (for a stop, and for tests)."""
        while self._tasks:
            await asyncio.wait(list(self._tasks))

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _step(
        self,
        iq: Any,
        sessionid: str,
        reader: Reader,
        step: ListStep | OneStep,
        action: str,
        values: Mapping[str, str],
    ) -> None:
        try:
            await self._inbox.flush()
            if isinstance(step, ListStep):
                await self._list(iq, sessionid, reader, step, action, values)
            else:
                await self._one(iq, sessionid, reader, step, action, values)
        except HelpDeskError as error:
            self._sessions.end(sessionid)
            iq.exception(XMPPError(error.condition, error.text))  # type: ignore[arg-type]
        except XMPPError as error:
            self._sessions.end(sessionid)
            iq.exception(error)
        except Exception:
            log.exception("ad-hoc command %r failed", iq["command"]["node"])
            self._sessions.end(sessionid)
            iq.exception(XMPPError("internal-server-error", "the command failed"))

    async def _list(
        self,
        iq: Any,
        sessionid: str,
        reader: Reader,
        step: ListStep,
        action: str,
        values: Mapping[str, str],
    ) -> None:
        picked = values.get("feedback", "").strip()
        if picked and action in ("execute", "complete", "next"):
            number = feedback_view.parse_number(picked)
            await self._one(iq, sessionid, reader, OneStep(number, back=step), "execute", values)
            return
        if action == "complete":
            self._sessions.end(sessionid)
            _reply(iq, sessionid, "completed").send()
            return
        state = values.get("state", step.state).strip() or "open"
        only_open = feedback_view.only_open(state)
        if state != step.state:  # another filter: its first page, whatever the action
            step, action = ListStep(0, state), "execute"
        rows, has_next = await self._page(reader, step, only_open)
        offset = turn(step.offset, action, has_next, FEEDBACK_PAGE)
        if offset != step.offset:
            step = replace(step, offset=offset)
            rows, has_next = await self._page(reader, step, only_open)
        self._keep(sessionid, step)
        reply = _reply(iq, sessionid, "executing")
        _actions(reply, prev=step.offset > 0, next_=has_next)
        reply["command"].append(_list_form(reader, step, only_open, rows))
        reply.send()

    async def _page(
        self, reader: Reader, step: ListStep, only_open: bool
    ) -> tuple[list[FeedbackEntry], bool]:
        rows = await self._inbox.page(
            reader.site.id, step.offset, FEEDBACK_PAGE + 1, only_open=only_open
        )
        return rows[:FEEDBACK_PAGE], len(rows) > FEEDBACK_PAGE

    async def _one(
        self,
        iq: Any,
        sessionid: str,
        reader: Reader,
        step: OneStep,
        action: str,
        values: Mapping[str, str],
    ) -> None:
        site, number = reader.site, step.number
        entry = feedback_view.found(reader, await self._inbox.entry(site.id, number), number)
        if feedback_view.is_true(values.get("done", "")):
            await self._mark(iq, sessionid, reader, entry)
            return
        if action == "complete":
            self._sessions.end(sessionid)
            _reply(iq, sessionid, "completed").send()
            return
        if action == "prev" and step.part == 1 and step.back is not None:
            await self._list(iq, sessionid, reader, step.back, "execute", {})
            return
        details = feedback_view.details(entry, site.slug)
        pages = feedback_view.text_pages(entry.feedback.text, (v for _, _, v in details))
        part = step.part
        if action == "next":
            part = min(part + 1, len(pages))
        elif action == "prev":
            part = max(part - 1, 1)
        part = min(part, len(pages))
        self._keep(sessionid, replace(step, part=part))
        reply = _reply(iq, sessionid, "executing")
        _actions(reply, prev=part > 1 or step.back is not None, next_=part < len(pages))
        form = _one_form(reader, entry, details, pages[part - 1], part, len(pages))
        reply["command"].append(form)
        reply.send()

    async def _mark(self, iq: Any, sessionid: str, reader: Reader, entry: FeedbackEntry) -> None:
        """Marked done by the operator (the time and their JID stored); done already: said so,
        with when and by whom."""
        site, number, by = reader.site, entry.feedback.number, reader.operator.jid
        outcome = await self._inbox.mark_done(site.id, number, self._desk().state.clock(), by)
        if outcome is DoneOutcome.UNKNOWN:  # gone between the read and the marking
            raise UnknownFeedback(f"there is no feedback {number} at {site.slug}")
        note = done_text(site.slug, number, outcome)
        if outcome is DoneOutcome.MARKED:
            log.info("feedback %s.%d marked done by %s", site.slug, number, by)
        else:
            latest = await self._inbox.entry(site.id, number) or entry
            note += f" ({texts.feedback_state(latest.done_at, latest.done_by)})"
        self._sessions.end(sessionid)
        result = _reply(iq, sessionid, "completed")
        result["command"].add_note(note, "info")
        result.send()

    def _keep(self, sessionid: str, step: ListStep | OneStep) -> None:
        session = self._sessions.get(sessionid)
        if session is not None:
            session.context = step


def _list_form(reader: Reader, step: ListStep, only_open: bool, rows: list[FeedbackEntry]) -> Any:
    form = Form()
    form["type"] = "form"
    form["title"] = texts.feedback_list_title(
        reader.site, only_open, step.offset // FEEDBACK_PAGE + 1
    )
    form["instructions"] = texts.FEEDBACK_INSTRUCTIONS
    states = [{"label": s, "value": s} for s in feedback_view.STATES]
    state = "open" if only_open else "all"
    form.add_field(var="state", ftype="list-single", label="Show", value=state, options=states)
    choices = [{"label": feedback_view.choice(r), "value": str(r.feedback.number)} for r in rows]
    form.add_field(
        var="feedback", ftype="list-single", label="Read feedback", options=choices or None
    )
    for var, label in texts.FEEDBACK_COLUMNS:
        form.add_reported(var, ftype="text-single", label=label)
    for row in rows:
        form.add_item(feedback_view.row(row))
    return form


def _one_form(
    reader: Reader,
    entry: FeedbackEntry,
    details: list[tuple[str, str, str]],
    page: str,
    part: int,
    parts: int,
) -> Any:
    form = Form()
    form["type"] = "form"
    form["title"] = texts.feedback_title(reader.site, entry.feedback.number, part, parts)
    if entry.done_at is None:
        form["instructions"] = texts.FEEDBACK_ONE_INSTRUCTIONS
    form.add_field(var="text", ftype="text-multi", label="Message", value=page)
    for var, label, value in details:
        form.add_field(var=var, ftype="text-single", label=label, value=value)
    if entry.done_at is None:
        form.add_field(var="done", ftype="boolean", label="Mark done", value=False)
    return form


def _values(iq: Any) -> dict[str, str]:
    """The submitted values of the fields the command asks (ASKED), as text."""
    command = iq["command"]
    if command.xml.find(f"{{{FORMS_NS}}}x") is None:
        return {}
    found: dict[str, str] = {}
    for var, value in command["form"]["values"].items():
        if var not in ASKED:
            continue
        text = "\n".join(map(str, value)) if isinstance(value, list) else str(value or "")
        if len(text) > MAX_ANSWER_CHARS:
            raise XMPPError("not-acceptable", f"{var} is longer than {MAX_ANSWER_CHARS} characters")
        found[var] = text
    return found


def _reply(iq: Any, sessionid: str, status: str) -> Any:
    reply = iq.reply()  # from the desk it was sent to
    reply["command"]["node"] = iq["command"]["node"]
    reply["command"]["sessionid"] = sessionid
    reply["command"]["status"] = status
    return reply


def _actions(reply: Any, *, prev: bool, next_: bool) -> None:
    chosen = [name for name, on in (("prev", prev), ("next", next_)) if on] + ["complete"]
    reply["command"]["actions"] = chosen
    reply["command"].xml.find(f"{{{COMMANDS_NS}}}actions").set(
        "execute", "next" if next_ else "complete"
    )
