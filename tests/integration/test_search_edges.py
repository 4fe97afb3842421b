"""`search` at the desk at the edges of its input, from a real slixmpp operator through the real
ejabberd over MariaDB's FULLTEXT index: a natural-language query MariaDB's parser chokes on (a
lone `*`), and the last day a date field can name (9999-12-31). Each is an answer, never the
command failing; and the session goes on."""

from __future__ import annotations

import pytest

from tests.integration.helpdesk_fixtures import Desk
from tests.integration.test_adhoc_archive import numbers, staff
from tests.integration.test_adhoc_search import notes, search, seed

pytestmark = pytest.mark.integration


async def test_a_lone_star_in_natural_mode_finds_nothing_rather_than_failing(desk: Desk) -> None:
    await seed(desk)
    alice, *_ = await staff(desk)
    for query in ("*", " * "):
        answer = await search(alice, desk, query=query)
        assert answer["type"] == "result", answer
        assert numbers(answer) == [] and "shorter than 3 letters" in notes(answer)
        assert answer["command"]["status"] == "executing"
    assert numbers(await search(alice, desk, query="quick")) == [5, 3]


async def test_the_last_day_a_date_can_name_is_a_range_like_any_other(desk: Desk) -> None:
    await seed(desk)
    alice, *_ = await staff(desk)
    wide = {"from": "0001-01-01", "to": "9999-12-31"}
    assert numbers(await search(alice, desk, query="quick", **wide)) == [5, 3]
    assert numbers(await search(alice, desk, query="quick", to="9999-12-31")) == [5, 3]
    assert numbers(await search(alice, desk, query="quick", **{"from": "9999-12-31"})) == []
