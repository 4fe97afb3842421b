"""`feedback` at the desk from real slixmpp operators through the real ejabberd: the open list in
pages, newest first, the done ones too on request; one read whole with hostile and very long text
as plain text; marking done (stored, gone from `helperchat feedback list --open`, no reminder any
more); two sites that never see each other's feedback, strangers and stolen sessions refused."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from component.admin import feedback_changes
from component.archive import ArchiveBatch
from component.models import VisitorKind
from component.records import FeedbackLeft
from component.storage.archive import ArchiveRepository
from tests.integration.clients import Client, expect_no_more
from tests.integration.helpdesk_fixtures import Desk
from tests.integration.test_adhoc_archive import condition, staff
from tests.integration.test_cli import ok, write_config
from tests.integration.test_feedback import leave

pytestmark = pytest.mark.integration
FORMS = "{jabber:x:data}"
LEFT_AT = 1_800_000_000.0
RLO, PDF = "\u202e", "\u202c"


async def seed(desk: Desk, site_id: int, count: int, text: str = "words of feedback") -> None:
    """`count` feedback of the site, as the running component stores them; number n left at
    LEFT_AT + n, named "Visitor n"."""
    records = tuple(
        FeedbackLeft(
            site_id,
            number,
            LEFT_AT + number,
            VisitorKind.WEB,
            f"{text} {number}",
            name=f"Visitor {number}",
            contact=f"v{number}@example.org",
            page=f"https://shop.example/item/{number}",
        )
        for number in range(1, count + 1)
    )
    await ArchiveRepository(desk.db).write_batch(ArchiveBatch(records=records))


def items(iq: Any) -> list[dict[str, str]]:
    """The list's rows, each as {column: value}."""
    assert iq["type"] == "result", f"expected a result, got {iq}"
    form = iq["command"].xml.find(f"{FORMS}x")
    rows = []
    for item in form.findall(f"{FORMS}item"):
        row = {}
        for field in item.findall(f"{FORMS}field"):
            value = field.find(f"{FORMS}value")
            row[field.get("var")] = (value.text or "") if value is not None else ""
        rows.append(row)
    return rows


def ids(iq: Any) -> list[int]:
    return [int(row["id"]) for row in items(iq)]


def field(iq: Any, var: str) -> str:
    assert iq["type"] == "result", f"expected a result, got {iq}"
    value = iq["command"]["form"]["values"][var]
    return "\n".join(value) if isinstance(value, list) else str(value)


def vars_of(iq: Any) -> set[str]:
    form = iq["command"].xml.find(f"{FORMS}x")
    return {field.get("var") for field in form.findall(f"{FORMS}field")}


def note(iq: Any) -> str:
    assert iq["type"] == "result", f"expected a result, got {iq}"
    assert iq["command"]["status"] == "completed"
    ((kind, text),) = iq["command"]["notes"]
    assert kind == "info"
    return str(text)


async def run(client: Client, desk: Desk, slug: str = "acme", **kw: Any) -> Any:
    return await client.run_command(desk.desk_jid(slug), "feedback", **kw)


