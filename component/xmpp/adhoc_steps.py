"""The step runner of the desk's multi-step ad-hoc commands (`recent`, `transcript`, `search`,
`feedback`, `settings`, `operators`) and the small pieces of XEP-0050/XEP-0004 their forms share.

A step runs as a task, and the steps of one session run one after the other in the order they
came: each reads the session as the one before it left it (two `next`s sent at once show two
pages, a second `complete` is told the session ended). A step returns its answer and the runner
sends it, or the error, exactly once. A mistyped answer (the command's `mistyped` refusals) keeps
the session as it was, for a corrected one; any other refusal or failure ends it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping, Sequence
from typing import Any

from slixmpp.exceptions import XMPPError
from slixmpp.plugins.xep_0004.stanza import Form

from component.errors import HelpDeskError
from component.xmpp.adhoc_sessions import ForeignSession, Session, Sessions, UnknownSession
from component.xmpp.outbox import xml_chars

log = logging.getLogger(__name__)

FORMS_NS = "jabber:x:data"
COMMANDS_NS = "http://jabber.org/protocol/commands"
MAX_ANSWER_CHARS = 1000
MAX_WAITING = 8
"""Steps of one session waiting for their turn at most: a client that floods one session is
told to wait, and nothing it sends grows without bound (sessions themselves are capped)."""
ENDED = "no such session here (ended or expired)"
NOTHING = "none"
"""The first option of a list of rows to open, chosen: nothing opened. It has a value, as XEP-0004
wants (profanity 0.13 crashes on an option without one)."""

Work = Callable[[object], Awaitable[Any]]
"""One step: given the session's context (where the session is), the stanza to answer with."""


