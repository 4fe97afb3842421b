"""The full access matrix of the desk's ad-hoc commands, table-driven, over one real world (the
real ejabberd, MariaDB and component, slixmpp operators): every role by every command by listing in
disco, executing it, continuing the session its owner started; then search (and recent) run by
every role over two sites that hold the same words, never showing the other site's chats, nor a
plain operator's colleagues' chats.

Roles: `admin` (an admin of acme), `admin2` (the same admin from another client: the same account,
another resource), `operator` (a plain operator of acme), `other` (an admin of globex, nothing at
acme), `stranger` (nobody's operator). Addresses: acme's desk, an open chat of
acme held by its admin, one held by its plain operator.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
import pytest_asyncio
from slixmpp.exceptions import IqError

from tests.integration.clients import COMMANDS_NS, Client
from tests.integration.helpdesk_fixtures import Desk, desk_world
from tests.integration.test_adhoc_archive import numbers, transcript
from tests.integration.test_adhoc_feedback import seed as seed_feedback
from tests.integration.test_adhoc_search import add_chat, column

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

ROLES = ("admin", "admin2", "operator", "other", "stranger")

# Each cell: listing/execute/continue, for one role (column) and one command at one address (row).
#   listing   yes   listed in the commands node's disco#items, and its disco#info names it
#             no    not listed (and its disco#info is item-not-found)
#             F     the listing itself (and every disco#info) at that address is `forbidden`
#   execute   form  a result, `executing`, with a data form (then cancelled)
#             note  a result, `completed`, with its note
#             F     the error `forbidden`, and nothing at all changes
#   continue  the session the address's owner started (the desk's: acme's admin; a chat's: the
#             operator holding it), continued by this role:
#             own   the owner's own session goes on (here: cancel, `canceled`)
#             F     `forbidden` for next, complete and cancel alike; nothing changes, and the
#                   owner's session still works afterwards
#             gone  the command completed at once: no session is left, for the owner too
#                   (bad-request with XEP-0050's <bad-sessionid/>)
MATRIX = """
address   command     admin          admin2         operator       other          stranger
desk      status      yes/note/gone  yes/note/gone  yes/note/gone  no/F/gone      no/F/gone
desk      pause       yes/note/gone  yes/note/gone  yes/note/gone  no/F/gone      no/F/gone
desk      resume      yes/note/gone  yes/note/gone  yes/note/gone  no/F/gone      no/F/gone
desk      queue       yes/note/gone  yes/note/gone  yes/note/gone  no/F/gone      no/F/gone
desk      recent      yes/form/own   yes/form/F     yes/form/F     no/F/F         no/F/F
desk      transcript  yes/form/own   yes/form/F     yes/form/F     no/F/F         no/F/F
desk      search      yes/form/own   yes/form/F     yes/form/F     no/F/F         no/F/F
desk      feedback    yes/form/own   yes/form/F     yes/form/F     no/F/F         no/F/F
desk      settings    yes/form/own   yes/form/F     no/F/F         no/F/F         no/F/F
desk      operators   yes/form/own   yes/form/F     no/F/F         no/F/F         no/F/F
admins    info        yes/note/gone  yes/note/gone  no/F/gone      F/F/gone       F/F/gone
admins    transfer    yes/form/own   yes/form/F     no/F/F         F/F/F          F/F/F
admins    close       yes/note/gone  yes/note/gone  no/F/gone      F/F/gone       F/F/gone
operators info        no/F/gone      no/F/gone      yes/note/gone  F/F/gone       F/F/gone
operators transfer    no/F/F         no/F/F         yes/form/own   F/F/F          F/F/F
operators close       no/F/gone      no/F/gone      yes/note/gone  F/F/gone       F/F/gone
"""
"""Rows: `desk` is acme's desk JID, `admins` the chat JID of an open chat that acme's admin holds,
`operators` one that its plain operator holds."""
ADDRESSES = {"desk": "desk", "admins": "admin", "operators": "operator"}
"""Each address and its owner: the role whose sessions the others try to continue."""
ASPECTS = ("listing", "execute", "continue")
LISTING, EXECUTE, CONTINUE = {"yes", "no", "F"}, {"form", "note", "F"}, {"own", "F", "gone"}


def parse_matrix(text: str) -> dict[tuple[str, str, str], dict[str, str]]:
    """{(address, command, role): {aspect: expected}} from the table above."""
    header, *rows = [line.split() for line in text.strip().splitlines()]
    assert header[2:] == list(ROLES), header
    cells = {}
    for row in rows:
        address, command, *triples = row
        assert address in ADDRESSES and len(triples) == len(ROLES), row
        for role, triple in zip(ROLES, triples, strict=True):
            words = triple.split("/")
            assert words[0] in LISTING and words[1] in EXECUTE and words[2] in CONTINUE, row
            cells[address, command, role] = dict(zip(ASPECTS, words, strict=True))
    return cells


CELLS = parse_matrix(MATRIX)
COMMANDS_AT = {
    address: [command for (a, command, role) in CELLS if a == address and role == "admin"]
    for address in ADDRESSES
}
"""Every command of each address, in the table's order."""


