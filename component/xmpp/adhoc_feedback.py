"""The `feedback` ad-hoc command at a desk: the site's feedback as an XEP-0004 table (open, or
all), 20 a page with XEP-0050's next/prev; one picked by its number shown whole (a very long
text in pages), with a field to mark it done; `prev` on its first page goes back to the list.
Sessions are bound to their owner (adhoc_sessions.py).

Who may read what is feedback_view.py's (pure); the reads and the marking are the FeedbackInbox
port's (the archive's writer flushed first, so feedback just left is there), and marking is the
same storage call as `helperchat feedback done`. Reminders are claimed from the database only
while feedback is open, so once it is marked none is sent for it any more. The steps run in
adhoc_steps.py's runner, one session's in turn.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

from component import texts
from component.desk import feedback_view
from component.desk.archive_view import turn
from component.desk.feedback_view import FEEDBACK_PAGE, Reader
from component.desk.helpdesk import HelpDesk
from component.errors import InvalidInput, UnknownFeedback
from component.feedback import DoneOutcome, FeedbackEntry, done_text
from component.xmpp.adhoc_sessions import Sessions
from component.xmpp.adhoc_steps import (
    Steps,
    action_of,
    add_table,
    answers_of,
    new_form,
    pick_field,
    picked,
    set_actions,
    step_reply,
)

log = logging.getLogger(__name__)

ASKED = ("state", "feedback", "done")
"""The fields the command reads back; the rest of a submitted form (a client sends the whole
message back with "Mark done") is ignored."""
MISTYPED = (InvalidInput, UnknownFeedback)
"""Refusals of an answer (a state that is none, a number no feedback has): the session stays as
it was, for a corrected one."""


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
        self._steps = Steps(sessions, MISTYPED)

    def start(self, iq: Any, owner: str, target: str, slug: str) -> None:
        reader = feedback_view.reader_of(self._desk(), owner.partition("/")[0], slug)
        answers = answers_of(iq, ASKED)
        session = self._sessions.start(owner, target, "feedback", ListStep())
        self._run(iq, session.id, reader, "execute", answers)

    def resume(self, iq: Any, owner: str, target: str, slug: str) -> None:
        session = self._steps.find(iq, owner, target)
        reader = feedback_view.reader_of(self._desk(), owner.partition("/")[0], slug)
        action = action_of(iq)
        answers = {} if action == "cancel" else answers_of(iq, ASKED)
        self._run(iq, session.id, reader, action, answers)

    def _run(
        self, iq: Any, sessionid: str, reader: Reader, action: str, answers: Mapping[str, str]
    ) -> None:
        async def work(step: object) -> Any:
            assert isinstance(step, ListStep | OneStep)
            await self._inbox.flush()
            if isinstance(step, ListStep):
                return await self._list(iq, sessionid, reader, step, action, answers)
            return await self._one(iq, sessionid, reader, step, action, answers)

        self._steps.run(iq, sessionid, work)

    async def _list(
        self,
        iq: Any,
        sessionid: str,
        reader: Reader,
        step: ListStep,
        action: str,
        values: Mapping[str, str],
    ) -> Any:
        chosen = picked(values, "feedback")
        if chosen and action in ("execute", "complete", "next"):
            number = feedback_view.parse_number(chosen)
            return await self._one(
                iq, sessionid, reader, OneStep(number, back=step), "execute", values
            )
        if action == "complete":
            return self._steps.finish(iq, sessionid)
        state = values.get("state", step.state).strip() or "open"
        only_open = feedback_view.only_open(state)
        if state != step.state:  # another filter: its first page, whatever the action
            step, action = ListStep(0, state), "execute"
        rows, has_next = await self._page(reader, step, only_open)
        offset = turn(step.offset, action, has_next, FEEDBACK_PAGE)
        if offset != step.offset:
            step = replace(step, offset=offset)
            rows, has_next = await self._page(reader, step, only_open)
        self._steps.keep(sessionid, step)
        reply = step_reply(iq, sessionid, "executing")
        set_actions(reply, prev=step.offset > 0, next_=has_next)
        reply["command"].append(_list_form(reader, step, only_open, rows))
        return reply

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
    ) -> Any:
        site, number = reader.site, step.number
        entry = feedback_view.found(reader, await self._inbox.entry(site.id, number), number)
        if feedback_view.is_true(values.get("done", "")):
            return await self._mark(iq, sessionid, reader, entry)
        if action == "complete":
            return self._steps.finish(iq, sessionid)
        if action == "prev" and step.part == 1 and step.back is not None:
            return await self._list(iq, sessionid, reader, step.back, "execute", {})
        details = feedback_view.details(entry, site.slug)
        pages = feedback_view.text_pages(entry.feedback.text, (v for _, _, v in details))
        part = step.part
        if action == "next":
            part = min(part + 1, len(pages))
        elif action == "prev":
            part = max(part - 1, 1)
        part = min(part, len(pages))
        self._steps.keep(sessionid, replace(step, part=part))
        reply = step_reply(iq, sessionid, "executing")
        set_actions(reply, prev=part > 1 or step.back is not None, next_=part < len(pages))
        form = _one_form(reader, entry, details, pages[part - 1], part, len(pages))
        reply["command"].append(form)
        return reply

    async def _mark(self, iq: Any, sessionid: str, reader: Reader, entry: FeedbackEntry) -> Any:
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
        return self._steps.finish(iq, sessionid, note)


def _list_form(reader: Reader, step: ListStep, only_open: bool, rows: list[FeedbackEntry]) -> Any:
    title = texts.feedback_list_title(reader.site, only_open, step.offset // FEEDBACK_PAGE + 1)
    form = new_form(title, texts.FEEDBACK_INSTRUCTIONS)
    states = [{"label": s, "value": s} for s in feedback_view.STATES]
    state = "open" if only_open else "all"
    form.add_field(var="state", ftype="list-single", label="Show", value=state, options=states)
    choices = {str(r.feedback.number): feedback_view.choice(r) for r in rows}
    pick_field(form, "feedback", "Read feedback", choices)
    add_table(form, texts.FEEDBACK_COLUMNS, (feedback_view.row(row) for row in rows))
    return form


def _one_form(
    reader: Reader,
    entry: FeedbackEntry,
    details: list[tuple[str, str, str]],
    page: str,
    part: int,
    parts: int,
) -> Any:
    instructions = texts.FEEDBACK_ONE_INSTRUCTIONS if entry.done_at is None else ""
    form = new_form(
        texts.feedback_title(reader.site, entry.feedback.number, part, parts), instructions
    )
    form.add_field(var="text", ftype="text-multi", label="Message", value=page)
    for var, label, value in details:
        form.add_field(var=var, ftype="text-single", label=label, value=value)
    if entry.done_at is None:
        form.add_field(var="done", ftype="boolean", label="Mark done", value=False)
    return form