async def test_open_feedback_pages_newest_first_and_all_on_request(desk: Desk) -> None:
    await seed(desk, 1, 25)
    await desk.db.execute("UPDATE feedback SET done_at = NOW(6) WHERE number IN (3, 4)")
    alice, bob, *_ = await staff(desk)
    first = await run(alice, desk)
    assert ids(first) == list(range(25, 5, -1))
    assert items(first)[0] == {
        "id": "25",
        "received": "2027-01-15 08:00:25 UTC",
        "name": "Visitor 25",
        "contact": "v25@example.org",
        "page": "https://shop.example/item/25",
        "first_words": "words of feedback 25",
    }
    sessionid = first["command"]["sessionid"]
    assert "next" in first["command"]["actions"] and "prev" not in first["command"]["actions"]
    second = await run(alice, desk, action="next", sessionid=sessionid)
    assert ids(second) == [5, 2, 1]  # 3 and 4 are done
    assert "next" not in second["command"]["actions"] and "prev" in second["command"]["actions"]
    assert ids(await run(alice, desk, action="prev", sessionid=sessionid)) == ids(first)
    everything = await run(alice, desk, action="next", sessionid=sessionid, values={"state": "all"})
    assert ids(everything) == list(range(25, 5, -1))  # a new filter starts at its first page
    assert ids(await run(alice, desk, action="next", sessionid=sessionid)) == [5, 4, 3, 2, 1]
    # a plain operator reads the same: feedback is the site's, not one operator's
    assert ids(await run(bob, desk)) == list(range(25, 5, -1))
    # picking one by its id from the list shows it whole; `prev` goes back to that page
    started = await run(bob, desk)
    bobs = started["command"]["sessionid"]
    assert ids(await run(bob, desk, action="next", sessionid=bobs)) == [5, 2, 1]
    one = await run(bob, desk, action="complete", sessionid=bobs, values={"feedback": "5"})
    assert field(one, "text") == "words of feedback 5"
    assert field(one, "name") == "Visitor 5" and field(one, "contact") == "v5@example.org"
    assert field(one, "page") == "https://shop.example/item/5"
    assert field(one, "received") == "2027-01-15 08:00:05 UTC via the web form"
    assert field(one, "state") == "open" and "done" in vars_of(one)
    assert set(one["command"]["actions"]) == {"prev", "complete"}
    assert ids(await run(bob, desk, action="prev", sessionid=bobs)) == [5, 2, 1]
    done_one = await run(bob, desk, values={"feedback": "3"})  # or its number, straight away
    assert field(done_one, "state").startswith("done 20") and "done" not in vars_of(done_one)
    sessionid = done_one["command"]["sessionid"]  # (it replaced Bob's earlier session here)
    finished = await run(bob, desk, action="complete", sessionid=sessionid)
    assert finished["command"]["status"] == "completed"  # read, not marked
    assert (await desk.rows("SELECT COUNT(*) FROM feedback WHERE done_at IS NULL")) == [(23,)]


async def test_hostile_and_very_long_feedback_is_shown_as_plain_text(desk: Desk) -> None:
    hostile = (
        f"<script>alert(1)</script> <b>bold</b> &amp; {RLO}txt.exe{PDF} ]]> '\"\n"
        "'); DROP TABLE feedback; --\n\x01 a control character"
    )
    long_text = "\n".join(f"line {n}: " + "слово & <tag> " * 20 for n in range(1, 121))
    records = (
        FeedbackLeft(
            1, 1, LEFT_AT, VisitorKind.WEB, hostile, name=f"Ann{RLO}\n<i>x</i>", page="<a href=x>"
        ),
        FeedbackLeft(1, 2, LEFT_AT + 1, VisitorKind.XMPP, long_text, visitor="v@example.org"),
    )
    await ArchiveRepository(desk.db).write_batch(ArchiveBatch(records=records))
    alice, *_ = await staff(desk)
    listed = items(await run(alice, desk))
    assert listed[1]["name"] == "Ann <i>x</i>" and RLO not in listed[1]["first_words"]
    assert "\n" not in listed[1]["first_words"]
    one = await run(alice, desk, values={"feedback": "1"})
    assert field(one, "text") == hostile.replace("\x01", "\ufffd")  # the text, as text
    assert field(one, "name") == "Ann <i>x</i>" and field(one, "page") == "<a href=x>"
    # the whole long text, in pages each of which stays under 16 KB
    iq = await run(alice, desk, values={"feedback": "2"})
    sessionid, pages = iq["command"]["sessionid"], [field(iq, "text")]
    assert field(iq, "visitor") == "v@example.org"
    while "next" in iq["command"]["actions"]:
        assert len(str(iq).encode()) < 16 * 1024
        iq = await run(alice, desk, action="next", sessionid=sessionid)
        pages.append(field(iq, "text"))
    assert len(pages) > 3
    assert "\n".join(pages) == long_text
    assert field(iq, "state") == "open"  # every page has the details and the done field
    # the stream survived all that: the desk still answers
    assert ids(await run(alice, desk)) == [2, 1]


