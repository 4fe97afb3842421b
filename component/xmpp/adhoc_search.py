"""The archive's `search` command at a desk: a XEP-0004 form (query, from, to, operator, mode), then
the matching chats as a table, paged with next/prev in the command's session. Stored text goes out
with the characters XML 1.0 forbids replaced (adhoc_steps.add_table: a web visitor's `\x07` would
close the stream).

What a query means and who may search which chats is search_view.py's (pure); the reads are the
SearchReads port's. Picking a chat opens its transcript (adhoc_archive.py, which runs this step).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

from component import texts
from component.desk import archive_view, search_view
from component.desk.archive_view import Scope
from component.desk.ports import SearchHit
from component.desk.search_view import FIELDS, MODES, SEARCH_PAGE, SearchQuery
from component.errors import InvalidInput
from component.xmpp.adhoc_steps import (
    Steps,
    add_table,
    new_form,
    pick_field,
    set_actions,
    step_reply,
)
from component.xmpp.jids import normalize_bare_jid

LABELS = {
    "query": "Query",
    "from": "From (YYYY-MM-DD)",
    "to": "To (YYYY-MM-DD)",
    "operator": "Operator",
    "mode": "Mode",
}


class SearchReads(Protocol):
    async def search(
        self, site_id: int, query: SearchQuery, operator: str | None, offset: int, limit: int
    ) -> list[SearchHit]: ...


@dataclass(frozen=True, slots=True)
class SearchStep:
    """Where a search session is: the answers as shown, their query (None: not asked yet), the
    page."""

    answers: tuple[tuple[str, str], ...] = ()
    query: SearchQuery | None = None
    offset: int = 0


class Searching:
    def __init__(self, reads: SearchReads, steps: Steps) -> None:
        self._reads = reads
        self._steps = steps

    async def step(
        self,
        iq: Any,
        sessionid: str,
        scope: Scope,
        step: SearchStep,
        action: str,
        values: Mapping[str, str],
    ) -> Any:
        """One step's answer: the form to fill, a page of results, or the end."""
        answers = _answers(step, values)
        if step.query is None and not values:
            self._steps.keep(sessionid, step)
            return _ask(iq, sessionid)
        if step.query is not None and answers == step.answers and action == "complete":
            return self._steps.finish(iq, sessionid)
        if step.query is None or answers != step.answers:  # a new query: its first page
            step = SearchStep(answers, search_view.parse_query(dict(answers)))
            action = "execute"
        rows, has_next = await self._page(scope, step)
        offset = archive_view.turn(step.offset, action, has_next, SEARCH_PAGE)
        if offset != step.offset:
            step = replace(step, offset=offset)
            rows, has_next = await self._page(scope, step)
        self._steps.keep(sessionid, step)
        reply = step_reply(iq, sessionid, "executing")
        set_actions(reply, prev=step.offset > 0, next_=has_next)
        assert step.query is not None
        if not rows:
            found = search_view.searchable(step.query.text)
            reply["command"].add_note(texts.nothing_found(step.query.text, found), "info")
        reply["command"].append(_results(scope, step, step.query, rows))
        return reply

    async def _page(self, scope: Scope, step: SearchStep) -> tuple[list[SearchHit], bool]:
        assert step.query is not None
        possible, operator = search_view.operator_filter(scope, step.query.operator)
        if not possible:
            return [], False  # others' chats are not in this view at all
        rows = await self._reads.search(
            scope.site.id, step.query, operator, step.offset, SEARCH_PAGE + 1
        )
        return rows[:SEARCH_PAGE], len(rows) > SEARCH_PAGE


def _answers(step: SearchStep, values: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """The form's fields as answered now (a field not sent keeps its last answer); the operator
    as a JID in normal form."""
    before = dict(step.answers)
    answers = {var: values.get(var, before.get(var, "")).strip() for var in FIELDS}
    if answers["operator"]:
        try:
            answers["operator"] = normalize_bare_jid(answers["operator"])
        except ValueError:
            raise InvalidInput(f"not an operator's JID: {answers['operator']!r}") from None
    answers["mode"] = answers["mode"] or MODES[0]
    return tuple(answers.items())


def _ask(iq: Any, sessionid: str) -> Any:
    reply = step_reply(iq, sessionid, "executing")
    set_actions(reply)
    form = new_form(texts.ARCHIVE_COMMAND_NAMES["search"], texts.SEARCH_INSTRUCTIONS)
    _fields(form, {})
    reply["command"].append(form)
    return reply


def _fields(form: Any, answers: Mapping[str, str]) -> None:
    for var in FIELDS:
        if var == "mode":
            modes = [{"label": mode, "value": mode} for mode in MODES]
            value = answers.get(var) or MODES[0]
            form.add_field(
                var=var, ftype="list-single", label=LABELS[var], value=value, options=modes
            )
        else:
            form.add_field(
                var=var,
                ftype="text-single",
                label=LABELS[var],
                value=answers.get(var, ""),
                required=var == "query",
            )


def _results(scope: Scope, step: SearchStep, query: SearchQuery, rows: list[SearchHit]) -> Any:
    title = texts.search_title(scope.site, query.text, step.offset // SEARCH_PAGE + 1)
    form = new_form(title, texts.SEARCH_INSTRUCTIONS)
    _fields(form, dict(step.answers))
    lines = [search_view.matching_line(row.body, query.text) for row in rows]
    choices = {
        str(r.number): texts.chat_choice(r.number, r.visitor_name, line)
        for r, line in zip(rows, lines, strict=True)
    }
    pick_field(form, "chat", "Open chat", choices)
    cells = (
        {
            "number": str(row.number),
            "at": texts.stamp(row.at),
            "visitor": f"{row.visitor_name} ({row.visitor})",
            "operator": row.operator or "",
            "line": line,
        }
        for row, line in zip(rows, lines, strict=True)
    )
    add_table(form, texts.SEARCH_COLUMNS, cells)
    return form
