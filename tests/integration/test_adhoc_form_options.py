"""Every list in every form the desk's ad-hoc commands send has options with a value and a value
among them (XEP-0004: an option carries exactly one value): profanity 0.13 crashes on an option
without one and shows no list whose value is missing. The "any" state and the "none" chat, sent
back as a client that returns the whole form does, filter nothing and open nothing."""

from __future__ import annotations

from typing import Any

from tests.integration.helpdesk_fixtures import Desk
from tests.integration.test_adhoc_archive import FORMS, numbers, seed, staff


def bad_lists(iq: Any) -> list[str]:
    """What is wrong with the list-single fields of the answer's form ([] when nothing)."""
    assert iq["type"] == "result", f"expected a result, got {iq}"
    form = iq["command"].xml.find(f"{FORMS}x")
    if form is None:
        return []
    wrong = []
    for field in form.findall(f"{FORMS}field"):
        if field.get("type") != "list-single":
            continue
        var = field.get("var")
        values = [(v.text or "") for v in field.findall(f"{FORMS}value")]
        options = [
            [(v.text or "") for v in option.findall(f"{FORMS}value")]
            for option in field.findall(f"{FORMS}option")
        ]
        wrong += [f"{var}: an option without one value" for o in options if len(o) != 1 or not o[0]]
        if options and (len(values) != 1 or [values[0]] not in options):
            wrong.append(f"{var}: value {values} is not one of its options")
    return wrong


async def test_every_list_has_valued_options_and_one_of_them_chosen(desk: Desk) -> None:
    await seed(desk, 3)
    alice, *_ = await staff(desk)
    listed = [node for node, _ in await alice.commands(desk.desk_jid())]
    assert {"recent", "search", "feedback", "settings", "operators"} <= set(listed)
    for node in listed:
        assert bad_lists(await alice.run_command(desk.desk_jid(), node)) == [], node
    found = await alice.run_command(desk.desk_jid(), "search", values={"query": "words"})
    assert numbers(found) == [3, 2, 1]
    assert bad_lists(found) == []


async def test_any_state_and_no_chat_sent_back_filter_and_open_nothing(desk: Desk) -> None:
    await seed(desk, 3)
    alice, *_ = await staff(desk)
    first = await alice.run_command(desk.desk_jid(), "recent")
    sessionid = first["command"]["sessionid"]
    again = await alice.run_command(
        desk.desk_jid(),
        "recent",
        sessionid=sessionid,
        values={"state": "any", "operator": "", "chat": "none"},
    )
    assert numbers(again) == [3, 2, 1]
    found = await alice.run_command(desk.desk_jid(), "search", values={"query": "words"})
    back = await alice.run_command(
        desk.desk_jid(),
        "search",
        sessionid=found["command"]["sessionid"],
        values={"query": "words", "mode": "natural", "chat": "none"},
    )
    assert numbers(back) == [3, 2, 1]
