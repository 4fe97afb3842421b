"""`search` at the desk from real slixmpp operators through the real ejabberd over a MariaDB
FULLTEXT index: Russian and English words, a phrase, the operator and date filters, nothing found,
paging, SQL and HTML in the query as plain text, a malformed boolean query, picking a row, and two
sites with the same words (search never shows another site's text, nor others' chats to an
operator who sees only their own)."""

from __future__ import annotations

from typing import Any

from tests.integration.helpdesk_fixtures import Desk
from tests.integration.test_adhoc_archive import FORMS, condition, numbers, staff, transcript

CHATS = {  # number: (operator, day, lines)
    1: ("alice", "2026-01-10", ["Здравствуйте, мой заказ не пришёл", "order shipped yesterday"]),
    2: ("bob", "2026-02-15", ["The invoice is wrong", "Счёт неправильный, извините"]),
    3: ("alice", "2026-03-20", ["quick brown fox jumps", "a brown quick dog"]),
    4: ("bob", "2026-03-21", ["little tables' OR 1=1 -- drop", "<b>invoice</b> please\x01"]),
    5: ("alice", "2026-03-22", ["quick thinking on brown paper"]),
}


async def add_chat(
    desk: Desk, slug: str, number: int, operator: str, day: str, lines: list[str]
) -> None:
    """A closed chat of `slug`, its visitor writing `lines` on `day` (noon UTC)."""
    at = f"{day} 12:00:00"
    await desk.db.execute(
        "INSERT INTO chats (site_id, number, visitor, visitor_kind, visitor_name, state,"
        " operator_jid, opened_at, closed_at, route_reason) SELECT id, %s, %s, 'xmpp', %s,"
        " 'closed', %s, %s, %s, 'seeded' FROM sites WHERE slug = %s",
        (number, f"v{number}@{slug}.example", f"{slug} visitor {number}", operator, at, at, slug),
    )
    for seq, line in enumerate(lines, 1):
        await desk.db.execute(
            "INSERT INTO messages (site_id, chat_number, seq, at, sender, author, body)"
            " SELECT id, %s, %s, %s, 'visitor', %s, %s FROM sites WHERE slug = %s",
            (number, seq, at, f"v{number}@{slug}.example", line, slug),
        )


async def seed(desk: Desk) -> None:
    for number, (name, day, lines) in CHATS.items():
        await add_chat(desk, "acme", number, desk.user(name), day, lines)


async def search(client: Any, desk: Desk, slug: str = "acme", **values: str) -> Any:
    return await client.run_command(desk.desk_jid(slug), "search", values=values)


def column(iq: Any, var: str) -> list[str]:
    assert iq["type"] == "result", f"expected a result, got {iq}"
    form = iq["command"].xml.find(f"{FORMS}x")
    return [
        field.find(f"{FORMS}value").text or ""
        for item in form.findall(f"{FORMS}item")
        for field in item.findall(f"{FORMS}field")
        if field.get("var") == var
    ]


def notes(iq: Any) -> str:
    return " ".join(text for _, text in iq["command"]["notes"])


async def test_words_in_russian_and_english_a_phrase_and_boolean_mode(desk: Desk) -> None:
    await seed(desk)
    alice, *_ = await staff(desk)
    assert numbers(await search(alice, desk, query="заказ")) == [1]
    assert numbers(await search(alice, desk, query="ЗАКАЗ")) == [1]
    assert numbers(await search(alice, desk, query="счёт")) == [2]
    assert numbers(await search(alice, desk, query="пришел")) == [1]  # ё matches its plain twin
    assert numbers(await search(alice, desk, query="invoice")) == [4, 2]
    assert numbers(await search(alice, desk, query="quick brown")) == [5, 3]
    phrase = await search(alice, desk, query='"quick brown"', mode="boolean")
    assert numbers(phrase) == [3]
    assert column(phrase, "line") == ["quick brown fox jumps"]
    assert numbers(await search(alice, desk, query="+invoice -wrong", mode="boolean")) == [4]
    assert numbers(await search(alice, desk, query="thin*", mode="boolean")) == [5]
    found = await search(alice, desk, query="fox")
    assert column(found, "visitor") == ["acme visitor 3 (v3@acme.example)"]
    assert column(found, "operator") == [desk.user("alice")]
    assert column(found, "at") == ["2026-03-20 12:00:00 UTC"]


async def test_operator_and_date_filters(desk: Desk) -> None:
    await seed(desk)
    alice, *_ = await staff(desk)
    bobs = await search(alice, desk, query="invoice", operator=desk.user("bob").upper())
    assert numbers(bobs) == [4, 2]
    assert numbers(await search(alice, desk, query="invoice", operator=desk.user("alice"))) == []
    same_day = {"from": "2026-03-20", "to": "2026-03-20"}
    assert numbers(await search(alice, desk, query="quick", **same_day)) == [3]
    assert numbers(await search(alice, desk, query="quick", **{"from": "2026-03-21"})) == [5]
    assert numbers(await search(alice, desk, query="quick", to="2026-03-21")) == [3]
    for bad in (
        {"from": "2026-13-01"},
        {"to": "20.03.2026"},
        {"from": "2026-03-22", "to": "2026-03-21"},
        {"mode": "fuzzy"},
        {"operator": "not a jid@"},
        {"query": ""},
    ):
        answer = await search(alice, desk, **{"query": "quick", **bad})
        assert condition(answer) == "bad-request", bad
    assert numbers(await search(alice, desk, query="quick")) == [5, 3]  # nothing else changed


