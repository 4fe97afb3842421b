"""What a visitor is told comes from the catalogue in the chat's language: the visitor's own (a
web visitor's `lang`, an XMPP visitor's xml:lang) when the catalogue has it, else the site's;
chosen when the chat opens and kept with it; archived in the words the visitor got. A third
language joins by a file, without code."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from importlib import resources
from pathlib import Path

import pytest

from component.admin import web_changes
from component.catalogue import Catalogue
from component.config import RateLimitsConfig
from component.desk.commands import operator_wrote_chat
from component.directory import Directory
from component.errors import ArchiveFull, EmptyMessage, InvalidInput, MessageTooLong
from component.locales import catalogue_in, shipped_catalogue
from component.models import ChatState, Message, Notice, Operator, Sender, VisitorKind
from component.visitor_limits import VisitorLimits
from component.xmpp.admission import XmppAdmission
from tests.unit.fakes import ACME, ALICE, BOB, GLOBEX, World, make_world

WEB, XMPP = VisitorKind.WEB, VisitorKind.XMPP
VERA = "vera@v.test"
ONE_EACH = (replace(ALICE, max_chats=1), replace(BOB, max_chats=1))
RU = shipped_catalogue()


def speaking(world: World, site_lang: str, operators: tuple[Operator, ...] = ()) -> World:
    """The world with acme's language set to `site_lang` (and only `operators`, when given)."""
    acme = replace(ACME, settings=replace(ACME.settings, lang=site_lang))
    kept = operators or tuple(world.desk.directory.operators())
    world.desk.apply_directory(Directory([acme, GLOBEX], kept))
    return world


def told(world: World, kind: VisitorKind, visitor: str) -> list[str]:
    """The words the visitor got, in order: an XMPP visitor's messages, a web visitor's shown
    system messages."""
    if kind is XMPP:
        return [sent.body for sent in world.out.to(visitor)]
    shown = [m for m in world.web.delivered if m.notice in (Notice.TEXT, Notice.QUEUE)]
    return [m.body for m in shown]  # the widget shows NEW_OPERATOR as the `operator` event


def _words(message: Message) -> bool:
    return message.notice in (Notice.TEXT, Notice.QUEUE, Notice.NEW_OPERATOR)


def system_words(world: World) -> list[str]:
    """What the archive holds of the system messages told in words."""
    return [m.body for m in world.archive.messages if m.sender is Sender.SYSTEM and _words(m)]


def ru(key: str, **values: object) -> str:
    return RU.text("ru", key, **values)


# -- which language a chat speaks ------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "tag", "site_lang", "spoken"),
    [
        (WEB, "ru", "en", "ru"),
        (WEB, "ru-RU", "en", "ru"),
        (WEB, "de", "ru", "ru"),  # not in the catalogue: the site's
        (WEB, "", "ru", "ru"),  # none given
        (WEB, "en-GB", "ru", "en"),
        (XMPP, "ru", "en", "ru"),  # the xml:lang of the message that opened the chat
        (XMPP, "", "en", "en"),
        (XMPP, "pt-BR", "ru", "ru"),
    ],
)
def test_a_chat_speaks_the_visitors_language_when_the_catalogue_has_it_else_the_sites(
    kind: VisitorKind, tag: str, site_lang: str, spoken: str
) -> None:
    world = speaking(make_world(), site_lang)
    world.desk.visitor_wrote("acme", VERA, kind, "Vera", "hello", lang=tag)
    (entry,) = world.desk.chats.queued(ACME.id) or world.desk.chats.assigned()
    assert entry.chat.lang == spoken
    assert world.archive.chats[0].lang == spoken  # stored with the chat from its first row


def test_only_the_message_that_opens_the_chat_chooses_its_language() -> None:
    world = make_world()
    world.desk.visitor_wrote("acme", VERA, XMPP, "Vera", "привет", lang="ru")
    world.desk.visitor_wrote("acme", VERA, XMPP, "Vera", "hello?", lang="en")
    entry = world.desk.chats.of_visitor(ACME.id, VERA)
    assert entry is not None and entry.chat.lang == "ru"


# -- every text, in the chat's language --------------------------------------------------------