def owner_of(address: str) -> str:
    return "admin" if address == "desk" else ADDRESSES[address]


# -- the world: built once for the module ------------------------------------------------------

WORDS = ["my invoice and заказ are missing", "please refund the parcel today"]
"""The lines of every seeded chat, in both sites alike."""
SEEDED = range(1, 7)
"""Closed chats 1-6 in both sites (the odd ones acme's admin's, the even ones its operator's);
globex has chat 40 too, a number acme never had."""


@dataclass
class World:
    desk: Desk
    people: dict[str, Client]
    jids: dict[str, str]
    chats: dict[str, int] = field(default_factory=dict)
    """Role → the number of the open acme chat it holds (`admin`, `operator`)."""
    visitors: int = 0

    def address(self, name: str) -> str:
        if name == "desk":
            return self.desk.desk_jid()
        return self.desk.chat_jid(self.chats[ADDRESSES[name]])

    def held(self, role: str) -> bool:
        site = self.desk.service.state.site("acme")
        entry = self.desk.service.chats.get(site.id, self.chats[role])
        return entry is not None and entry.chat.operator == self.jids[role]

    async def open_chat_for(self, role: str) -> None:
        """A new visitor's chat, which reaches `role`: everyone else of acme has no free slot
        (max 1 chat each)."""
        self.visitors += 1
        visitor = await self.desk.client(self.desk.user(f"visitor{self.visitors}"))
        words = f"hello from visitor {self.visitors}!"
        visitor.send(self.desk.desk_jid(), words)
        header = await self.people[role].expect(
            lambda r: r.sender.startswith("acme.") and words in r.body
        )
        self.chats[role] = int(header.sender.split("@")[0].removeprefix("acme."))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(ejabberd: Any, mariadb: Any) -> AsyncIterator[World]:
    tag = f"mx{secrets.token_hex(3)}"
    async with desk_world(ejabberd, mariadb, tag) as desk:
        await desk.admin.add_site("globex", "Globex")
        jids = {role: desk.user(role) for role in ROLES}
        jids["admin2"] = jids["admin"]  # the same account
        for role, slug, priority in (("admin", "acme", 10), ("operator", "acme", 5)):
            await desk.register(jids[role])
            await desk.admin.add_operator(
                slug, jids[role], role.title(), priority, 1, admin=role == "admin"
            )
        await desk.register(jids["other"])
        await desk.admin.add_operator("globex", jids["other"], "Other", 0, 0, admin=True)
        ids = dict(await desk.rows("SELECT slug, id FROM sites"))
        for slug in ("acme", "globex"):
            for number in SEEDED:
                holder = (
                    jids["other"] if slug == "globex" else jids[("operator", "admin")[number % 2]]
                )
                await add_chat(desk, slug, number, holder, f"2026-05-0{number}", WORDS)
            await seed_feedback(desk, ids[slug], 3, text=f"{slug} feedback")
        await add_chat(desk, "globex", 40, jids["other"], "2026-05-09", WORDS)
        await desk.start_component()
        people = {role: await desk.operator_online(jids[role]) for role in ("admin", "operator")}
        people["other"] = await desk.operator_online(jids["other"])
        people["stranger"] = await desk.client(jids["stranger"])
        # the admin's second client: logged in, unavailable (so new chats still reach the first)
        people["admin2"] = await desk.client(jids["admin"])
        people["admin2"].xmpp.send_presence(ptype="unavailable")
        assert people["admin2"].xmpp.boundjid.full != people["admin"].xmpp.boundjid.full
        # the operators' subscriptions to their desks settle before anything is compared
        await desk.wait_for(lambda: all(op.subscribed for op in desk.service.directory.operators()))
        made = World(desk, people, jids)
        await made.open_chat_for("admin")  # priority 10: the admin's first
        await made.open_chat_for("operator")  # the admin is full
        yield made