async def test_nothing_found_is_a_note_in_the_form(desk: Desk) -> None:
    await seed(desk)
    alice, *_ = await staff(desk)
    empty = await search(alice, desk, query="каталог")
    assert numbers(empty) == [] and empty["command"]["status"] == "executing"
    assert "Nothing found for “каталог”" in notes(empty)
    short = await search(alice, desk, query="ok")
    assert numbers(short) == [] and "shorter than 3 letters" in notes(short)
    asked = await alice.run_command(desk.desk_jid(), "search")
    form = asked["command"].xml.find(f"{FORMS}x")
    fields = {field.get("var"): field for field in form.findall(f"{FORMS}field")}
    assert {"query", "from", "to", "operator", "mode"} <= set(fields)
    assert fields["query"].find(f"{FORMS}required") is not None
    modes = fields["mode"].findall(f"{FORMS}option/{FORMS}value")
    assert {mode.text for mode in modes} == {"natural", "boolean"}


async def test_sql_and_html_in_the_query_are_just_text(desk: Desk) -> None:
    await seed(desk)
    alice, *_ = await staff(desk)
    before = await desk.rows("SELECT COUNT(*) FROM messages")
    injected = await search(alice, desk, query="tables' OR 1=1 --")
    assert numbers(injected) == [4]  # the word `tables`, not every chat
    html = await search(alice, desk, query="<b>invoice</b>")
    assert numbers(html) == [4, 2]
    assert column(html, "line")[0] == "<b>invoice</b> please\ufffd"  # what XML cannot carry
    for malformed in ("tables' OR 1=1 --", "word)", "+", '"open'):
        answer = await search(alice, desk, query=malformed, mode="boolean")
        if malformed == '"open':  # MariaDB reads an unclosed phrase to the end
            assert numbers(answer) == []
            continue
        assert condition(answer) == "bad-request", malformed
        assert "boolean" in answer["error"]["text"]
    assert await desk.rows("SELECT COUNT(*) FROM messages") == before
    assert numbers(await search(alice, desk, query="invoice")) == [4, 2]


async def test_picking_a_row_opens_its_transcript_and_pages_turn(desk: Desk) -> None:
    for number in range(1, 46):
        await add_chat(desk, "acme", number, desk.user("alice"), "2026-04-01", ["need a refund"])
    alice, *_ = await staff(desk)
    first = await search(alice, desk, query="refund")
    sessionid = first["command"]["sessionid"]
    assert numbers(first) == list(range(45, 25, -1)) and "next" in first["command"]["actions"]
    turn = {"sessionid": sessionid}
    second = await alice.run_command(desk.desk_jid(), "search", action="next", **turn)
    assert numbers(second) == list(range(25, 5, -1))
    third = await alice.run_command(desk.desk_jid(), "search", action="next", **turn)
    assert numbers(third) == [5, 4, 3, 2, 1] and "next" not in third["command"]["actions"]
    back = await alice.run_command(desk.desk_jid(), "search", action="prev", **turn)
    assert numbers(back) == list(range(25, 5, -1))
    opened = await alice.run_command(
        desk.desk_jid(), "search", action="complete", values={"chat": "7"}, **turn
    )
    assert "Chat acme.7 with acme visitor 7" in transcript(opened)
    assert "Visitor: need a refund" in transcript(opened)


async def test_search_never_shows_another_sites_text_nor_others_chats(desk: Desk) -> None:
    await seed(desk)
    alice, bob, mallory, eve = await staff(desk)
    for number, (_, day, lines) in CHATS.items():  # globex: the same words, its own people
        await add_chat(desk, "globex", number + 100, desk.user("mallory"), day, lines)
    words = ["invoice", "заказ", "quick", "tables' OR 1=1 --", "<b>invoice</b>"]
    for word in words:
        for who, seen in ((alice, {1, 2, 3, 4, 5}), (bob, {2, 4})):
            found = await search(who, desk, query=word)
            assert set(numbers(found)) <= seen, (word, numbers(found))
            assert all("acme" in visitor for visitor in column(found, "visitor"))
        theirs = await search(mallory, desk, slug="globex", query=word)
        assert numbers(theirs) and all(n > 100 for n in numbers(theirs))
        assert all("globex" in visitor for visitor in column(theirs, "visitor"))
    assert numbers(await search(bob, desk, query="quick")) == []  # Alice's chats only
    assert numbers(await search(bob, desk, query="invoice", operator=desk.user("alice"))) == []
    for stranger in (mallory, eve):
        assert condition(await search(stranger, desk, query="invoice")) == "forbidden"
        assert "search" not in [node for node, _ in await stranger.commands(desk.desk_jid())]
    assert "search" in [node for node, _ in await bob.commands(desk.desk_jid())]
    started = await search(alice, desk, query="invoice")
    for thief in (bob, mallory, eve):
        stolen = await thief.run_command(
            desk.desk_jid(), "search", action="next", sessionid=started["command"]["sessionid"]
        )
        assert condition(stolen) == "forbidden"
