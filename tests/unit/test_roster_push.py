"""The roster push use case over a fake API: what is asked of the server, what is stored, and a
failure turned into one warning that changes nothing else."""

from __future__ import annotations

import logging

import pytest

from component.addresses import Addresses
from component.models import Operator, Site
from component.roster_push import RosterApiError, RosterPush

SITE = Site(id=7, slug="acme", name="Acme Inc.")
ALICE = Operator(site_id=7, jid="alice@example.com", name="Alice")


class FakeApi:
    def __init__(self, fail: str = "") -> None:
        self.fail = fail
        self.calls: list[tuple[str, ...]] = []

    async def add_rosteritem(self, owner: str, contact: str, nick: str, group: str) -> None:
        self.calls.append(("add", owner, contact, nick, group))
        if self.fail:
            raise RosterApiError(self.fail)

    async def delete_rosteritem(self, owner: str, contact: str) -> None:
        self.calls.append(("delete", owner, contact))
        if self.fail:
            raise RosterApiError(self.fail)


def push_with(api: FakeApi | None) -> tuple[RosterPush, list[tuple[int, str]]]:
    marked: list[tuple[int, str]] = []

    async def mark(site: Site, op: Operator) -> None:
        marked.append((site.id, op.jid))

    return RosterPush(api, Addresses("helpdesk.example.com"), "HelperChat", mark), marked


async def test_an_added_operator_gets_the_desk_named_after_the_site_and_is_marked() -> None:
    api = FakeApi()
    push, marked = push_with(api)
    assert await push.operator_added(SITE, ALICE) is None
    assert api.calls == [
        ("add", "alice@example.com", "acme@helpdesk.example.com", "Acme Inc.", "HelperChat")
    ]
    assert marked == [(7, "alice@example.com")]


async def test_a_removed_operator_loses_the_desk() -> None:
    api = FakeApi()
    push, marked = push_with(api)
    assert await push.operator_removed(SITE, "alice@example.com") is None
    assert api.calls == [("delete", "alice@example.com", "acme@helpdesk.example.com")]
    assert marked == []


async def test_without_an_api_nothing_is_asked_or_stored() -> None:
    push, marked = push_with(None)
    assert not push.enabled
    assert await push.operator_added(SITE, ALICE) is None
    assert await push.operator_removed(SITE, ALICE.jid) is None
    assert marked == []


async def test_a_failure_is_one_warning_and_nothing_is_marked(
    caplog: pytest.LogCaptureFixture,
) -> None:
    push, marked = push_with(FakeApi(fail="add_rosteritem: HTTP 500"))
    with caplog.at_level(logging.WARNING):
        warning = await push.operator_added(SITE, ALICE)
        removal = await push.operator_removed(SITE, ALICE.jid)
    assert warning is not None and "HTTP 500" in warning and "ask them" in warning
    assert removal is not None and "HTTP 500" in removal
    assert marked == []
    assert [r.getMessage() for r in caplog.records] == [warning, removal]
