"""`POST /api/v1/sites/{slug}/feedback` and the 409 `offline` of starting a chat, over a desk of
fakes: numbers, checks and their messages in the visitor's language, the form off, the limits,
CORS by site; every answer as documented."""

from __future__ import annotations

import dataclasses
from typing import Any

from component.config import HttpConfig, RateConfig, RateLimitsConfig
from component.directory import Directory
from component.records import FeedbackLeft, MailQueued
from tests.unit.fakes import ACME, ALICE, BOB, MALLORY
from tests.web.helpers import serve
from tests.web.openapi_check import documented_answer
from tests.web.visitor_app import ACME_ORIGIN, GLOBEX_ORIGIN, VisitorWorld, visitor_world

FEEDBACK = "/api/v1/sites/{slug}/feedback"
CHATS = "/api/v1/sites/{slug}/chats"


def form_world(config: HttpConfig | None = None, **acme: Any) -> VisitorWorld:
    """acme's form on (with `acme` settings), globex's too; Alice online (offline: vw.offline)."""
    vw = visitor_world(config, feedback_form=True, **acme)
    globex = vw.world.desk.directory.site("globex")
    assert globex is not None
    on = dataclasses.replace(globex.settings, feedback_form=True)
    acme_site = vw.world.desk.directory.site("acme")
    assert acme_site is not None
    sites = [acme_site, dataclasses.replace(globex, settings=on)]
    vw.world.desk.apply_directory(Directory(sites, (ALICE, BOB, MALLORY)))
    return vw


async def post(client: Any, slug: str, body: object, **kw: Any) -> tuple[int, dict[str, Any]]:
    async with client.post(FEEDBACK.format(slug=slug), json=body, **kw) as answer:
        raw = await answer.read()
        value = documented_answer(FEEDBACK, "POST", answer.status, answer.content_type, raw)
        return answer.status, value


def stored(vw: VisitorWorld) -> list[FeedbackLeft]:
    return [r for r in vw.world.archive.records if isinstance(r, FeedbackLeft)]


async def test_feedback_is_numbered_per_site_and_mailed_where_the_site_has_addresses() -> None:
    vw = form_world(feedback_emails=("owner@acme.example",))
    async with serve(vw.app) as client:
        body = {"text": "Do you ship to Mars?", "name": "Ann", "contact": "ann@x.example"}
        assert await post(client, "acme", {**body, "page": "https://shop/p"}) == (
            201,
            {"feedback": 1},
        )
        assert await post(client, "acme", {"text": "again"}) == (201, {"feedback": 2})
        assert await post(client, "globex", {"text": "hi"}) == (201, {"feedback": 1})
    first = stored(vw)[0]
    assert (first.name, first.email, first.page, first.site_id) == (
        "Ann",
        "ann@x.example",
        "https://shop/p",
        1,
    )
    mails = [r for r in vw.world.archive.records if isinstance(r, MailQueued)]
    assert [(m.feedback_number, m.reply_to) for m in mails] == [(1, "ann@x.example"), (2, "")]
    assert mails[0].recipients == "owner@acme.example"  # globex has no addresses: no mail


async def test_bad_input_is_400_with_the_reason_in_the_visitors_language() -> None:
    vw = form_world()
    async with serve(vw.app) as client:
        cases: list[tuple[object, str]] = [
            ({"text": "hi", "color": "red"}, "invalid"),
            ({"name": "x"}, "invalid"),
            ({"text": 5}, "invalid"),
            ({"text": "hi", "lang": "e n"}, "invalid"),
            ({"text": "hi", "page": "p" * 2001}, "invalid"),
            ({"text": "   "}, "empty_message"),
            ({"text": "x" * 101}, "invalid"),  # limits.max_body_chars of the fakes' desk: 100
            ({"text": "hi", "name": "n" * 201}, "invalid"),
            ({"text": "hi", "contact": "tomorrow"}, "invalid_contact"),
            ({"text": "hi", "contact": "ann@b"}, "invalid_contact"),
            ([1], "bad_json"),
        ]
        for body, code in cases:
            status, value = await post(client, "acme", body)
            assert (status, value["error"]["code"]) == (400, code), body
        status, value = await post(client, "acme", {"text": "hi", "contact": "?", "lang": "ru"})
        assert value["error"]["message"].startswith("Укажите адрес электронной почты")
        status, value = await post(client, "acme", {"text": "hi", "contact": "?"})
        assert value["error"]["message"].startswith("Please give an e-mail address")
        async with client.post(FEEDBACK.format(slug="acme"), data=b"{") as answer:
            assert answer.status == 415
    assert stored(vw) == []


