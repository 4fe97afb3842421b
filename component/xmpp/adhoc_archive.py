"""The archive's ad-hoc commands at a desk (`recent`, `transcript`, `search`): XEP-0004 forms over
async archive reads, paged with XEP-0050's next/prev in sessions bound to their owner.

Who may see what is archive_view.py's (pure); the reads are the Browsing port's (the archive's
writer flushed first, so an open chat's latest messages are there). The steps run in
adhoc_steps.py's runner: one session's in turn, a mistyped answer refused with the session kept.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

from component import texts
from component.desk import archive_view
from component.desk.archive_view import RECENT_PAGE, Scope
from component.desk.helpdesk import HelpDesk
from component.desk.ports import ChatSummary
from component.desk.search_view import FIELDS
from component.errors import InvalidInput, UnknownChat
from component.models import Chat, ChatState, Message, VisitorCard
from component.transcript_pages import PAGE_BYTES, Mark, OnePage
from component.xmpp.adhoc_search import Searching, SearchReads, SearchStep
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
from component.xmpp.jids import normalize_bare_jid
from component.xmpp.outbox import xml_chars

TRANSCRIPT_PAGE_BYTES = PAGE_BYTES - 4096
"""A transcript page's text at most: its form, with title and fields, stays well under 16 KB."""
ROWS_PER_READ = 200
ASKED = ("chat", "state", "operator", *FIELDS)
"""The fields the commands read back; the rest of a submitted form (a client sends a transcript's
page back with `next`, up to 12 KB of it) is ignored."""
MISTYPED = (InvalidInput, UnknownChat)
"""Refusals of an answer: the session stays as it was, for a corrected one."""
LAST_SEQ = 2**31
ANY_STATE = "any"
"""The state filter's "no filter" option. Every option has a value (XEP-0004; profanity 0.13
crashes on one without)."""


class Browsing(SearchReads, Protocol):
    """The archive reads the commands need (storage adapters implement them)."""

    async def flush(self) -> None: ...

    async def recent(
        self,
        site_id: int,
        offset: int,
        limit: int,
        *,
        operator: str | None = None,
        state: ChatState | None = None,
    ) -> list[ChatSummary]: ...

    async def chat(self, site_id: int, number: int) -> Chat | None: ...

    async def card(self, site_id: int, number: int) -> VisitorCard | None: ...

    async def messages_between(
        self, site_id: int, number: int, after: int, through: int, limit: int
    ) -> list[Message]: ...


@dataclass(frozen=True, slots=True)
class RecentStep:
    offset: int = 0
    state: str = ""
    operator: str = ""


@dataclass(frozen=True, slots=True)
class TranscriptStep:
    number: int | None = None
    part: int = 1
    starts: tuple[Mark, ...] = (Mark(),)
    """Where each page shown so far begins, and the one after the last shown if known: a page
    is read from its mark on (not the whole chat each step), right after the one before it."""


Step = RecentStep | TranscriptStep | SearchStep
FIRST_STEPS: dict[str, type[Step]] = {
    "recent": RecentStep,
    "transcript": TranscriptStep,
    "search": SearchStep,
}