@pytest_asyncio.fixture(loop_scope="module")
async def ready(world: World) -> World:
    """The world as every test expects it: nobody paused, each of acme's operators holding an
    open chat, nothing pending in anyone's client."""
    for role in ("admin", "operator"):
        operator = world.desk.service.directory.operator(
            world.desk.service.state.site("acme").id, world.jids[role]
        )
        assert operator is not None
        if operator.paused:
            resumed = await world.people[role].run_command(world.desk.desk_jid(), "resume")
            assert resumed["type"] == "result", resumed
    for role in ("admin", "operator"):
        if not world.held(role):
            await world.open_chat_for(role)
    for client in world.people.values():
        client.forget_received()
    return world


def assert_unchanged(before: dict[str, Any], after: dict[str, Any]) -> None:
    """Fail naming only what changed: each differing row (before, after) of each part."""
    changed = {}
    for name, was in before.items():
        now = after[name]
        if was != now and isinstance(was, list) and isinstance(now, list) and len(was) == len(now):
            changed[name] = [(old, new) for old, new in zip(was, now, strict=True) if old != new]
        elif was != now:
            changed[name] = [(was, now)]
    assert not changed, changed


async def snapshot(world: World) -> dict[str, Any]:
    """Everything a command could change: the stored sites, operators, chats and feedback, and
    the running desk's directory and open chats."""
    desk = world.desk
    await desk.flush_archive()
    service = desk.service
    return {
        "sites": await desk.rows("SELECT * FROM sites ORDER BY id"),
        "operators": await desk.rows("SELECT * FROM operators ORDER BY site_id, jid"),
        "chats": await desk.rows(
            "SELECT site_id, number, state, operator_jid FROM chats ORDER BY 1, 2"
        ),
        "feedback": await desk.rows(
            "SELECT site_id, number, done_at, done_by FROM feedback ORDER BY 1, 2"
        ),
        "running sites": sorted(service.directory.sites(), key=lambda site: site.id),
        # without last_assigned_at: a reload may round it to the database's microseconds after
        # an assignment long before (one changes chats, compared above and below, anyway)
        "running operators": sorted(
            (replace(op, last_assigned_at=None) for op in service.directory.operators()),
            key=lambda op: (op.site_id, op.jid),
        ),
        "open chats": {
            role: (entry.chat.operator, entry.chat.state) if entry else None
            for role, number in world.chats.items()
            for entry in [service.chats.get(service.state.site("acme").id, number)]
        },
    }


# -- reading the answers -----------------------------------------------------------------------


def error_of(iq: Any) -> str:
    assert iq["type"] == "error", f"expected an error, got {iq}"
    return str(iq["error"]["condition"])


