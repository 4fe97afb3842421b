"""The ad-hoc step runner: one session's steps in the order they came, each seeing what the one
before kept; a step behind the session's end told so; at most MAX_WAITING steps of a session
waiting; every step answered exactly once, whatever it raised; nothing kept once all are done."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from slixmpp.exceptions import XMPPError

from component.errors import InvalidInput, UnknownSite
from component.xmpp.adhoc_sessions import Sessions
from component.xmpp.adhoc_steps import ENDED, MAX_WAITING, Steps

OWNER, DESK = "alice@x.test/laptop", "acme@help.test"


class Answer:
    def __init__(self, iq: FakeIq, status: str = "") -> None:
        self.iq, self.status = iq, status
        self.command: dict[str, Any] = {"status": status}

    def __getitem__(self, key: str) -> Any:
        return self.command

    def send(self) -> None:
        self.iq.answers.append(self.command.get("status") or self.status)


class FakeIq:
    """What the runner reads of an iq (its command) and how it answers (reply, exception)."""

    def __init__(self, sessionid: str, action: str = "next") -> None:
        self.command = {"sessionid": sessionid, "node": "recent", "action": action}
        self.answers: list[str] = []

    def __getitem__(self, key: str) -> dict[str, str]:
        return self.command

    def reply(self) -> Answer:
        return Answer(self)

    def exception(self, error: XMPPError) -> None:
        self.answers.append(f"error {error.condition}: {error.text}")


async def test_one_sessions_steps_take_turns_and_see_what_the_one_before_kept() -> None:
    sessions = Sessions()
    steps = Steps(sessions)
    session = sessions.start(OWNER, DESK, "recent", 0)
    seen: list[object] = []

    def page(iq: FakeIq) -> Any:
        async def work(context: object) -> Answer:
            seen.append(context)
            await asyncio.sleep(0)  # the step awaits its reads: the next one must still wait
            assert isinstance(context, int)
            steps.keep(session.id, context + 1)
            return Answer(iq, f"page {context + 1}")

        return work

    iqs = [FakeIq(session.id) for _ in range(3)]
    for iq in iqs:
        steps.run(iq, session.id, page(iq))
    cancel = FakeIq(session.id, "cancel")
    steps.run(cancel, session.id, page(cancel))
    behind = FakeIq(session.id)
    steps.run(behind, session.id, page(behind))
    await steps.wait_idle()
    assert seen == [0, 1, 2]
    assert [iq.answers for iq in iqs] == [["page 1"], ["page 2"], ["page 3"]]
    assert cancel.answers == ["canceled"]
    assert behind.answers == [f"error bad-request: {ENDED}"]
    assert len(sessions) == 0 and steps.pending() == 0


async def test_at_most_max_waiting_steps_of_a_session_wait() -> None:
    sessions = Sessions()
    steps = Steps(sessions)
    session = sessions.start(OWNER, DESK, "recent")
    gate = asyncio.Event()

    async def slow(context: object) -> Answer:
        await gate.wait()
        return Answer(iqs[0], "page")

    iqs = [FakeIq(session.id) for _ in range(MAX_WAITING)]
    for iq in iqs:
        steps.run(iq, session.id, slow)
    with pytest.raises(XMPPError) as refused:
        steps.run(FakeIq(session.id), session.id, slow)
    assert refused.value.condition == "resource-constraint"
    other = sessions.start("bob@x.test/phone", DESK, "recent")
    steps.run(FakeIq(other.id), other.id, slow)  # another session is not held up
    gate.set()
    await steps.wait_idle()
    assert steps.pending() == 0
    steps.run(FakeIq(session.id), session.id, slow)  # room again once they are done
    await steps.wait_idle()


@pytest.mark.parametrize(
    ("raised", "said", "kept"),
    [
        (InvalidInput("no chat state 'x'"), "error bad-request: no chat state 'x'", True),
        (UnknownSite("no site 'acme'"), "error item-not-found: no site 'acme'", False),
        (XMPPError("not-acceptable", "too long"), "error not-acceptable: too long", False),
        (RuntimeError("bug"), "error internal-server-error: the command failed", False),
    ],
)
async def test_every_step_is_answered_once_and_only_a_mistype_keeps_the_session(
    raised: Exception, said: str, kept: bool
) -> None:
    sessions = Sessions()
    steps = Steps(sessions, mistyped=(InvalidInput,))
    session = sessions.start(OWNER, DESK, "recent")

    async def failing(context: object) -> Answer:
        raise raised

    iq = FakeIq(session.id)
    steps.run(iq, session.id, failing)
    await steps.wait_idle()
    assert iq.answers == [said]
    assert (sessions.get(session.id) is not None) is kept
