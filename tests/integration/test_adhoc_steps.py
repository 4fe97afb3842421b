"""`search`, `feedback`, `settings` and `operators` at their limits, from real slixmpp operators
through the real ejabberd: two steps of one session sent at once, a client that submits the
whole form back, stored text XML 1.0 forbids, a mistyped answer, a new query sent with `next`,
an admin demoted in the middle of a session."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from component.admin import feedback_changes
from tests.integration import test_adhoc_settings as admin_tests
from tests.integration.helpdesk_fixtures import Desk
from tests.integration.test_adhoc_archive import condition, numbers, seed, staff, transcript
from tests.integration.test_adhoc_archive_limits import as_a_browser_submits
from tests.integration.test_adhoc_feedback import ids
from tests.integration.test_adhoc_feedback import seed as seed_feedback
from tests.integration.test_adhoc_search import add_chat, column
from tests.integration.test_adhoc_settings import fields, note, refusal, submit
from tests.integration.test_visitor_api import call

pytestmark = pytest.mark.integration


async def refunds(desk: Desk, chats: int = 45) -> None:
    for number in range(1, chats + 1):
        await add_chat(desk, "acme", number, desk.user("alice"), "2026-04-01", ["need a refund"])


# -- search ------------------------------------------------------------------------------------


async def test_search_next_from_a_whole_form_client_turns_the_page(desk: Desk) -> None:
    """A client that sends every field back (the list of rows as its first option) got the
    transcript of the top row on `next`; it gets the next page, and opens the row it chose."""
    await refunds(desk)
    alice, *_ = await staff(desk)
    first = await alice.run_command(desk.desk_jid(), "search", values={"query": "refund"})
    sessionid = first["command"]["sessionid"]
    second = await alice.run_command(
        desk.desk_jid(),
        "search",
        action="next",
        sessionid=sessionid,
        values=as_a_browser_submits(first),
    )
    assert numbers(second) == list(range(25, 5, -1))
    chosen = as_a_browser_submits(second) | {"chat": "7"}
    opened = await alice.run_command(
        desk.desk_jid(), "search", action="complete", sessionid=sessionid, values=chosen
    )
    assert "Chat acme.7 with acme visitor 7" in transcript(opened)


async def test_a_matching_line_xml_forbids_reads_as_a_replacement(desk: Desk) -> None:
    alice, *_ = await staff(desk)
    body = {"text": "ring \x07 the bell", "page": "https://shop.test/cart"}
    status, _ = await call(desk, "POST", "/api/v1/sites/acme/chats", body=body)
    assert status in (200, 201)
    await alice.expect_from(desk.chat_jid(1), "bell")
    found = await alice.run_command(desk.desk_jid(), "search", values={"query": "bell"})
    assert column(found, "line") == ["ring \ufffd the bell"]
    assert numbers(await alice.run_command(desk.desk_jid(), "recent")) == [1]  # stream is up


async def test_a_new_query_sent_with_next_starts_at_its_first_page(desk: Desk) -> None:
    """The form's default action is `next` while there is a next page: a changed query sent
    with it showed the new query's second page, its best twenty never seen."""
    await refunds(desk)
    await add_chat(desk, "acme", 46, desk.user("alice"), "2026-04-02", ["a broken anvil"])
    alice, *_ = await staff(desk)
    first = await alice.run_command(desk.desk_jid(), "search", values={"query": "anvil"})
    assert numbers(first) == [46]
    sessionid = first["command"]["sessionid"]
    other = await alice.run_command(
        desk.desk_jid(), "search", action="next", sessionid=sessionid, values={"query": "refund"}
    )
    assert numbers(other) == list(range(45, 25, -1))


async def test_a_new_recent_filter_sent_with_next_starts_at_its_first_page(desk: Desk) -> None:
    await seed(desk, 45)
    alice, *_ = await staff(desk)
    first = await alice.run_command(desk.desk_jid(), "recent")
    assert numbers(first) == list(range(45, 25, -1))
    filtered = await alice.run_command(
        desk.desk_jid(),
        "recent",
        action="next",
        sessionid=first["command"]["sessionid"],
        values={"state": "closed"},
    )
    assert numbers(filtered) == list(range(45, 25, -1))