async def test_marking_done_is_stored_listed_and_stops_the_reminders(
    desk: Desk, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await desk.admin.set_site("acme", feedback_changes(feedback=True, feedback_emails="none"))
    carol_jid = desk.user("carol")
    await desk.add_operator("acme", carol_jid, "Carol")  # offline until the end
    alice, bob, *_ = await staff(desk)
    assert await leave(desk, "Please call me back") == 1
    assert await leave(desk, "Is the anvil in stock?") == 2
    await alice.expect_from(desk.desk_jid(), "Feedback 1 for")  # online when it was left
    await alice.expect_from(desk.desk_jid(), "Feedback 2 for")
    caplog.set_level(logging.INFO, logger="component.xmpp.adhoc_feedback")

    listed = await run(bob, desk)  # no flush by hand: the command sees feedback just left
    assert ids(listed) == [2, 1]
    one = await run(
        bob, desk, action="next", sessionid=listed["command"]["sessionid"], values={"feedback": "1"}
    )
    assert field(one, "text") == "Please call me back"
    marked = await run(
        bob, desk, action="complete", sessionid=one["command"]["sessionid"], values={"done": "1"}
    )
    assert note(marked) == "feedback 1 of acme marked done"
    rows = await desk.rows("SELECT number, done_at IS NOT NULL, done_by FROM feedback")
    assert sorted(rows) == [(1, 1, desk.user("bob")), (2, 0, None)]
    assert f"feedback acme.1 marked done by {desk.user('bob')}" in caplog.text
    listed_open = ok(
        write_config(desk, tmp_path / "config.yaml"), "feedback", "list", "acme", "--open"
    )
    assert [line.split("\t")[0] for line in listed_open.splitlines()] == ["2"]
    assert ids(await run(alice, desk)) == [2]

    # again, from an admin who still had it open: a clear note, nothing changes
    again = await run(alice, desk, values={"feedback": "1", "done": "true"})
    assert note(again).startswith("feedback 1 of acme was done already (done 20")
    assert note(again).endswith(f"by {desk.user('bob')})")
    assert sorted(await desk.rows("SELECT number, done_by FROM feedback")) == [
        (1, desk.user("bob")),
        (2, None),
    ]

    carol = await desk.operator_online(carol_jid)  # reminded of the open one only
    assert "Is the anvil in stock?" in (await carol.expect_from(desk.desk_jid(), "Feedback 2")).body
    await expect_no_more(carol, seconds=1.0)


async def test_sites_never_see_each_others_feedback_and_strangers_are_refused(desk: Desk) -> None:
    await seed(desk, 1, 3, text="acme's private words")
    alice, bob, mallory, eve = await staff(desk)  # adds globex (site 2) with Mallory
    await seed(desk, 2, 1, text="globex's words")
    assert "feedback" in {node for node, _ in await bob.commands(desk.desk_jid())}
    for outsider in (mallory, eve):
        listed = [node for node, _ in await outsider.commands(desk.desk_jid())]
        assert "feedback" not in listed
        assert condition(await run(outsider, desk)) == "forbidden"
        guessed = await run(outsider, desk, values={"feedback": "2", "done": "1"})
        assert condition(guessed) == "forbidden"
    assert "feedback" not in {node for node, _ in await eve.commands(desk.desk_jid("globex"))}
    # at her own desk Mallory sees globex's only; acme's numbers there look missing
    own = await run(mallory, desk, "globex")
    assert ids(own) == [1] and "globex's words" in items(own)[0]["first_words"]
    guessed = await run(mallory, desk, "globex", values={"feedback": "2"})
    missing = await run(mallory, desk, "globex", values={"feedback": "99"})
    assert condition(guessed) == condition(missing) == "item-not-found"
    assert guessed["error"]["text"] == missing["error"]["text"].replace("99", "2")
    assert "acme" not in guessed["error"]["text"]
    # Alice marking "1" at acme marks acme's 1, never globex's
    assert note(await run(alice, desk, values={"feedback": "1", "done": "1"})).endswith("done")
    assert await desk.rows("SELECT site_id, number FROM feedback WHERE done_at IS NOT NULL") == [
        (1, 1)
    ]
    # bad input: a clear error, nothing changed
    assert condition(await run(alice, desk, values={"state": "closed"})) == "bad-request"
    assert condition(await run(alice, desk, values={"feedback": "x"})) == "item-not-found"
    assert condition(await run(alice, desk, values={"feedback": "1" * 2000})) == "not-acceptable"


async def test_someone_elses_feedback_session_is_forbidden(desk: Desk) -> None:
    await seed(desk, 1, 2)
    alice, bob, mallory, eve = await staff(desk)
    for values in (None, {"feedback": "2"}):  # the list, then one feedback read
        started = await run(alice, desk, values=values)  # (ends Alice's earlier one here)
        sessionid = started["command"]["sessionid"]
        for thief in (bob, mallory, eve):
            stolen = await run(
                thief, desk, action="complete", sessionid=sessionid, values={"done": "1"}
            )
            assert condition(stolen) == "forbidden"
    assert await desk.rows("SELECT COUNT(*) FROM feedback WHERE done_at IS NOT NULL") == [(0,)]
    # the owner's session goes on: back to the list
    assert ids(await run(alice, desk, action="prev", sessionid=sessionid)) == [2, 1]
