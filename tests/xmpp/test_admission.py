"""What an XMPP visitor's stanza to a desk counts against (component.xmpp.admission), over a desk
of fakes: a chat start or a message, bodies the desk refuses anyway count nothing, and the refusal
speaks the visitor's language."""

from __future__ import annotations

import dataclasses

import pytest

from component.config import RateConfig, RateLimitsConfig
from component.errors import EmptyMessage, MessageTooLong, RateLimited
from component.models import VisitorKind
from component.visitor_limits import VisitorLimits
from component.xmpp.admission import XmppAdmission
from tests.unit.fakes import ACME, World, make_world

VERA, DOMAIN = "vera@v.test", "v.test"
ONE = RateConfig(count=1, per_seconds=3600)


def admission(world: World, **rates: RateConfig) -> XmppAdmission:
    return XmppAdmission(VisitorLimits(RateLimitsConfig(**rates), world.clock))


def write(world: World, gate: XmppAdmission, body: str, lang: str = "en") -> None:
    """What the component does with a visitor's words: count them, then hand them to the desk."""
    gate.words(world.desk, ACME, VERA, DOMAIN, body, lang)
    world.desk.visitor_wrote("acme", VERA, VisitorKind.XMPP, "Vera", body)


def test_a_first_message_counts_as_a_chat_started_and_later_ones_as_messages() -> None:
    world = make_world()
    gate = admission(world, chats_per_jid=ONE, messages_per_jid=RateConfig(count=2, per_seconds=60))
    write(world, gate, "hello")  # the chat start: no message token taken
    write(world, gate, "one")
    write(world, gate, "two")
    with pytest.raises(RateLimited):
        gate.words(world.desk, ACME, VERA, DOMAIN, "three", "en")


def test_a_body_the_desk_refuses_anyway_takes_no_token() -> None:
    world = make_world(max_body=100)
    gate = admission(world, chats_per_jid=ONE)
    with pytest.raises(EmptyMessage):
        gate.words(world.desk, ACME, VERA, DOMAIN, "   ", "en")
    with pytest.raises(MessageTooLong):
        gate.words(world.desk, ACME, VERA, DOMAIN, "x" * 101, "en")
    write(world, gate, "a real start")  # the one chat allowed is still there
    assert world.desk.chats.of_visitor(ACME.id, VERA) is not None


@pytest.mark.parametrize(
    ("lang", "site_lang", "starts"),
    [
        ("ru", "en", "Слишком много"),
        ("de", "ru", "Слишком много"),
        ("en-US", "ru", "Too many messages"),
    ],
)
def test_the_refusal_speaks_the_visitors_language_else_the_sites(
    lang: str, site_lang: str, starts: str
) -> None:
    world = make_world()
    gate = admission(world, chats_per_jid=ONE)
    site = dataclasses.replace(ACME, settings=dataclasses.replace(ACME.settings, lang=site_lang))
    gate.words(world.desk, site, VERA, DOMAIN, "hello", lang)  # counted, not written: no chat
    with pytest.raises(RateLimited) as refused:
        gate.words(world.desk, site, VERA, DOMAIN, "again", lang)
    assert refused.value.text.startswith(starts)
    assert refused.value.condition == "policy-violation"


def test_signals_pass_until_their_limit_then_are_dropped() -> None:
    world = make_world()
    gate = admission(world, signals_per_jid=RateConfig(count=2, per_seconds=60))
    write(world, gate, "hello")  # an open chat: its signals go to its operator
    assert [gate.signal(world.desk, "acme", VERA) for _ in range(3)] == [True, True, False]
    world.clock.advance(30)  # one token back
    assert gate.signal(world.desk, "acme", VERA) is True


def test_signals_without_a_chat_are_dropped_and_counted_nowhere() -> None:
    world = make_world()
    limits = VisitorLimits(RateLimitsConfig(), world.clock)
    gate = XmppAdmission(limits)
    strangers = [f"{'x' * 1000}{n}@{'y' * 1000}.test" for n in range(100)]  # 2 KB JIDs
    assert not any(gate.signal(world.desk, "acme", jid) for jid in strangers)
    assert not gate.signal(world.desk, "nosuchsite", VERA)
    assert limits.keys_held()["signals_per_jid"] == 0