class ArchiveCommands:
    def __init__(
        self, desk: Callable[[], HelpDesk], sessions: Sessions, browsing: Browsing
    ) -> None:
        self._desk = desk
        self._sessions = sessions
        self._browsing = browsing
        self._steps = Steps(sessions, MISTYPED)
        self._searching = Searching(browsing, self._steps)

    def start(self, iq: Any, owner: str, target: str, slug: str, node: str) -> None:
        scope = archive_view.scope_of(self._desk(), owner.partition("/")[0], slug)
        answers = answers_of(iq, ASKED)
        session = self._sessions.start(owner, target, node, FIRST_STEPS[node]())
        self._run(iq, session.id, scope, "execute", answers)

    def resume(self, iq: Any, owner: str, target: str, slug: str) -> None:
        session = self._steps.find(iq, owner, target)
        scope = archive_view.scope_of(self._desk(), owner.partition("/")[0], slug)
        action = action_of(iq)
        answers = {} if action == "cancel" else answers_of(iq, ASKED)
        self._run(iq, session.id, scope, action, answers)

    def _run(
        self, iq: Any, sessionid: str, scope: Scope, action: str, answers: Mapping[str, str]
    ) -> None:
        async def work(step: object) -> Any:
            assert isinstance(step, Step)
            await self._browsing.flush()
            if isinstance(step, RecentStep):
                return await self._recent(iq, sessionid, scope, step, action, answers)
            if isinstance(step, SearchStep) and _chosen(answers, action):
                return await self._transcript(
                    iq, sessionid, scope, TranscriptStep(), "execute", answers
                )
            if isinstance(step, SearchStep):
                return await self._searching.step(iq, sessionid, scope, step, action, answers)
            return await self._transcript(iq, sessionid, scope, step, action, answers)

        self._steps.run(iq, sessionid, work)

    async def _recent(
        self,
        iq: Any,
        sessionid: str,
        scope: Scope,
        step: RecentStep,
        action: str,
        values: Mapping[str, str],
    ) -> Any:
        if _chosen(values, action):
            return await self._transcript(iq, sessionid, scope, TranscriptStep(), "execute", values)
        if action == "complete":
            return self._steps.finish(iq, sessionid)
        state = values.get("state", step.state).strip()
        state = "" if state == ANY_STATE else state
        operator = values.get("operator", step.operator).strip()
        if operator:
            try:
                operator = normalize_bare_jid(operator)
            except ValueError:
                raise InvalidInput(f"not an operator's JID: {operator!r}") from None
        if state and state not in archive_view.STATES:
            raise InvalidInput(f"no chat state {state!r}")
        if (state, operator) != (step.state, step.operator):  # a new filter: its first page
            step, action = RecentStep(0, state, operator), "execute"
        rows, has_next = await self._page(scope, step)
        offset = archive_view.turn(step.offset, action, has_next)
        if offset != step.offset:
            step = replace(step, offset=offset)
            rows, has_next = await self._page(scope, step)
        self._steps.keep(sessionid, step)
        reply = step_reply(iq, sessionid, "executing")
        set_actions(reply, prev=step.offset > 0, next_=has_next)
        reply["command"].append(_recent_form(scope, step, rows))
        return reply

    async def _page(self, scope: Scope, step: RecentStep) -> tuple[list[ChatSummary], bool]:
        operator = scope.only_operator
        if step.operator:
            if operator is not None and step.operator != operator:
                return [], False  # others' chats are not in this view at all
            operator = step.operator
        rows = await self._browsing.recent(
            scope.site.id,
            step.offset,
            RECENT_PAGE + 1,
            operator=operator,
            state=ChatState(step.state) if step.state else None,
        )
        return rows[:RECENT_PAGE], len(rows) > RECENT_PAGE

    async def _transcript(
        self,
        iq: Any,
        sessionid: str,
        scope: Scope,
        step: TranscriptStep,
        action: str,
        values: Mapping[str, str],
    ) -> Any:
        typed = values.get("chat", "").strip()
        if typed:
            number = archive_view.parse_number(typed, scope.site.slug)
            if number is None:
                raise UnknownChat(f"there is no chat {typed!r}")
            step = TranscriptStep(number, 1)
        elif step.number is not None and action == "complete":
            return self._steps.finish(iq, sessionid)
        if step.number is None:
            self._steps.keep(sessionid, step)
            return _ask_number(iq, sessionid)
        chat = archive_view.visible(
            scope, await self._browsing.chat(scope.site.id, step.number), step.number
        )
        part = step.part
        if action == "next" and len(step.starts) > part:
            part += 1
        elif action == "prev":
            part = max(part - 1, 1)
        page = await self._transcript_page(scope, chat, step.starts[part - 1])
        starts = step.starts[:part] + (() if page.next is None else (page.next,))
        step = TranscriptStep(step.number, part, starts)
        self._steps.keep(sessionid, step)
        reply = step_reply(iq, sessionid, "executing")
        set_actions(reply, prev=part > 1, next_=page.next is not None)
        form = _transcript_form(scope, chat, page.page(), part, last=page.next is None)
        reply["command"].append(form)
        return reply

    async def _transcript_page(self, scope: Scope, chat: Chat, start: Mark) -> OnePage:
        """The page from `start`: only the messages it shows (and one more) are read."""
        names = {op.jid: op.name for op in self._desk().directory.operators(scope.site.id)}
        page = OnePage(start, TRANSCRIPT_PAGE_BYTES, quoted=True)
        if start.seq == 0:
            card = await self._browsing.card(chat.site_id, chat.number) or VisitorCard()
            page.add(0, texts.archive_header(scope.site, chat, card))
        after = max(start.seq - 1, 0)
        while not page.full:
            batch = await self._browsing.messages_between(
                chat.site_id, chat.number, after, LAST_SEQ, ROWS_PER_READ
            )
            for message in batch:
                if page.add(message.seq, texts.transcript_line(message, names)):
                    break
            if len(batch) < ROWS_PER_READ:
                break
            after = batch[-1].seq
        return page


def _chosen(values: Mapping[str, str], action: str) -> bool:
    """A chat picked in a table (`recent`, `search`): its transcript is what comes next."""
    return bool(picked(values, "chat")) and action in ("execute", "complete", "next")


def _ask_number(iq: Any, sessionid: str) -> Any:
    reply = step_reply(iq, sessionid, "executing")
    set_actions(reply)
    form = new_form(texts.ARCHIVE_COMMAND_NAMES["transcript"], texts.TRANSCRIPT_INSTRUCTIONS)
    form.add_field(var="chat", ftype="text-single", label="Chat number", required=True)
    reply["command"].append(form)
    return reply


def _recent_form(scope: Scope, step: RecentStep, rows: list[ChatSummary]) -> Any:
    form = new_form(
        texts.recent_title(scope.site, step.offset // RECENT_PAGE + 1), texts.RECENT_INSTRUCTIONS
    )
    states = [{"label": ANY_STATE, "value": ANY_STATE}] + [
        {"label": s, "value": s} for s in archive_view.STATES
    ]
    state = step.state or ANY_STATE
    form.add_field(var="state", ftype="list-single", label="State", value=state, options=states)
    form.add_field(var="operator", ftype="text-single", label="Operator", value=step.operator)
    choices = {
        str(r.number): texts.chat_choice(r.number, r.visitor_name, r.first_words) for r in rows
    }
    pick_field(form, "chat", "Open chat", choices)
    cells = (
        {
            "number": str(row.number),
            "started": texts.stamp(row.opened_at),
            "visitor": f"{row.visitor_name} ({row.visitor})",
            "operator": row.operator or "",
            "state": str(row.state),
            "messages": str(row.messages),
            "first_words": row.first_words,
        }
        for row in rows
    )
    add_table(form, texts.RECENT_COLUMNS, cells)
    return form


def _transcript_form(scope: Scope, chat: Chat, page: str, part: int, *, last: bool) -> Any:
    form = new_form(texts.transcript_title(scope.site, chat.number, part, last))
    form.add_field(var="transcript", ftype="text-multi", label="Transcript", value=xml_chars(page))
    return form