def assert_bad_sessionid(iq: Any) -> None:
    assert error_of(iq) == "bad-request", iq
    assert iq["error"].xml.find(f"{{{COMMANDS_NS}}}bad-sessionid") is not None, iq


async def listing(client: Client, jid: str) -> list[str] | str:
    """The nodes `jid` lists to `client`, or the condition it refuses the listing with."""
    try:
        return [node for node, _ in await client.commands(jid)]
    except IqError as error:
        return str(error.iq["error"]["condition"])


async def node_info(client: Client, jid: str, node: str) -> str:
    """`command-node` when disco#info names the command to `client`, else the refusal."""
    try:
        info = await client.xmpp.plugin["xep_0030"].get_info(jid=jid, node=node, timeout=15)
    except IqError as error:
        return str(error.iq["error"]["condition"])
    kinds = {(category, kind) for category, kind, _, _ in info["disco_info"]["identities"]}
    return "command-node" if ("automation", "command-node") in kinds else f"identities {kinds}"


def thief_values(world: World, address: str, command: str) -> dict[str, str]:
    """What someone continuing another's session submits: each would change or show something
    were it allowed (a transfer: to the holder's colleague)."""
    colleague = "operator" if address == "admins" else "admin"
    return {
        "recent": {"chat": "1"},
        "transcript": {"chat": "1"},
        "search": {"query": "invoice", "chat": "1"},
        "feedback": {"feedback": "1", "done": "true"},
        "settings": {"answer_timeout": "5", "max_chats": "9"},
        "operators": {"action": "remove", "jid": world.jids["operator"]},
        "transfer": {"operator": world.jids[colleague]},
    }.get(command, {})


def cell_ids() -> list[Any]:
    return [
        pytest.param(address, command, role, aspect, id=f"{address}-{command}-{role}-{aspect}")
        for (address, command, role) in CELLS
        for aspect in ASPECTS
    ]


# -- the matrix ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("address", "command", "role", "aspect"), cell_ids())
async def test_access_matrix(
    ready: World, address: str, command: str, role: str, aspect: str
) -> None:
    expected = CELLS[address, command, role][aspect]
    if aspect == "listing":
        await check_listing(ready, address, command, role, expected)
    elif aspect == "execute":
        await check_execute(ready, address, command, role, expected)
    else:
        await check_continue(ready, address, command, role, expected)


async def check_listing(world: World, address: str, command: str, role: str, want: str) -> None:
    client, jid = world.people[role], world.address(address)
    listed = await listing(client, jid)
    info = await node_info(client, jid, command)
    if want == "yes":
        assert isinstance(listed, list) and command in listed, listed
        assert info == "command-node"
    elif want == "no":
        assert isinstance(listed, list) and command not in listed, listed
        assert info == "item-not-found"
    else:
        assert (listed, info) == ("forbidden", "forbidden")


async def check_execute(world: World, address: str, command: str, role: str, want: str) -> None:
    client, jid = world.people[role], world.address(address)
    before = await snapshot(world) if want == "F" else {}
    answer = await client.run_command(jid, command)
    if want == "F":
        assert error_of(answer) == "forbidden", answer
        assert answer["from"].bare == jid  # from the address it was sent to
        assert_unchanged(before, await snapshot(world))
        return
    assert answer["type"] == "result", answer
    assert answer["command"]["node"] == command and answer["command"]["sessionid"]
    if want == "note":
        assert answer["command"]["status"] == "completed", answer
        assert answer["command"]["notes"], answer
        return
    assert want == "form"
    assert answer["command"]["status"] == "executing", answer
    assert answer["command"].xml.find("{jabber:x:data}x") is not None, answer
    sessionid = answer["command"]["sessionid"]
    cancelled = await client.run_command(jid, command, action="cancel", sessionid=sessionid)
    assert cancelled["command"]["status"] == "canceled", cancelled