async def test_a_mistyped_search_date_is_refused_and_the_session_goes_on(desk: Desk) -> None:
    await refunds(desk)
    alice, *_ = await staff(desk)
    first = await alice.run_command(desk.desk_jid(), "search", values={"query": "refund"})
    sessionid = first["command"]["sessionid"]
    turn = {"sessionid": sessionid}
    second = await alice.run_command(desk.desk_jid(), "search", action="next", **turn)
    assert numbers(second) == list(range(25, 5, -1))
    wrong = await alice.run_command(
        desk.desk_jid(), "search", action="execute", values={"from": "2026-13-01"}, **turn
    )
    assert condition(wrong) == "bad-request" and "from" in wrong["error"]["text"]
    again = await alice.run_command(desk.desk_jid(), "search", action="execute", **turn)
    assert numbers(again) == list(range(25, 5, -1))
    assert "prev" in again["command"]["actions"]
    back = await alice.run_command(desk.desk_jid(), "search", action="prev", **turn)
    on_one = await alice.run_command(desk.desk_jid(), "search", action="prev", **turn)
    assert numbers(back) == numbers(on_one) == list(range(45, 25, -1))  # prev on page 1: page 1


# -- feedback ----------------------------------------------------------------------------------


async def feedback(client: Any, desk: Desk, **kw: Any) -> Any:
    return await client.run_command(desk.desk_jid(), "feedback", **kw)


async def test_two_feedback_steps_sent_at_once_take_turns(desk: Desk) -> None:
    """Two `next`s sent without waiting both read the list's first page from the session and
    both showed page 2; a step sent right behind a `complete` was answered with a page of a
    session that had ended."""
    await seed_feedback(desk, 1, 45)
    alice, *_ = await staff(desk)
    first = await feedback(alice, desk)
    sessionid = first["command"]["sessionid"]
    both = await asyncio.gather(
        *(feedback(alice, desk, action="next", sessionid=sessionid) for _ in range(2))
    )
    assert sorted(ids(iq) for iq in both) == [[5, 4, 3, 2, 1], list(range(25, 5, -1))]
    ended = await asyncio.gather(
        feedback(alice, desk, action="complete", sessionid=sessionid),
        feedback(alice, desk, action="prev", sessionid=sessionid),
    )
    assert ended[0]["command"]["status"] == "completed"
    assert condition(ended[1]) == "bad-request"


async def test_feedback_next_from_a_whole_form_client_turns_the_page(desk: Desk) -> None:
    await seed_feedback(desk, 1, 25)
    alice, *_ = await staff(desk)
    first = await feedback(alice, desk)
    sessionid = first["command"]["sessionid"]
    second = await feedback(
        alice, desk, action="next", sessionid=sessionid, values=as_a_browser_submits(first)
    )
    assert ids(second) == [5, 4, 3, 2, 1]
    finished = await feedback(
        alice, desk, action="complete", sessionid=sessionid, values=as_a_browser_submits(second)
    )
    assert finished["command"]["status"] == "completed"  # nothing picked: nothing opened
    assert await desk.rows("SELECT COUNT(*) FROM feedback WHERE done_at IS NULL") == [(25,)]


async def test_a_mistyped_feedback_answer_is_refused_and_the_session_goes_on(desk: Desk) -> None:
    await seed_feedback(desk, 1, 25)
    alice, *_ = await staff(desk)
    first = await feedback(alice, desk)
    sessionid = first["command"]["sessionid"]
    assert ids(await feedback(alice, desk, action="next", sessionid=sessionid)) == [5, 4, 3, 2, 1]
    for wrong, refused in (
        ({"state": "closed"}, "bad-request"),
        ({"feedback": "99"}, "item-not-found"),
        ({"feedback": "x"}, "item-not-found"),
    ):
        answer = await feedback(alice, desk, action="execute", sessionid=sessionid, values=wrong)
        assert condition(answer) == refused, wrong
    again = await feedback(alice, desk, action="execute", sessionid=sessionid)
    assert ids(again) == [5, 4, 3, 2, 1]
    past_the_end = await feedback(alice, desk, action="next", sessionid=sessionid)
    assert ids(past_the_end) == [5, 4, 3, 2, 1]