@pytest.mark.parametrize("kind", [WEB, XMPP])
def test_nobody_online_an_answer_may_take_a_while_in_russian(kind: VisitorKind) -> None:
    world = make_world()  # Alice and Bob exist but are offline
    world.desk.visitor_wrote("acme", VERA, kind, "Vera", "hello", lang="ru")
    assert told(world, kind, VERA) == [ru("offline")]
    assert system_words(world) == [ru("offline")]  # archived in the words the visitor got
    assert "ответ может занять" in ru("offline")


@pytest.mark.parametrize("kind", [WEB, XMPP])
def test_no_operator_at_all_in_the_sites_language(kind: VisitorKind) -> None:
    world = speaking(make_world(operators=()), "ru")
    world.desk.visitor_wrote("acme", VERA, kind, "Vera", "hello")
    assert told(world, kind, VERA) == [ru("no_operator")]
    assert system_words(world) == [ru("no_operator")]


@pytest.mark.parametrize("kind", [WEB, XMPP])
def test_queue_positions_first_and_later_in_russian(kind: VisitorKind) -> None:
    world = make_world(ONE_EACH)
    world.online(ALICE.jid)
    world.online(BOB.jid)
    world.desk.visitor_wrote("acme", "a@v.test", XMPP, "A", "hello")  # -> Alice
    world.desk.visitor_wrote("acme", "b@v.test", XMPP, "B", "hello")  # -> Bob
    world.desk.visitor_wrote("acme", "c@v.test", XMPP, "C", "hello")  # waits first, in English
    world.desk.visitor_wrote("acme", VERA, kind, "Vera", "здравствуйте", lang="ru")
    operator_wrote_chat(world.desk, ALICE.jid, "acme", 1, "/close")  # C goes to Alice
    assert told(world, kind, VERA) == [ru("queue_first", position=2), ru("queue_moved", position=1)]
    assert world.out.to("c@v.test")[0].body.startswith("Thank you for your message. All our")


def test_the_operator_closing_the_chat_in_russian_for_a_web_visitor() -> None:
    world = make_world()
    world.online(ALICE.jid)
    world.desk.visitor_wrote("acme", "w1", WEB, "Vera", "hello", lang="ru")
    operator_wrote_chat(world.desk, ALICE.jid, "acme", 1, "/close")
    assert told(world, WEB, "w1") == [ru("closed_by_operator")]
    assert world.archive.chats[-1].state is ChatState.CLOSED


def test_a_transfer_tells_an_xmpp_visitor_the_new_name_in_russian() -> None:
    world = make_world()
    world.online(ALICE.jid)
    world.online(BOB.jid)
    world.desk.visitor_wrote("acme", VERA, XMPP, "Vera", "привет", lang="ru")
    operator_wrote_chat(world.desk, ALICE.jid, "acme", 1, "/transfer Bob")
    assert told(world, XMPP, VERA) == ["Теперь с вами общается Bob."]
    assert system_words(world) == ["Теперь с вами общается Bob."]


def test_a_requeued_chat_is_told_its_place_in_russian() -> None:
    world = make_world(ONE_EACH)
    world.online(ALICE.jid)
    world.online(BOB.jid)
    world.desk.visitor_wrote("acme", VERA, XMPP, "Vera", "привет", lang="ru")  # -> Alice
    world.desk.visitor_wrote("acme", "walt@v.test", XMPP, "Walt", "hello")  # -> Bob, full
    world.out.take()
    world.desk.apply_directory(Directory([ACME, GLOBEX], (ONE_EACH[1],)))  # Alice removed
    assert told(world, XMPP, VERA) == [ru("requeued", position=1)]


def test_a_chat_keeps_its_language_when_the_site_changes_its_own() -> None:
    world = make_world()
    world.desk.visitor_wrote("acme", VERA, XMPP, "Vera", "hello")  # English, the site's
    speaking(world, "ru")
    world.online(BOB.jid)  # the chat passed on to offline Alice moves to Bob: the visitor hears
    assert told(world, XMPP, VERA) == [RU.text("en", "offline"), "You are now talking to Bob."]


def test_a_chat_from_before_chats_kept_a_language_speaks_the_sites() -> None:
    world = speaking(make_world(), "ru")
    world.desk.visitor_wrote("acme", VERA, XMPP, "Vera", "hello", lang="en")
    entry = world.desk.chats.of_visitor(ACME.id, VERA)
    assert entry is not None
    entry.chat = replace(entry.chat, lang="")  # as restored from a row of before
    site = world.desk.state.site("acme")
    assert world.desk.state.words(site, entry.chat, "new_operator", name="Bob") == (
        "Теперь с вами общается Bob."
    )


