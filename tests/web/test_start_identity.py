"""Starting a chat with a signed identity or a chosen operator, over the web adapter and fakes:
refusals create nothing and use up no rate limit; the card reaches the store."""

from __future__ import annotations

import dataclasses

from component.config import HttpConfig, RateConfig, RateLimitsConfig
from component.directory import Directory
from component.identity import Identity, sign
from component.visitor_card import make_card
from tests.unit.fakes import ALICE, BOB, MALLORY
from tests.web.helpers import serve
from tests.web.visitor_app import VisitorWorld, visitor_world

START = "/api/v1/sites/acme/chats"
KEY = "acme-key"


def world(choice: bool = False) -> VisitorWorld:
    limits = RateLimitsConfig(chats_per_ip=RateConfig(count=1, per_seconds=60))
    vw = visitor_world(HttpConfig(rate_limits=limits))
    directory = vw.world.desk.directory
    acme, globex = directory.site("acme"), directory.site("globex")
    assert acme is not None and globex is not None
    settings = dataclasses.replace(acme.settings, api_key=KEY, visitor_choice=choice)
    sites = [dataclasses.replace(acme, settings=settings), globex]
    vw.world.desk.apply_directory(Directory(sites, (ALICE, BOB, MALLORY)))
    return vw


async def test_refused_identities_and_choices_create_nothing_and_count_nothing() -> None:
    vw = world()
    refused = [
        ({"identity": sign({"id": "c"}, "another key")}, "invalid_identity"),
        ({"identity": "garbage"}, "invalid_identity"),
        ({"identity": 5}, "invalid"),
        ({"target": True}, "invalid"),
        ({"operator": BOB.id}, "choice_disabled"),
    ]
    async with serve(vw.app) as client:
        for extra, code in refused:
            r = await client.post(START, json={"text": "hi", **extra})
            assert r.status == 400 and (await r.json())["error"]["code"] == code, extra
        assert len(vw.world.desk.chats) == 0 and vw.store.chats == []
        assert vw.world.out.messages == []
        r = await client.post(START, json={"text": "hi", "identity": sign({"id": 9}, KEY)})
        assert r.status == 201  # the one chat the limit allows is still there
    (stored,) = vw.store.chats
    assert stored.card == make_card(identity=Identity("9"))


async def test_a_chosen_operator_must_be_one_of_the_site_named_by_their_number() -> None:
    vw = world(choice=True)
    async with serve(vw.app) as client:
        for wrong in (MALLORY.id, 999):  # another site's operator, nobody
            r = await client.post(START, json={"text": "hi", "operator": wrong})
            assert r.status == 400 and (await r.json())["error"]["code"] == "unknown_operator"
        for bad in (ALICE.jid, str(ALICE.id), True, 0, -1, 2**32, 1.5, None):  # ids are numbers
            r = await client.post(START, json={"text": "hi", "operator": bad})
            assert r.status == 400 and (await r.json())["error"]["code"] == "invalid", bad
        assert vw.store.chats == []
        r = await client.post(START, json={"text": "hi", "operator": ALICE.id})
        assert r.status == 201
    (stored,) = vw.store.chats
    assert stored.card.chosen_operator == ALICE.jid