# -- settings and operators --------------------------------------------------------------------


async def test_a_mistyped_setting_is_refused_and_the_form_can_be_sent_again(desk: Desk) -> None:
    """A bad value ended the session: the admin had to start over and fill the form again."""
    alice, *_ = await admin_tests.staff(desk)
    form = await alice.run_command(desk.desk_jid(), "settings")
    condition_, text = refusal(await submit(alice, desk.desk_jid(), form, answer_timeout="0"))
    assert condition_ == "bad-request" and text.startswith("answer_timeout:")
    done = await submit(alice, desk.desk_jid(), form, answer_timeout="90")
    assert "answer_timeout" in note(done)
    assert await desk.rows("SELECT answer_timeout FROM sites WHERE slug = 'acme'") == [(90,)]


async def test_a_mistyped_operator_jid_is_refused_and_the_table_stays(desk: Desk) -> None:
    alice, *_ = await admin_tests.staff(desk)
    first = await alice.run_command(desk.desk_jid(), "operators")
    wrong = await submit(alice, desk.desk_jid(), first, "next", action="edit", jid="nobody@x.test")
    assert refusal(wrong)[0] == "bad-request"
    edit = await submit(alice, desk.desk_jid(), first, "next", action="edit", jid=desk.user("bob"))
    assert fields(edit)["name"] == "Bob"


async def test_two_completes_of_one_admin_session_sent_at_once_take_turns(desk: Desk) -> None:
    """Both completes of one settings form were applied (and logged); both removes of one
    operators session ran at once. The second is now told the session ended."""
    alice, *_ = await admin_tests.staff(desk)
    form = await alice.run_command(desk.desk_jid(), "settings")
    both = await asyncio.gather(
        submit(alice, desk.desk_jid(), form, answer_timeout="90"),
        submit(alice, desk.desk_jid(), form, answer_timeout="120"),
    )
    assert "answer_timeout" in note(both[0])
    assert refusal(both[1])[0] == "bad-request" and "ended" in refusal(both[1])[1]
    assert await desk.rows("SELECT answer_timeout FROM sites WHERE slug = 'acme'") == [(90,)]
    first = await alice.run_command(desk.desk_jid(), "operators")
    removes = await asyncio.gather(
        *(
            submit(alice, desk.desk_jid(), first, "next", action="remove", jid=desk.user("bob"))
            for _ in range(2)
        )
    )
    assert "removed" in note(removes[0])
    assert refusal(removes[1])[0] == "bad-request" and "ended" in refusal(removes[1])[1]


async def test_an_admin_demoted_mid_session_is_forbidden_and_changes_nothing(desk: Desk) -> None:
    alice, bob, *_ = await admin_tests.staff(desk)
    promote = await admin_tests.pick(alice, desk, "edit", desk.user("bob"))
    assert "admin" in note(await submit(alice, desk.desk_jid(), promote, admin=True))
    form = await alice.run_command(desk.desk_jid(), "settings")
    demote = await admin_tests.pick(bob, desk, "edit", desk.user("alice"))
    assert "admin" in note(await submit(bob, desk.desk_jid(), demote, admin=False))
    late = await submit(alice, desk.desk_jid(), form, answer_timeout="90")
    assert refusal(late)[0] == "forbidden"
    assert await desk.rows("SELECT answer_timeout FROM sites WHERE slug = 'acme'") == [(60,)]


async def test_a_site_with_ten_long_feedback_addresses_can_still_be_set(desk: Desk) -> None:
    """`site set` keeps up to ten addresses (2000 characters): the form showed them as one
    value over 1000 characters, and every form sent back, whatever it changed, was refused."""
    addresses = ", ".join(f"{'x' * 60}{n}@{'d' * 40}.example.org" for n in range(10))
    await desk.admin.set_site("acme", feedback_changes(feedback=True, feedback_emails=addresses))
    alice, *_ = await admin_tests.staff(desk)
    form = await alice.run_command(desk.desk_jid(), "settings")
    assert fields(form)["feedback_email"] == addresses
    done = await submit(alice, desk.desk_jid(), form, answer_timeout="90")
    assert "answer_timeout" in note(done) and "feedback_email" not in note(done)
    assert await desk.rows("SELECT answer_timeout FROM sites WHERE slug = 'acme'") == [(90,)]
    long_jid = await admin_tests.pick(alice, desk, "add", "x" * 5000 + "@example.org")
    assert refusal(long_jid)[0] == "not-acceptable"