async def check_continue(world: World, address: str, command: str, role: str, want: str) -> None:
    owner, jid = world.people[owner_of(address)], world.address(address)
    started = await owner.run_command(jid, command)
    assert started["type"] == "result", started
    sessionid = started["command"]["sessionid"]
    client = world.people[role]
    if want == "gone":
        assert started["command"]["status"] == "completed", started
        late = await client.run_command(jid, command, action="complete", sessionid=sessionid)
        assert_bad_sessionid(late)
        return
    assert started["command"]["status"] == "executing", started
    if want == "F":
        before = await snapshot(world)
        values = thief_values(world, address, command)
        for action in ("next", "complete", "cancel"):
            stolen = await client.run_command(
                jid,
                command,
                action=action,
                sessionid=sessionid,
                values=None if action == "cancel" else values,
            )
            assert error_of(stolen) == "forbidden", (action, stolen)
        assert_unchanged(before, await snapshot(world))
        client.assert_no_more()
    else:
        assert want == "own" and role == owner_of(address)
    cancelled = await owner.run_command(jid, command, action="cancel", sessionid=sessionid)
    assert cancelled["command"]["status"] == "canceled", cancelled


@pytest.mark.parametrize("address", list(ADDRESSES))
@pytest.mark.parametrize("role", ROLES)
async def test_the_listing_is_exactly_the_tables(ready: World, address: str, role: str) -> None:
    """Nothing is listed that the table does not know, and in the table's order (the
    administration commands after every operator's)."""
    want = [
        command
        for command in COMMANDS_AT[address]
        if CELLS[address, command, role]["listing"] == "yes"
    ]
    refused = {CELLS[address, command, role]["listing"] for command in COMMANDS_AT[address]}
    got = await listing(ready.people[role], ready.address(address))
    assert got == ("forbidden" if refused == {"F"} else want)


async def test_being_an_admin_elsewhere_carries_nothing_over(ready: World) -> None:
    """The other site's admin has it all at their own desk, acme's admin nothing there."""
    globex = ready.desk.desk_jid("globex")
    assert await listing(ready.people["other"], globex) == COMMANDS_AT["desk"]
    for role in ("admin", "operator", "stranger"):
        assert await listing(ready.people[role], globex) == []
        for command in COMMANDS_AT["desk"]:
            assert error_of(await ready.people[role].run_command(globex, command)) == "forbidden"


# -- search and recent over two sites with the same words ---------------------------------------


async def all_rows(client: Client, jid: str, command: str, **values: str) -> list[dict[str, str]]:
    """Every row of every page of `recent` or `search`, as {column: value}."""
    iq = await client.run_command(jid, command, values=values or None)
    sessionid, rows = iq["command"]["sessionid"], []
    while True:
        cells = {var: column(iq, var) for var in ("number", "visitor", "operator")}
        rows += [dict(zip(cells, row, strict=True)) for row in zip(*cells.values(), strict=True)]
        if "next" not in iq["command"]["actions"]:
            break
        iq = await client.run_command(jid, command, action="next", sessionid=sessionid)
    await client.run_command(jid, command, action="cancel", sessionid=sessionid)
    return rows


SEARCHES = [
    {"query": "invoice"},
    {"query": "заказ"},
    {"query": "refund parcel"},
    {"query": '"refund the parcel"', "mode": "boolean"},
    {"query": "+invoi* -nothing", "mode": "boolean"},
]


