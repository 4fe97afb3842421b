"""The SQL of webhooks and their deliveries on the real MariaDB: numbering, what is due (and what
is left out), results stored, expiry and purging, the operator events sent last, removal."""

from __future__ import annotations

import json

import pytest

from component.archive import ArchiveWriter
from component.deliveries import AttemptResult, Outcome
from component.records import DeliveryQueued
from component.storage.archive import ArchiveRepository
from component.storage.deliveries import DeliveryRepository
from component.storage.directory import NotFoundError
from component.storage.webhooks import WebhookRepository
from component.webhook_events import DEFAULT_EVENTS
from tests.integration.helpdesk_fixtures import Desk
from tests.integration.test_archive_store import acme_id

pytestmark = pytest.mark.integration

AT = 1_767_225_600.0


async def store(desk: Desk, *records: DeliveryQueued) -> None:
    """Through the archive writer, as the running component stores them."""
    writer = ArchiveWriter(
        ArchiveRepository(desk.db), flush_interval=0.01, batch_size=50, retry_max_delay=0.1
    )
    for record in records:
        writer.add_record(record)
    await writer.flush()


def delivery(n: int, site: int, webhook: int = 1, at: float = AT, **data: object) -> DeliveryQueued:
    body = json.dumps({"id": f"d-{n}", "data": data})
    return DeliveryQueued(
        f"00000000-0000-4000-8000-{n:012d}", site, webhook, "chat.started", body, at
    )


async def test_numbers_are_per_site_and_never_given_again(desk: Desk) -> None:
    acme = await acme_id(desk)
    globex = (await desk.admin.add_site("globex", "Globex")).id
    repo = WebhookRepository(desk.db)
    assert await repo.add_webhook(acme, "https://a.example/", "s1", DEFAULT_EVENTS) == 1
    assert await repo.add_webhook(acme, "https://b.example/", "s2", DEFAULT_EVENTS) == 2
    assert await repo.add_webhook(globex, "https://c.example/", "s3", DEFAULT_EVENTS) == 1
    assert await repo.remove_webhook(acme, 2) == 0
    assert await repo.add_webhook(acme, "https://d.example/", "s4", DEFAULT_EVENTS) == 3
    with pytest.raises(NotFoundError):
        await repo.remove_webhook(acme, 2)  # once
    with pytest.raises(NotFoundError):
        await repo.remove_webhook(globex, 3)  # another site's
    assert [w.number for w in await repo.list_webhooks(acme)] == [1, 3]
    assert await desk.rows("SELECT secret FROM webhooks WHERE number = 2") == [("",)]
    targets = {(t.site_id, t.number) for t in await repo.all_targets()}
    assert targets == {(acme, 1), (acme, 3), (globex, 1)}


async def test_due_is_oldest_first_without_the_busy_rows_and_blocked_webhooks(desk: Desk) -> None:
    site = await acme_id(desk)
    repo = WebhookRepository(desk.db)
    for url in ("https://one.example/", "https://two.example/"):
        await repo.add_webhook(site, url, "s", DEFAULT_EVENTS)
    await store(
        desk, delivery(1, site, 1, AT + 2), delivery(2, site, 2, AT), delivery(3, site, 1, AT + 1)
    )
    deliveries = DeliveryRepository(desk.db)
    due = await deliveries.due(AT + 10, 10)
    assert [d.delivery_id[-1] for d in due] == ["2", "3", "1"]
    assert (due[0].url, due[0].secret, due[0].attempts) == ("https://two.example/", "s", 0)
    assert [d.delivery_id[-1] for d in await deliveries.due(AT + 1, 10)] == ["2", "3"]
    busy = [due[1].row_id]
    assert [d.delivery_id[-1] for d in await deliveries.due(AT + 10, 10, busy, [(site, 2)])] == [
        "1"
    ]
    assert len(await deliveries.due(AT + 10, 1)) == 1


async def test_results_are_stored_and_decide_what_is_due_and_counted(desk: Desk) -> None:
    site = await acme_id(desk)
    await WebhookRepository(desk.db).add_webhook(site, "https://one.example/", "s", DEFAULT_EVENTS)
    await store(desk, *(delivery(n, site) for n in range(1, 5)))
    deliveries = DeliveryRepository(desk.db)
    one, two, three, four = await deliveries.due(AT, 10)
    await deliveries.save(
        [
            AttemptResult(one.row_id, 1, AT + 1, "HTTP 200", Outcome.DELIVERED),
            AttemptResult(two.row_id, 1, AT + 1, "HTTP 204", Outcome.DELIVERED),
            AttemptResult(three.row_id, 1, AT + 1, "HTTP 500", Outcome.RETRY, AT + 30),
            AttemptResult(four.row_id, 7, AT + 2, "timeout after 10 s", Outcome.FAILED),
        ]
    )
    assert await deliveries.due(AT + 29, 10) == []
    (again,) = await deliveries.due(AT + 30, 10)
    assert (again.row_id, again.attempts) == (three.row_id, 1)
    assert await deliveries.backlog() == 1
    (summary,) = await WebhookRepository(desk.db).list_webhooks(site)
    assert (summary.pending, summary.failed) == (1, 1)
    assert summary.last_error is not None and summary.last_error[0] in (
        "HTTP 500",
        "timeout after 10 s",
    )
    rows = await desk.rows("SELECT last_status FROM webhook_deliveries ORDER BY id")
    assert rows == [("HTTP 200",), ("HTTP 204",), ("HTTP 500",), ("timeout after 10 s",)]


async def test_expired_ones_fail_and_old_ones_and_removed_webhooks_ones_go(desk: Desk) -> None:
    site = await acme_id(desk)
    repo = WebhookRepository(desk.db)
    await repo.add_webhook(site, "https://one.example/", "s", DEFAULT_EVENTS)
    await repo.add_webhook(site, "https://two.example/", "s", DEFAULT_EVENTS)
    await store(desk, delivery(1, site, at=AT), delivery(2, site, at=AT + 100))
    deliveries = DeliveryRepository(desk.db)
    busy = [(await deliveries.due(AT + 200, 10))[1].row_id]
    assert await deliveries.expire(AT + 200, AT + 300, busy) == 1
    assert await deliveries.backlog() == 1
    assert await repo.remove_webhook(site, 2) == 0
    await store(desk, delivery(3, site, webhook=2))  # made before the removal was heard of
    assert [d.delivery_id[-1] for d in await deliveries.due(AT + 300, 10)] == ["2"]
    assert await deliveries.purge(None, 10) == 1  # the removed webhook's
    assert await deliveries.purge(AT + 301, 10) == 1  # the failed one
    assert await desk.rows("SELECT COUNT(*) FROM webhook_deliveries") == [(1,)]


async def test_the_operator_event_sent_last_is_read_back(desk: Desk) -> None:
    site = await acme_id(desk)
    await WebhookRepository(desk.db).add_webhook(site, "https://one.example/", "s", DEFAULT_EVENTS)

    def operator_event(n: int, event: str, operator: int) -> DeliveryQueued:
        body = json.dumps({"data": {"operator": {"id": operator, "name": "A"}}})
        return DeliveryQueued(f"00000000-0000-4000-8000-{n:012d}", site, 1, event, body, AT + n)

    await store(
        desk,
        operator_event(1, "operator.online", 11),
        operator_event(2, "operator.online", 12),
        operator_event(3, "operator.offline", 11),
        delivery(4, site),
    )
    last = await DeliveryRepository(desk.db).last_operator_events()
    assert last == {(site, 11): False, (site, 12): True}