async def test_two_admins_removing_each_other_at_once_leave_one_admin(desk: Desk) -> None:
    """Each change checked the site's admins, then wrote: two admins demoting (or removing)
    each other at once both saw two admins, and the site was left with none."""
    alice, bob, *_ = await admin_tests.staff(desk)
    promote = await admin_tests.pick(alice, desk, "edit", desk.user("bob"))
    assert "admin" in note(await submit(alice, desk.desk_jid(), promote, admin=True))
    for step in ("edit", "remove"):
        if step == "edit":
            forms = await asyncio.gather(
                admin_tests.pick(alice, desk, "edit", desk.user("bob")),
                admin_tests.pick(bob, desk, "edit", desk.user("alice")),
            )
            sent = (
                submit(who, desk.desk_jid(), form, admin=False)
                for who, form in zip((alice, bob), forms, strict=True)
            )
        else:
            tables = await asyncio.gather(
                *(who.run_command(desk.desk_jid(), "operators") for who in (alice, bob))
            )
            sent = (
                submit(who, desk.desk_jid(), table, "next", action="remove", jid=desk.user(whom))
                for who, table, whom in zip((alice, bob), tables, ("bob", "alice"), strict=True)
            )
        answers = await asyncio.gather(*sent)
        kinds = sorted(answer["type"] for answer in answers)
        assert kinds == ["error", "result"], (step, answers)
        refused = next(answer for answer in answers if answer["type"] == "error")
        assert refusal(refused)[0] == "not-allowed" and "last admin" in refusal(refused)[1]
        admins = await desk.rows(
            "SELECT jid FROM operators WHERE is_admin = 1"
            " AND site_id = (SELECT id FROM sites WHERE slug = 'acme')"
        )
        assert len(admins) == 1, (step, admins)
        if step == "edit":  # both admins again, for the removes
            survivor = alice if admins[0][0] == desk.user("alice") else bob
            other = "bob" if survivor is alice else "alice"
            again = await admin_tests.pick(survivor, desk, "edit", desk.user(other))
            assert "admin" in note(await submit(survivor, desk.desk_jid(), again, admin=True))


async def test_a_megabyte_answer_is_refused_and_the_session_goes_on(desk: Desk) -> None:
    await refunds(desk, 25)
    alice, *_ = await staff(desk)
    first = await alice.run_command(desk.desk_jid(), "search", values={"query": "refund"})
    turn = {"sessionid": first["command"]["sessionid"]}
    huge = await alice.run_command(
        desk.desk_jid(), "search", action="next", values={"query": "x" * 1_000_000}, **turn
    )
    assert condition(huge) == "not-acceptable"
    again = await alice.run_command(desk.desk_jid(), "search", action="next", **turn)
    assert numbers(again) == [5, 4, 3, 2, 1]
    empty = await alice.run_command(desk.desk_jid(), "search", action="execute", values={}, **turn)
    assert numbers(empty) == [5, 4, 3, 2, 1]  # an empty form changes nothing


async def test_a_transcript_page_sent_back_whole_turns_the_page(desk: Desk) -> None:
    """A client that sends the form back sends the page's text too (a text-multi of up to 12 KB):
    it was refused as longer than 1000 characters, so such a client could never turn a page."""
    await seed(desk, 1, long_chat=1)
    alice, *_ = await staff(desk)
    first = await alice.run_command(desk.desk_jid(), "transcript", values={"chat": "1"})
    sessionid = first["command"]["sessionid"]
    second = await alice.run_command(
        desk.desk_jid(),
        "transcript",
        action="next",
        sessionid=sessionid,
        values=as_a_browser_submits(first),
    )
    assert transcript(second) != transcript(first)
    assert "line 1 " not in transcript(second)