# -- refusals of an XMPP visitor's words -------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "error", "words"),
    [
        ("   ", EmptyMessage, "Сообщение пустое; ничего не отправлено."),
        ("x" * 101, MessageTooLong, "Сообщение длиннее 100 символов и не доставлено."),
    ],
)
def test_a_body_the_desk_refuses_is_refused_in_the_visitors_language(
    body: str, error: type[Exception], words: str
) -> None:
    world = make_world(max_body=100)
    gate = XmppAdmission(VisitorLimits(RateLimitsConfig(), world.clock))
    with pytest.raises(error) as refused:
        gate.words(world.desk, ACME, VERA, "v.test", body, "ru")
    assert str(refused.value).startswith(words)
    with pytest.raises(error) as refused:
        gate.words(world.desk, ACME, VERA, "v.test", body, "en")
    assert not str(refused.value).startswith(words)


def test_the_archive_full_refusal_follows_the_visitors_open_chat() -> None:
    world = make_world()
    world.desk.visitor_wrote("acme", VERA, XMPP, "Vera", "привет", lang="ru")
    world.archive.accepting = False
    gate = XmppAdmission(VisitorLimits(RateLimitsConfig(), world.clock))
    with pytest.raises(ArchiveFull, match=r"^Мы не можем принять новые сообщения"):
        gate.words(world.desk, ACME, VERA, "v.test", "ещё одно", "")  # no xml:lang: the chat's


# -- a third language, by a file ---------------------------------------------------------------

GERMAN = {
    "offline": "Danke für Ihre Nachricht. Gerade ist niemand online; eine Antwort kann dauern.",
    "new_operator": "Sie sprechen jetzt mit {name}.",
}


@pytest.fixture
def with_german(tmp_path: Path) -> Catalogue:
    """The shipped locales copied, and a German file dropped beside them (a partial one)."""
    folder = tmp_path / "locales"
    with resources.as_file(resources.files("component.locales")) as shipped:
        shutil.copytree(shipped, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    (folder / "de.json").write_text(json.dumps(GERMAN, ensure_ascii=False), encoding="utf-8")
    return catalogue_in(folder)


def test_a_third_language_joins_by_a_file_and_a_visitor_is_told_in_it(
    with_german: Catalogue,
) -> None:
    assert with_german.languages == {"en", "ru", "de"}
    changes = web_changes(lang="DE", languages=with_german.languages)  # `site set --lang de`
    with pytest.raises(InvalidInput, match="expected one of en, ru"):
        web_changes(lang="de")  # the shipped catalogue has no German
    world = make_world()
    world.desk.state.catalogue = with_german
    world = speaking(world, changes["lang"])
    world.desk.visitor_wrote("acme", "w1", WEB, "Wera", "hallo")  # the site's language
    world.desk.visitor_wrote("acme", VERA, XMPP, "Vera", "hallo", lang="de-AT")  # its own
    world.online(BOB.jid)  # both chats, passed on to offline Alice, move to Bob
    assert told(world, WEB, "w1") == [GERMAN["offline"]]
    assert told(world, XMPP, VERA) == [GERMAN["offline"], "Sie sprechen jetzt mit Bob."]


def test_a_text_the_third_language_lacks_is_told_in_english(with_german: Catalogue) -> None:
    world = make_world(operators=())
    world.desk.state.catalogue = with_german
    world.desk.visitor_wrote("acme", VERA, XMPP, "Vera", "hallo", lang="de")
    assert told(world, XMPP, VERA) == [with_german.text("en", "no_operator")]


def test_a_site_of_the_third_language_keeps_english_for_other_visitors(
    with_german: Catalogue,
) -> None:
    world = make_world()
    world.desk.state.catalogue = with_german
    speaking(world, "de")
    world.desk.visitor_wrote("acme", VERA, XMPP, "Vera", "hello", lang="en")
    assert told(world, XMPP, VERA) == [RU.text("en", "offline")]


def test_every_visitor_text_is_in_both_shipped_languages() -> None:
    english = RU.keys("en")
    assert RU.keys("ru") == english
    assert {"offline", "no_operator", "queue_first", "queue_moved", "requeued"} <= english
    assert {"closed_by_operator", "new_operator", "rate_limited"} <= english
