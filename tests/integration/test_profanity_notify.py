"""profanity, a terminal client written elsewhere, as an operator receiving the notification API's
messages from the desk JID: one while online, one kept by ejabberd while offline and shown at the
next login. Its screens go to test-artifacts/profanity-notify/."""

from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from component.models import Tier
from tests.integration.helpdesk_fixtures import Desk
from tests.integration.thirdparty import Profanity, artifacts_dir

pytestmark = pytest.mark.integration


@pytest.fixture
def profanity(tmp_path: Path) -> Iterator[Profanity]:
    client = Profanity(tmp_path / "home").start()
    yield client
    client.stop()


async def notify(desk: Desk, body: dict[str, str]) -> None:
    key = (await desk.admin.show_site("acme")).settings.api_key
    url = f"http://127.0.0.1:{desk.config.http.port}/api/v1/sites/acme/notify"
    async with aiohttp.ClientSession() as session:
        headers = {"Authorization": f"Bearer {key}"}
        async with session.post(url, json=body, headers=headers) as answer:
            assert answer.status == 202, await answer.text()


async def log_in(desk: Desk, profanity: Profanity, jid: str) -> str:
    await profanity.wait_for("Type '/help'")
    server = desk.ejabberd
    profanity.type(f"/connect {jid} server {server.host} port {server.c2s_port} tls trust")
    await profanity.wait_for("Enter password")
    profanity.type("secret")
    return await profanity.wait_for("logged in successfully")


async def test_profanity_shows_a_notification_online_and_one_kept_while_offline(
    tls_desk: Desk, profanity: Profanity
) -> None:
    shots = artifacts_dir("profanity-notify")
    desk = tls_desk.desk_jid()
    pat = tls_desk.user("pat")
    await tls_desk.add_operator("acme", pat, "Pat")
    await tls_desk.start_component()
    await notify(tls_desk, {"text": "Order #122 placed by Ann (2 anvils)", "to": "all"})

    (shots / "1-logged-in.txt").write_text(await log_in(tls_desk, profanity, pat))
    profanity.type(f"/sub allow {desk}")
    profanity.type(f"/sub request {desk}")
    await tls_desk.wait_for(lambda: tls_desk.service.presence.tier_of(pat) is not Tier.OFFLINE)
    (shots / "2-console.txt").write_text(await profanity.wait_for(f"chat message: {desk}"))

    cart = "Cart filled: 3 rockets, 1 roller skates"
    await notify(tls_desk, {"text": cart, "url": "https://shop.acme.test/carts/7", "to": "online"})
    profanity.type(f"/msg {desk}")  # the desk's window: both notifications, in order
    screen = await profanity.wait_for("https://shop.acme.test/carts/7")
    (shots / "3-desk-window.txt").write_text(screen)
    assert screen.index("Order #122 placed by Ann") < screen.index(cart)