async def test_an_unknown_site_is_404_and_a_site_without_the_form_409() -> None:
    vw = visitor_world()
    async with serve(vw.app) as client:
        status, value = await post(client, "nope", {"text": "hi"})
        assert (status, value["error"]["code"]) == (404, "unknown_site")
        status, value = await post(client, "acme", {"text": "hi", "lang": "ru"})
        assert (status, value["error"]["code"]) == (409, "feedback_off")
        assert (
            value["error"]["message"]
            == "Оставить сообщение здесь сейчас нельзя. Пожалуйста, начните чат."
        )
    assert stored(vw) == []


async def test_feedback_per_ip_and_per_site_limits_answer_429_and_store_nothing() -> None:
    limits = RateLimitsConfig(
        feedback_per_ip=RateConfig(count=1, per_seconds=60),
        feedback_per_site=RateConfig(count=2, per_seconds=60),
    )
    vw = form_world(HttpConfig(trusted_proxies=("127.0.0.1",), rate_limits=limits))
    async with serve(vw.app) as client:

        def ip(n: int) -> dict[str, str]:
            return {"X-Forwarded-For": f"192.0.2.{n}"}

        assert (await post(client, "acme", {"text": "a"}, headers=ip(1)))[0] == 201
        status, value = await post(client, "acme", {"text": "b", "lang": "ru"}, headers=ip(1))
        assert (status, value["error"]["code"]) == (429, "rate_limited")
        assert value["error"]["message"] == (
            "Слишком много сообщений сразу. Отправьте ваше снова через 60 с."
        )
        assert (await post(client, "acme", {"text": "c"}, headers=ip(2)))[0] == 201
        async with client.post(
            FEEDBACK.format(slug="acme"), json={"text": "d"}, headers=ip(3)
        ) as answer:
            assert (answer.status, answer.headers["Retry-After"]) == (429, "30")  # the site's
        assert (await post(client, "globex", {"text": "e"}, headers=ip(3)))[0] == 201
        # a refused request took nothing: bad input is not counted
        assert (await post(client, "globex", {"text": ""}, headers=ip(4)))[0] == 400
        assert (await post(client, "globex", {"text": "f"}, headers=ip(4)))[0] == 201
    assert [f.text for f in stored(vw)] == ["a", "c", "e", "f"]


async def test_only_the_sites_own_origins_may_leave_its_feedback() -> None:
    vw = form_world()
    async with serve(vw.app) as client:
        status, value = await post(
            client, "acme", {"text": "hi"}, headers={"Origin": GLOBEX_ORIGIN}
        )
        assert (status, value["error"]["code"]) == (403, "origin_not_allowed")
        async with client.post(
            FEEDBACK.format(slug="acme"), json={"text": "hi"}, headers={"Origin": ACME_ORIGIN}
        ) as answer:
            assert answer.status == 201
            assert answer.headers["Access-Control-Allow-Origin"] == ACME_ORIGIN
        preflight = {"Origin": ACME_ORIGIN, "Access-Control-Request-Method": "POST"}
        async with client.options(FEEDBACK.format(slug="acme"), headers=preflight) as answer:
            assert answer.status == 204
    assert [f.site_id for f in stored(vw)] == [ACME.id]


async def test_starting_a_chat_while_nobody_is_online_is_409_offline_and_starts_nothing() -> None:
    vw = form_world()
    vw.world.offline(ALICE.jid)
    async with serve(vw.app) as client:
        info = await (await client.get("/api/v1/sites/acme")).json()
        assert (info["online"], info["feedback_form"]) == (False, True)
        async with client.post(CHATS.format(slug="acme"), json={"text": "hi"}) as answer:
            raw = await answer.read()
            value = documented_answer(CHATS, "POST", answer.status, answer.content_type, raw)
            assert (answer.status, value["error"]["code"]) == (409, "offline")
        vw.world.online(ALICE.jid)
        async with client.post(CHATS.format(slug="acme"), json={"text": "hi"}) as answer:
            assert answer.status == 201
    assert len(vw.store.chats) == 1 and vw.world.archive.chats[0].number == 1


async def test_the_site_info_says_whether_the_form_is_on() -> None:
    async with serve(form_world().app) as client:
        assert (await (await client.get("/api/v1/sites/acme")).json())["feedback_form"] is True
    async with serve(visitor_world().app) as client:
        assert (await (await client.get("/api/v1/sites/acme")).json())["feedback_form"] is False


async def test_a_chat_refused_as_nobody_is_online_takes_no_token_from_the_chat_limits() -> None:
    one = RateLimitsConfig(chats_per_ip=RateConfig(count=1, per_seconds=3600))
    vw = form_world(HttpConfig(rate_limits=one))
    vw.world.offline(ALICE.jid)
    async with serve(vw.app) as client:
        for _ in range(3):
            async with client.post(CHATS.format(slug="acme"), json={"text": "hi"}) as answer:
                assert answer.status == 409
        vw.world.online(ALICE.jid)
        async with client.post(CHATS.format(slug="acme"), json={"text": "hi"}) as answer:
            assert answer.status == 201