async def test_search_by_every_role_never_shows_another_sites_chats(ready: World) -> None:
    desk, jids = ready.desk, ready.jids
    acme, globex = desk.desk_jid(), desk.desk_jid("globex")
    own = {str(n) for n in SEEDED if n % 2 == 0}  # the plain operator's seeded chats
    for values in SEARCHES:
        seen = {
            role: await all_rows(ready.people[role], jid, "search", **values)
            for role, jid in (("admin", acme), ("operator", acme), ("other", globex))
        }
        assert {row["number"] for row in seen["admin"]} == {str(n) for n in SEEDED}, values
        assert {row["number"] for row in seen["operator"]} == own, values
        assert {row["number"] for row in seen["other"]} == {*map(str, SEEDED), "40"}, values
        for role, slug, operators in (
            ("admin", "acme", {jids["admin"], jids["operator"]}),
            ("operator", "acme", {jids["operator"]}),
            ("other", "globex", {jids["other"]}),
        ):
            for row in seen[role]:
                assert row["visitor"].startswith(f"{slug} visitor {row['number']} "), row
                assert row["operator"] in operators, row
        for role, jid in (("admin", globex), ("operator", globex), ("other", acme)):
            refused = await ready.people[role].run_command(jid, "search", values=values)
            assert error_of(refused) == "forbidden"
        for jid in (acme, globex):
            refused = await ready.people["stranger"].run_command(jid, "search", values=values)
            assert error_of(refused) == "forbidden"
    theirs = await ready.people["operator"].run_command(
        acme, "search", values={"query": "invoice", "operator": jids["admin"]}
    )
    assert numbers(theirs) == []  # a filter never widens what one sees
    elsewhere = await ready.people["admin"].run_command(
        acme, "search", values={"query": "invoice", "operator": jids["other"]}
    )
    assert numbers(elsewhere) == []


async def test_another_sites_chat_number_is_no_chat_here(ready: World) -> None:
    acme = ready.desk.desk_jid()
    for typed in ("40", "globex.40", "#40"):
        missing = await ready.people["admin"].run_command(
            acme, "transcript", values={"chat": typed}
        )
        assert error_of(missing) == "item-not-found", typed
    found = await ready.people["admin"].run_command(acme, "search", values={"query": "invoice"})
    opened = await ready.people["admin"].run_command(
        acme,
        "search",
        action="complete",
        sessionid=found["command"]["sessionid"],
        values={"chat": "1"},
    )
    assert "acme visitor 1" in transcript(opened) and "globex" not in transcript(opened)


async def test_recent_by_every_role_shows_only_its_sites_chats(ready: World) -> None:
    desk, jids = ready.desk, ready.jids
    acme, globex = desk.desk_jid(), desk.desk_jid("globex")
    live = {str(ready.chats["admin"]), str(ready.chats["operator"])}
    admins = await all_rows(ready.people["admin"], acme, "recent")
    numbers_seen = [row["number"] for row in admins]
    assert len(numbers_seen) == len(set(numbers_seen))
    assert {*map(str, SEEDED), *live} <= set(numbers_seen)
    assert all(row["operator"] in (jids["admin"], jids["operator"]) for row in admins)
    assert all(row["visitor"].startswith(("acme visitor", "visitor")) for row in admins), admins
    plain = await all_rows(ready.people["operator"], acme, "recent")
    assert {row["operator"] for row in plain} == {jids["operator"]}
    theirs = await all_rows(ready.people["other"], globex, "recent")
    assert {row["number"] for row in theirs} == {*map(str, SEEDED), "40"}
    assert {row["operator"] for row in theirs} == {jids["other"]}


