"""`recent` and `transcript` at their limits, from real slixmpp operators through the real
ejabberd: stored text XML 1.0 forbids, a page of characters that escape long, two steps of one
session sent at once."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.integration.helpdesk_fixtures import Desk
from tests.integration.test_adhoc_archive import condition, numbers, seed, staff, transcript
from tests.integration.test_visitor_api import call


async def test_text_xml_forbids_reads_as_a_replacement_and_the_stream_stays_up(
    desk: Desk,
) -> None:
    alice, *_ = await staff(desk)
    body = {"text": "ring \x07 the \x0b bell", "page": "https://shop.test/cart"}
    status, _ = await call(desk, "POST", "/api/v1/sites/acme/chats", body=body)
    assert status in (200, 201)
    await alice.expect_from(desk.chat_jid(1), "bell")
    listed = await alice.run_command(desk.desk_jid(), "recent")
    assert numbers(listed) == [1]
    text = transcript(await alice.run_command(desk.desk_jid(), "transcript", values={"chat": "1"}))
    assert "ring \ufffd the \ufffd bell" in text
    assert numbers(await alice.run_command(desk.desk_jid(), "recent")) == [1]


async def test_another_sites_chat_number_is_no_chat_here(desk: Desk) -> None:
    """`globex.1` typed at acme's desk names no chat of acme's (it read acme.1)."""
    await seed(desk, 1)
    alice, *_ = await staff(desk)
    typed = await alice.run_command(desk.desk_jid(), "transcript", values={"chat": "globex.1"})
    assert condition(typed) == "item-not-found"
    assert "acme.1" in transcript(
        await alice.run_command(desk.desk_jid(), "transcript", values={"chat": "acme.1"})
    )


async def test_a_page_of_quotes_stays_under_16_kb(desk: Desk) -> None:
    """Quotes and apostrophes go out as `&quot;` and `&apos;`: a page of them was near 60 KB."""
    await seed(desk, 1)
    for seq in range(4, 12):
        await desk.db.execute(
            "INSERT INTO messages (site_id, chat_number, seq, at, sender, author, body)"
            " SELECT id, 1, %s, NOW(6), 'visitor', 'v1@example.org', %s FROM sites"
            " WHERE slug = 'acme'",
            (seq, f"quote {seq} " + "\"'" * 1000),
        )
    alice, *_ = await staff(desk)
    iq = await alice.run_command(desk.desk_jid(), "transcript", values={"chat": "1"})
    pages, sessionid = [transcript(iq)], iq["command"]["sessionid"]
    while True:
        assert len(str(iq).encode()) < 16 * 1024
        if "next" not in iq["command"]["actions"]:
            break
        iq = await alice.run_command(
            desk.desk_jid(), "transcript", action="next", sessionid=sessionid
        )
        pages.append(transcript(iq))
    whole = "\n".join(pages)
    assert all(f"quote {seq} " in whole for seq in range(4, 12))


def title(iq: Any) -> str:
    assert iq["type"] == "result", f"expected a result, got {iq}"
    return str(iq["command"]["form"]["title"])


async def test_two_steps_of_one_session_sent_at_once_take_turns(desk: Desk) -> None:
    """A client that sends `next` twice without waiting gets the next two pages, one each (both
    steps read the session before either stored its page, and both showed page 2); a cancel
    sent right behind a step comes after it."""
    await seed(desk, 1, long_chat=1)
    alice, *_ = await staff(desk)
    first = await alice.run_command(desk.desk_jid(), "transcript", values={"chat": "1"})
    sessionid = first["command"]["sessionid"]
    assert title(first) == "Chat acme.1 — page 1"
    both = await asyncio.gather(
        *(
            alice.run_command(desk.desk_jid(), "transcript", action="next", sessionid=sessionid)
            for _ in range(2)
        )
    )
    assert sorted(title(iq)[-6:] for iq in both) == ["page 2", "page 3"]
    ended = await asyncio.gather(
        alice.run_command(desk.desk_jid(), "transcript", action="next", sessionid=sessionid),
        alice.run_command(desk.desk_jid(), "transcript", action="cancel", sessionid=sessionid),
    )
    assert title(ended[0]).endswith("page 4")
    assert ended[1]["command"]["status"] == "canceled"


def as_a_browser_submits(iq: Any) -> dict[str, str]:
    """The form's fields as a web client (Converse.js) submits them: a list-single with nothing
    chosen is an HTML select, whose value is its first option."""
    values = {}
    for field in iq["command"]["form"]["fields"]:
        options = [option["value"] for option in field["options"]]
        value = field["value"]
        values[field["var"]] = value if value else (options[0] if options else "")
    return values


async def test_next_from_a_client_that_submits_the_whole_form_turns_the_page(desk: Desk) -> None:
    """A client that sends back every field (a list-single as its first option) turns the page
    on `next` (it got the transcript of the newest chat), and opens the row it chose."""
    await seed(desk, 25)
    alice, *_ = await staff(desk)
    first = await alice.run_command(desk.desk_jid(), "recent")
    assert numbers(first) == list(range(25, 5, -1))
    sessionid = first["command"]["sessionid"]
    second = await alice.run_command(
        desk.desk_jid(),
        "recent",
        action="next",
        sessionid=sessionid,
        values=as_a_browser_submits(first),
    )
    assert numbers(second) == [5, 4, 3, 2, 1]
    chosen = as_a_browser_submits(second) | {"chat": "3"}
    opened = await alice.run_command(
        desk.desk_jid(), "recent", action="complete", sessionid=sessionid, values=chosen
    )
    assert "Chat acme.3 with Visitor 3" in transcript(opened)


async def test_paging_on_after_the_text_before_changed_skips_nothing(desk: Desk) -> None:
    """Alice renamed to `A` while Bob reads page 1: every step cut the whole chat into pages
    again, her shorter lines pulled the top of page 2 onto page 1, and that line was never
    shown. A page now starts right after the one shown before it."""
    await seed(desk, 1, long_chat=1)
    alice, *_ = await staff(desk)
    first = await alice.run_command(desk.desk_jid(), "transcript", values={"chat": "1"})
    pages, sessionid = [transcript(first)], first["command"]["sessionid"]
    await desk.admin.set_operator("acme", desk.user("alice"), {"name": "A"})
    site = desk.service.directory.site("acme")
    assert site is not None

    def renamed() -> bool:
        return (
            getattr(desk.service.directory.operator(site.id, desk.user("alice")), "name", "") == "A"
        )

    await desk.wait_for(renamed)
    iq = first
    while "next" in iq["command"]["actions"]:
        iq = await alice.run_command(
            desk.desk_jid(), "transcript", action="next", sessionid=sessionid
        )
        pages.append(transcript(iq))
    whole = "\n".join(pages)
    assert [seq for seq in range(1, 401) if f"line {seq} " not in whole] == []
    assert "] A: words of chat 1 line 400 " in whole


async def test_a_mistyped_answer_is_refused_and_the_session_goes_on(desk: Desk) -> None:
    """A state that is none, or a chat number that names no chat, is refused with its reason;
    the session stays where it was (it ended, the operator's page and filters with it)."""
    await seed(desk, 25)
    alice, *_ = await staff(desk)
    first = await alice.run_command(desk.desk_jid(), "recent")
    sessionid = first["command"]["sessionid"]
    second = await alice.run_command(desk.desk_jid(), "recent", action="next", sessionid=sessionid)
    assert numbers(second) == [5, 4, 3, 2, 1]
    for wrong, refused in (({"state": "bogus"}, "bad-request"), ({"chat": "99"}, "item-not-found")):
        answer = await alice.run_command(
            desk.desk_jid(), "recent", action="execute", sessionid=sessionid, values=wrong
        )
        assert condition(answer) == refused
    again = await alice.run_command(
        desk.desk_jid(), "recent", action="execute", sessionid=sessionid
    )
    assert numbers(again) == [5, 4, 3, 2, 1]
