"""profanity 0.13, a terminal client written elsewhere, runs the desk's archive commands as a site
admin would: `/cmd list` shows them, `/cmd exec recent` renders the recent chats, `/cmd exec
search` asks for a query that profanity's form commands fill in and submit, the matching chat
shows, and picking it opens its transcript. profanity shows no reported/item table: the rows it
shows are the "Open chat" list's options. Its screens go to
test-artifacts/profanity-adhoc/archive/."""

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.helpdesk_fixtures import Desk
from tests.integration.thirdparty import Profanity, artifacts_dir

pytestmark = pytest.mark.integration

FIRST_WORDS = {  # chat number: what its visitor wrote first
    1: "Parcel never arrived at my door",
    2: "Invoice looks doubled this month",
    3: "Where is the spring catalogue",
}


@pytest.fixture
def profanity(tmp_path: Path) -> Iterator[Profanity]:
    client = Profanity(tmp_path / "home").start()
    yield client
    client.stop()


async def seed_chats(desk: Desk) -> dict[int, str]:
    """Operator Alice (slixmpp) gets three chats from three slixmpp visitors; their names."""
    alice_jid = desk.user("alice")
    alice = await desk.operator_online(alice_jid)
    names = {}
    for number, words in FIRST_WORDS.items():
        visitor = await desk.client(desk.user(f"visitor{number}"))
        visitor.send(desk.desk_jid(), words)
        await alice.expect_from(desk.chat_jid(number), words)
        names[number] = desk.user(f"visitor{number}").split("@")[0]
    return names


async def log_in(desk: Desk, profanity: Profanity, jid: str) -> str:
    await profanity.wait_for("Type '/help'")
    server = desk.ejabberd
    profanity.type(f"/connect {jid} server {server.host} port {server.c2s_port} tls trust")
    await profanity.wait_for("Enter password")
    profanity.type("secret")
    await profanity.wait_for("logged in successfully")
    # the desk's subscription request opens the desk's window, where /cmd answers then go
    return await profanity.wait_for(f"Received authorization request from {desk.desk_jid()}")


async def list_commands(profanity: Profanity, desk_jid: str) -> str:
    """`/cmd list` in the desk's window. profanity refuses it ("Server does not support ad hoc
    commands", in its console) until its service discovery after login is done: ask again."""
    profanity.type(f"/msg {desk_jid}")
    deadline = time.monotonic() + 15
    while True:
        profanity.type(f"/cmd list {desk_jid}")
        try:
            return await profanity.wait_for("Ad hoc commands:", timeout=1.0)
        except AssertionError:
            if time.monotonic() > deadline:
                raise


def listed(screen: str) -> list[str]:
    """The command names under the last "Ad hoc commands:" of the screen."""
    lines = screen[screen.rindex("Ad hoc commands:") :].splitlines()[1:]
    found = []
    for line in lines:
        name = line.partition(" !   ")[2].strip()
        if not name:
            break
        found.append(name)
    return found


def tag_of(screen: str, label: str) -> str:
    """profanity's tag (`field1`, ...) of the form field labelled `label` on the screen."""
    match = re.search(rf"\[(field\d+)\] {re.escape(label)}\b", screen)
    assert match, f"no field {label!r} on the screen:\n{screen}"
    return match.group(1)


async def test_profanity_runs_recent_and_search_at_the_desk(
    tls_desk: Desk, profanity: Profanity
) -> None:
    shots = artifacts_dir("profanity-adhoc/archive")
    desk = tls_desk.desk_jid()
    pat = tls_desk.user("pat")
    await tls_desk.add_operator("acme", tls_desk.user("alice"), "Alice")
    await tls_desk.register(pat)
    await tls_desk.admin.add_operator("acme", pat, "Pat", 0, 0, admin=True)
    await tls_desk.start_component()
    visitors = await seed_chats(tls_desk)

    (shots / "1-logged-in.txt").write_text(await log_in(tls_desk, profanity, pat))
    commands = await list_commands(profanity, desk)
    (shots / "2-commands.txt").write_text(commands)
    assert {"recent", "transcript", "search", "settings", "operators"} <= set(listed(commands))

    profanity.type(f"/cmd exec recent {desk}")
    recent = await profanity.wait_for(f"1: {visitors[1]} — {FIRST_WORDS[1]}")
    (shots / "3-recent.txt").write_text(recent)
    assert "Form title: Recent chats of Acme Inc. — page 1" in recent
    for number, words in FIRST_WORDS.items():
        assert f"[{number}] {number}: {visitors[number]} — {words}" in recent
    assert recent.index("[3] 3:") < recent.index("[2] 2:") < recent.index("[1] 1:")

    profanity.type(f"/cmd exec search {desk}")
    asked = await profanity.wait_for("Form title: Search this site's chats")
    (shots / "4-search-form.txt").write_text(asked)
    query = tag_of(asked, "Query")
    profanity.type(f"/{query} invoice")
    (shots / "5-query-set.txt").write_text(await profanity.wait_for("(required): invoice"))
    profanity.type("/form submit")
    found = await profanity.wait_for(f"[2] 2: {visitors[2]} — {FIRST_WORDS[2]}")
    (shots / "6-found.txt").write_text(found)
    assert "Form title: Search Acme Inc. for “invoice” — page 1" in found
    assert FIRST_WORDS[1] not in found and FIRST_WORDS[3] not in found

    profanity.type(f"/{tag_of(found, 'Open chat')} 2")  # the row picked opens its transcript
    profanity.type("/form submit")
    opened = await profanity.wait_for(f"Visitor: {FIRST_WORDS[2]}")
    (shots / "7-transcript.txt").write_text(opened)
    assert f"Chat acme.2 with {visitors[2]}" in opened
    assert f"Routing: assigned to {tls_desk.user('alice')}" in opened
    assert "Routing: Routing:" not in opened  # the stored explanation has its heading already
