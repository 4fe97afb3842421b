"""The site info a widget reads (component.site_info): online, visitor choice, avatar URL."""

from __future__ import annotations

import dataclasses

import pytest

from component.models import Site
from component.site_info import avatar_url, site_info
from tests.unit.fakes import ACME, ALICE, BOB

BASE = "https://help.example.com"


def acme(**settings: object) -> Site:
    return dataclasses.replace(ACME, settings=dataclasses.replace(ACME.settings, **settings))


@pytest.mark.parametrize(
    ("site", "online", "expected_online", "expected_operators"),
    [
        (acme(), [], False, []),
        (acme(), [ALICE], True, []),  # no visitor choice: nobody listed
        (acme(visitor_choice=True), [], False, []),
        (
            acme(visitor_choice=True),
            [BOB, ALICE],  # listed by priority, highest first
            True,
            [
                {"id": ALICE.id, "name": "Alice", "avatar": None},
                {"id": BOB.id, "name": "Bob", "avatar": None},
            ],
        ),
    ],
)
def test_online_and_the_operators_to_choose_from(
    site: Site, online: list[object], expected_online: bool, expected_operators: list[object]
) -> None:
    info = site_info(site, online, BASE)  # type: ignore[arg-type]
    assert info["online"] is expected_online
    assert info["operators"] == expected_operators


def test_the_whole_shape_with_an_avatar_and_russian() -> None:
    site = acme(lang="ru", visitor_choice=True, welcome="Привет", avatar_etag="ab12")
    avatar = f"{BASE}/api/v1/sites/acme/avatar"
    assert site_info(site, [ALICE], BASE + "/") == {
        "slug": "acme",
        "name": "Acme Inc.",
        "online": True,
        "lang": "ru",
        "feedback_form": False,
        "avatar": avatar,
        "welcome": "Привет",
        "operators": [{"id": ALICE.id, "name": "Alice", "avatar": avatar}],
    }


def test_no_avatar_is_null() -> None:
    assert avatar_url(acme(), BASE) is None
    assert site_info(acme(), [], BASE)["avatar"] is None
