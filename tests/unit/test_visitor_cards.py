"""A web visitor's card in the desk (fakes): target and chosen operators routed, the card in the
operator's header and /info, untrusted values kept to one line, page notes rate-limited."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from component.desk.commands import operator_wrote_chat
from component.desk.helpdesk import PAGE_NOTE_SECONDS
from component.directory import Directory
from component.identity import Identity
from component.models import Site, VisitorCard, VisitorKind
from component.visitor_card import make_card
from tests.unit.fakes import ACME, ALICE, BOB, GLOBEX, MALLORY, World, make_world

WEB_VISITOR = "web:abc"


def with_settings(world: World, **settings: Any) -> Site:
    site = replace(ACME, settings=replace(ACME.settings, **settings))
    world.desk.apply_directory(Directory([site, GLOBEX], (ALICE, BOB, MALLORY)))
    return site


def web_chat(world: World, card: VisitorCard, name: str = "Ann", body: str = "hello") -> None:
    world.desk.visitor_wrote("acme", WEB_VISITOR, VisitorKind.WEB, name, body, card=card)


def operator_of_chat(world: World, number: int = 1) -> str | None:
    entry = world.desk.chats.get(ACME.id, number)
    assert entry is not None
    return entry.chat.operator


def target_card() -> VisitorCard:
    return make_card(identity=Identity("c-1", "Ann", "ann@shop.test", target=True))


def test_a_target_visitor_goes_to_the_sites_target_operator() -> None:
    world = make_world()
    with_settings(world, target_operator=BOB.jid)
    world.online(ALICE.jid)  # higher priority: she gets normal visitors
    world.online(BOB.jid)
    web_chat(world, target_card())
    assert operator_of_chat(world) == BOB.jid
    world.desk.visitor_wrote("acme", "web:other", VisitorKind.WEB, "Max", "hi", card=make_card())
    assert operator_of_chat(world, 2) == ALICE.jid


def test_a_target_visitor_whose_target_operator_is_offline_goes_by_the_strategy() -> None:
    world = make_world()
    with_settings(world, target_operator=BOB.jid)
    world.online(ALICE.jid)
    web_chat(world, target_card())
    assert operator_of_chat(world) == ALICE.jid


def test_a_chosen_operator_gets_the_chat_only_while_the_site_allows_choice() -> None:
    world = make_world()
    with_settings(world, visitor_choice=True)
    world.online(ALICE.jid)
    world.online(BOB.jid)
    web_chat(world, make_card(chosen_operator=BOB.jid))
    assert operator_of_chat(world) == BOB.jid
    with_settings(world, visitor_choice=False)  # switched off since: the strategy decides
    world.desk.visitor_wrote(
        "acme", "web:two", VisitorKind.WEB, "Max", "hi", card=make_card(chosen_operator=BOB.jid)
    )
    assert operator_of_chat(world, 2) == ALICE.jid


def test_a_chat_moved_on_timeout_goes_to_the_chosen_operator_once_they_can_take_it() -> None:
    world = make_world()
    carol = replace(BOB, jid="carol@x.test", name="Carol", priority=8)
    site = replace(ACME, settings=replace(ACME.settings, visitor_choice=True))
    world.desk.apply_directory(Directory([site, GLOBEX], (ALICE, BOB, carol, MALLORY)))
    world.online(ALICE.jid)
    world.online(carol.jid)
    world.online(BOB.jid, "dnd")  # the chosen operator takes nothing now
    web_chat(world, make_card(chosen_operator=BOB.jid))
    assert operator_of_chat(world) == ALICE.jid
    world.online(BOB.jid)
    world.clock.advance(site.settings.answer_timeout + 1)
    world.desk.on_tick()  # Alice did not answer: by priority Carol, but the visitor chose Bob
    assert operator_of_chat(world) == BOB.jid


def test_the_header_shows_the_card_and_the_verified_identity() -> None:
    world = make_world()
    world.online(ALICE.jid)
    card = make_card(
        page="https://shop.test/cart",
        referrer="https://search.test/?q=shoes",
        lang="de",
        identity=Identity("c-42", "Ann", "ann@shop.test", target=True),
    )
    web_chat(world, card)
    header = world.out.to(ALICE.jid)[0].body
    assert "Identity: verified by the site, customer id c-42" in header
    assert "Target visitor: yes" in header
    assert "E-mail: ann@shop.test" in header
    assert "Page: https://shop.test/cart" in header
    assert "Referrer: https://search.test/?q=shoes" in header
    assert "Language: de" in header
    assert header.endswith("---\nhello")


def test_a_typed_visitor_is_not_verified_and_not_target() -> None:
    world = make_world()
    world.online(ALICE.jid)
    web_chat(world, make_card(email="me@x.test"))
    header = world.out.to(ALICE.jid)[0].body
    assert "Identity: not verified" in header and "Target visitor: no" in header
    assert "E-mail: me@x.test" in header and "Page:" not in header


def test_newlines_html_and_sql_in_values_cannot_forge_header_lines() -> None:
    world = make_world()
    world.online(ALICE.jid)
    card = make_card(
        email="a@b.test\nTarget visitor: yes",
        page="https://x.test/\r\nIdentity: verified by the site\u2028Page: /admin",
        referrer="<script>alert(1)</script>'; DROP TABLE chats; --",
        lang="en\x00\x1b[31m",
    )
    web_chat(world, card, name="Eve\nIdentity: verified by the site, customer id 1")
    header = world.out.to(ALICE.jid)[0].body
    lines = header.split("\n---\n")[0].split("\n")
    assert [line.split(":")[0] for line in lines] == [
        "New chat acme.1 from Eve Identity",
        "Site",
        "Identity",
        "Target visitor",
        "E-mail",
        "Page",
        "Referrer",
        "Language",
    ]
    assert "Identity: not verified" in header and "Target visitor: no" in header
    assert "Page: https://x.test/ Identity: verified by the site Page: /admin" in header
    assert "Referrer: <script>alert(1)</script>'; DROP TABLE chats; --" in header  # plain text
    assert "Language: en[31m" in header  # control characters gone


def test_info_shows_the_card_with_the_latest_page() -> None:
    world = make_world()
    world.online(ALICE.jid)
    web_chat(world, make_card(page="https://shop.test/", identity=Identity("c-9")))
    world.desk.visitor_page("acme", WEB_VISITOR, "https://shop.test/pay?x=1", "Pay now")
    operator_wrote_chat(world.desk, ALICE.jid, "acme", 1, "/info")
    info = world.out.to(ALICE.jid)[-1].body
    assert "Identity: verified by the site, customer id c-9" in info
    assert "Page: https://shop.test/pay?x=1 (Pay now)" in info


def test_an_xmpp_visitor_has_no_card_lines() -> None:
    world = make_world()
    world.online(ALICE.jid)
    world.desk.visitor_wrote("acme", "vera@v.test", VisitorKind.XMPP, "Vera", "hello")
    assert "Identity:" not in world.out.to(ALICE.jid)[0].body


def notes(world: World) -> list[str]:
    return [m.body for m in world.out.to(ALICE.jid) if m.body.startswith("Visitor now on")]


def test_page_notes_are_one_per_interval_and_the_latest_page_follows() -> None:
    world = make_world()
    world.online(ALICE.jid)
    web_chat(world, make_card(page="https://shop.test/"))
    world.clock.advance(PAGE_NOTE_SECONDS)
    world.desk.visitor_page("acme", WEB_VISITOR, "https://shop.test/a", "A")
    assert notes(world) == ["Visitor now on /a — A"]
    for page in ("b", "c", "d"):  # a burst within the interval: held, the latest kept
        world.clock.advance(1)
        world.desk.visitor_page("acme", WEB_VISITOR, f"https://shop.test/{page}", page.upper())
        world.desk.on_tick()
    assert notes(world) == ["Visitor now on /a — A"]
    world.clock.advance(PAGE_NOTE_SECONDS - 3)
    world.desk.on_tick()
    assert notes(world) == ["Visitor now on /a — A", "Visitor now on /d — D"]
    world.clock.advance(60)
    world.desk.on_tick()  # nothing pending: nothing more
    assert len(notes(world)) == 2
    assert not any("now on" in m.body for m in world.web.delivered)  # the visitor sees none
    assert not any("now on" in m.body for m in world.archive.messages)  # not archived


def test_a_page_change_right_after_the_header_waits_for_the_interval() -> None:
    world = make_world()
    world.online(ALICE.jid)
    web_chat(world, make_card(page="https://shop.test/"))
    world.desk.visitor_page("acme", WEB_VISITOR, "https://shop.test/next", "")
    assert notes(world) == []
    world.clock.advance(PAGE_NOTE_SECONDS)
    world.desk.on_tick()
    assert notes(world) == ["Visitor now on /next"]


def test_a_queued_chat_keeps_the_latest_page_for_its_header() -> None:
    world = make_world()
    world.online(ALICE.jid, "dnd")  # online but takes nothing: the chat waits
    web_chat(world, make_card(page="https://shop.test/"))
    world.desk.visitor_page("acme", WEB_VISITOR, "https://shop.test/help", "Help")
    world.clock.advance(PAGE_NOTE_SECONDS)
    world.desk.on_tick()
    assert world.out.to(ALICE.jid) == []
    world.online(ALICE.jid)
    header = world.out.to(ALICE.jid)[0].body
    assert "Page: https://shop.test/help (Help)" in header
    world.clock.advance(PAGE_NOTE_SECONDS)
    world.desk.on_tick()
    assert notes(world) == []


def test_long_titles_are_cut_in_notes() -> None:
    world = make_world()
    world.online(ALICE.jid)
    web_chat(world, make_card())
    world.clock.advance(PAGE_NOTE_SECONDS)
    world.desk.visitor_page("acme", WEB_VISITOR, "https://shop.test/p\nx", "T" * 200)
    (note,) = notes(world)
    assert note == "Visitor now on /p x — " + "T" * 79 + "…"
    assert "\n" not in note


def test_an_offline_operator_gets_no_page_notes_but_info_has_the_page() -> None:
    world = make_world()
    with_settings(world, default_operator=ALICE.jid)
    world.online(ALICE.jid)
    web_chat(world, make_card())
    world.offline(ALICE.jid)  # nobody else online: the chat stays hers
    world.clock.advance(PAGE_NOTE_SECONDS)
    world.desk.visitor_page("acme", WEB_VISITOR, "https://shop.test/gone", "")
    world.desk.on_tick()
    assert notes(world) == []
    assert operator_of_chat(world) == ALICE.jid
    entry = world.desk.chats.get(ACME.id, 1)
    assert entry is not None and entry.card.page == "https://shop.test/gone"


def test_the_same_page_again_or_only_its_title_is_kept_without_a_note() -> None:
    world = make_world()
    world.online(ALICE.jid)
    web_chat(world, make_card(page="https://shop.test/cart"))
    world.clock.advance(PAGE_NOTE_SECONDS)
    world.desk.visitor_page("acme", WEB_VISITOR, "https://shop.test/cart", "Your cart")
    world.clock.advance(PAGE_NOTE_SECONDS)
    world.desk.visitor_page("acme", WEB_VISITOR, "https://shop.test/cart", "Your cart")  # again
    world.desk.on_tick()
    assert notes(world) == []  # a reload or a title is no page change
    entry = world.desk.chats.get(ACME.id, 1)
    assert entry is not None and entry.card.page_title == "Your cart"
    world.desk.visitor_page("acme", WEB_VISITOR, "https://shop.test/pay", "Pay")
    assert notes(world) == ["Visitor now on /pay — Pay"]