async def test_operators_see_all_widens_a_plain_operator_to_the_site_only(ready: World) -> None:
    desk = ready.desk
    acme = desk.desk_jid()

    def sees_all() -> bool:
        site = desk.service.directory.site("acme")
        return site is not None and site.settings.operators_see_all

    await desk.admin.set_site("acme", {"operators_see_all": True})
    try:
        await desk.wait_for(sees_all, timeout=30)
        for values in SEARCHES:
            rows = await all_rows(ready.people["operator"], acme, "search", **values)
            assert {row["number"] for row in rows} == {str(n) for n in SEEDED}, values
            assert all(row["visitor"].startswith("acme visitor") for row in rows), rows
        opened = await ready.people["operator"].run_command(
            acme, "transcript", values={"chat": "1"}
        )
        assert "acme visitor 1" in transcript(opened)  # the admin's chat, now readable
        assert (
            error_of(
                await ready.people["operator"].run_command(
                    acme, "transcript", values={"chat": "40"}
                )
            )
            == "item-not-found"
        )
    finally:
        await desk.admin.set_site("acme", {"operators_see_all": False})
        await desk.wait_for(lambda: not sees_all(), timeout=30)
    rows = await all_rows(ready.people["operator"], acme, "search", query="invoice")
    assert {row["number"] for row in rows} == {str(n) for n in SEEDED if n % 2 == 0}


# -- sessions that ended, rights lost during a session ------------------------------------------

MULTI_STEP = [
    (address, command)
    for (address, command, role), cell in CELLS.items()
    if role == owner_of(address) and cell["continue"] == "own"
]
"""(address, command) of every command that keeps a session (its owner's cell: `own`)."""


@pytest.mark.parametrize(
    ("address", "command"),
    [pytest.param(a, c, id=f"{a}-{c}") for a, c in MULTI_STEP],
)
async def test_a_session_that_ended_is_a_bad_sessionid(
    ready: World, address: str, command: str
) -> None:
    owner, jid = ready.people[owner_of(address)], ready.address(address)
    started = await owner.run_command(jid, command)
    sessionid = started["command"]["sessionid"]
    cancelled = await owner.run_command(jid, command, action="cancel", sessionid=sessionid)
    assert cancelled["command"]["status"] == "canceled"
    late = await owner.run_command(jid, command, action="next", sessionid=sessionid, values={})
    assert_bad_sessionid(late)


def is_admin(desk: Desk, site_id: int, jid: str) -> bool:
    operator = desk.service.directory.operator(site_id, jid)
    return operator is not None and operator.is_admin


@pytest.mark.parametrize("command", [c for a, c in MULTI_STEP if a == "desk"])
async def test_a_right_lost_during_a_session_forbids_its_next_step(
    ready: World, command: str
) -> None:
    """A newcomer (an admin of acme for `settings` and `operators`, else a plain operator)
    starts the command, is then demoted or removed from the site by `helperchat`; the next step
    of their own session is `forbidden`, and nothing changes."""
    desk, jid = ready.desk, ready.desk.desk_jid()
    newcomer, admin = desk.user("newcomer"), command in ("settings", "operators")
    site_id = desk.service.state.site("acme").id
    await desk.register(newcomer)
    await desk.admin.add_operator("acme", newcomer, "Newcomer", 0, 1, admin=admin)
    try:
        if "newcomer" not in ready.people:
            ready.people["newcomer"] = await desk.client(newcomer)
        client = ready.people["newcomer"]
        await desk.wait_for(lambda: desk.service.directory.operator(site_id, newcomer) is not None)
        started = await client.run_command(jid, command)
        assert started["command"]["status"] == "executing", started
        if admin:
            await desk.admin.set_operator("acme", newcomer, {"is_admin": False})
            await desk.wait_for(lambda: not is_admin(desk, site_id, newcomer))
        else:
            await desk.admin.remove_operator("acme", newcomer)
            await desk.wait_for(lambda: desk.service.directory.operator(site_id, newcomer) is None)
        before = await snapshot(ready)
        stolen = await client.run_command(
            jid,
            command,
            action="complete",
            sessionid=started["command"]["sessionid"],
            values=thief_values(ready, "desk", command),
        )
        assert error_of(stolen) == "forbidden", stolen
        assert_unchanged(before, await snapshot(ready))
    finally:
        if any(op.jid == newcomer for op in await desk.admin.list_operators("acme")):
            await desk.admin.remove_operator("acme", newcomer)
        await desk.wait_for(lambda: desk.service.directory.operator(site_id, newcomer) is None)