class Steps:
    """Runs the steps of the sessions of one group of commands (see the module's docstring)."""

    def __init__(
        self,
        sessions: Sessions,
        mistyped: tuple[type[HelpDeskError], ...] = (),
        describe: Callable[[HelpDeskError], str] = lambda error: error.text,
    ) -> None:
        self._sessions = sessions
        self._mistyped = mistyped
        self._describe = describe
        self._tasks: set[asyncio.Task[None]] = set()
        self._last: dict[str, asyncio.Task[None]] = {}  # each session's latest step, till done
        self._waiting: dict[str, int] = {}  # each session's steps not yet done

    def find(self, iq: Any, owner: str, target: str) -> Session:
        """The session an iq continues: forbidden when someone else started it, bad-request
        when there is none."""
        sessionid, node = iq["command"]["sessionid"], iq["command"]["node"]
        try:
            return self._sessions.find(sessionid, owner, target, node)
        except ForeignSession:
            log.warning("%s tried a session of someone else at %s", owner, target)
            raise XMPPError("forbidden", "this session belongs to someone else") from None
        except UnknownSession:
            raise ended() from None

    def run(self, iq: Any, sessionid: str, work: Work) -> None:
        """Run `work` when the session's earlier steps are done; a `cancel` ends the session."""
        waiting = self._waiting.get(sessionid, 0)
        if waiting >= MAX_WAITING:
            raise XMPPError("resource-constraint", "too many steps at once: wait for the answers")
        self._waiting[sessionid] = waiting + 1
        before = self._last.get(sessionid)

        async def in_turn() -> None:
            if before is not None:
                await asyncio.wait([before])
            await self._step(iq, sessionid, work)

        task = asyncio.ensure_future(in_turn())
        self._last[sessionid] = task
        self._tasks.add(task)
        task.add_done_callback(lambda done: self._done(sessionid, done))

    async def wait_idle(self) -> None:
        """Return once no step is being worked on."""
        while self._tasks:
            await asyncio.wait(list(self._tasks))

    def pending(self) -> int:
        """Steps not done yet (waiting for their turn or being worked on)."""
        return sum(self._waiting.values())

    def keep(self, sessionid: str, context: object) -> None:
        """Where the session is now, for its next step."""
        session = self._sessions.get(sessionid)
        if session is not None:
            session.context = context

    def finish(self, iq: Any, sessionid: str, text: str = "") -> Any:
        """The session ends: the `completed` answer, with `text` as its note."""
        self._sessions.end(sessionid)
        answer = step_reply(iq, sessionid, "completed")
        if text:
            answer["command"].add_note(text, "info")
        return answer

    async def _step(self, iq: Any, sessionid: str, work: Work) -> None:
        try:
            answer = await self._answer(iq, sessionid, work)
        except HelpDeskError as error:
            if not isinstance(error, self._mistyped):
                self._sessions.end(sessionid)
            iq.exception(XMPPError(error.condition, self._describe(error)))  # type: ignore[arg-type]
            return
        except XMPPError as error:
            self._sessions.end(sessionid)
            iq.exception(error)
            return
        except Exception:
            log.exception("ad-hoc command %r failed", iq["command"]["node"])
            self._sessions.end(sessionid)
            iq.exception(XMPPError("internal-server-error", "the command failed"))
            return
        answer.send()  # outside the try: a failure to send is never answered a second time

    async def _answer(self, iq: Any, sessionid: str, work: Work) -> Any:
        session = self._sessions.get(sessionid)
        if session is None:  # ended by a step before this one
            raise ended()
        if iq["command"]["action"] == "cancel":
            self._sessions.end(sessionid)
            return step_reply(iq, sessionid, "canceled")
        return await work(session.context)

    def _done(self, sessionid: str, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        left = self._waiting.get(sessionid, 1) - 1
        if left > 0:
            self._waiting[sessionid] = left
        else:
            self._waiting.pop(sessionid, None)
        if self._last.get(sessionid) is task:
            del self._last[sessionid]


def ended() -> XMPPError:
    """The answer to a step of a session that is not there (any more): bad-request with
    XEP-0050's <bad-sessionid/>."""
    return XMPPError("bad-request", ENDED, extension="bad-sessionid", extension_ns=COMMANDS_NS)


def answers_of(
    iq: Any, only: Collection[str] | None = None, limit: int = MAX_ANSWER_CHARS
) -> dict[str, str]:
    """The submitted form's values as text (of the fields in `only`, when given): not-acceptable
    when one is longer than `limit` characters."""
    command = iq["command"]
    if command.xml.find(f"{{{FORMS_NS}}}x") is None:
        return {}
    found: dict[str, str] = {}
    for var, value in command["form"]["values"].items():
        if only is not None and var not in only:
            continue
        text = "\n".join(map(str, value)) if isinstance(value, list) else str(value or "")
        if len(text) > limit:
            raise XMPPError("not-acceptable", f"{var} is longer than {limit} characters")
        found[var] = text
    return found


def action_of(iq: Any) -> str:
    """The step's action; none given is `execute` (XEP-0050)."""
    return str(iq["command"]["action"] or "execute")


def step_reply(iq: Any, sessionid: str, status: str) -> Any:
    answer = iq.reply()  # from the address it was sent to (a component must say `from`)
    answer["command"]["node"] = iq["command"]["node"]
    answer["command"]["sessionid"] = sessionid
    answer["command"]["status"] = status
    return answer


def set_actions(
    answer: Any, *, prev: bool = False, next_: bool = False, complete: bool = True
) -> None:
    """The actions a step offers; the default one is `next` when there is one."""
    chosen = [name for name, on in (("prev", prev), ("next", next_), ("complete", complete)) if on]
    answer["command"]["actions"] = chosen
    answer["command"].xml.find(f"{{{COMMANDS_NS}}}actions").set(
        "execute", "next" if next_ else "complete"
    )


def new_form(title: str, instructions: str = "") -> Any:
    shown = Form()
    shown["type"] = "form"
    shown["title"] = xml_chars(title)
    if instructions:
        shown["instructions"] = instructions
    return shown


def pick_field(shown: Any, var: str, label: str, choices: Mapping[str, str]) -> None:
    """A list-single of rows to open (value: label), with NOTHING first and chosen: a client that
    sends every field back (a web select sends its first option) turns the page on `next`
    rather than opening the top row."""
    options = [{"label": NOTHING, "value": NOTHING}] + [
        {"label": xml_chars(text), "value": value} for value, text in choices.items()
    ]
    shown.add_field(var=var, ftype="list-single", label=label, value=NOTHING, options=options)


def picked(answers: Mapping[str, str], var: str) -> str:
    """The row chosen in a pick_field ("" for none)."""
    chosen = answers.get(var, "").strip()
    return "" if chosen == NOTHING else chosen


def add_table(
    shown: Any, columns: Sequence[tuple[str, str]], rows: Iterable[Mapping[str, str]]
) -> None:
    """A table of text (XEP-0004 `reported` and `item`s), each cell with the characters XML 1.0
    forbids as U+FFFD."""
    for var, label in columns:
        shown.add_reported(var, ftype="text-single", label=label)
    for row in rows:
        shown.add_item({var: xml_chars(text) for var, text in row.items()})
