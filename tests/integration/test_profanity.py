"""profanity, a terminal client written elsewhere, as an operator: logs in over STARTTLS, accepts
the desk's subscription, receives a chat, answers it and runs the chat's ad-hoc `info` with /cmd.
Its screens go to test-artifacts/."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from component.models import Tier
from tests.integration.clients import Client
from tests.integration.helpdesk_fixtures import Desk
from tests.integration.thirdparty import Profanity, artifacts_dir

pytestmark = pytest.mark.integration


@pytest.fixture
def profanity(tmp_path: Path) -> Iterator[Profanity]:
    client = Profanity(tmp_path / "home").start()
    yield client
    client.stop()


async def operator_with_a_chat(tls_desk: Desk, profanity: Profanity, shots: Path) -> Client:
    """Pat logs in with profanity, accepts the desk and gets chat acme.1; returns its visitor."""
    desk, chat = tls_desk.desk_jid(), tls_desk.chat_jid(1)
    pat = tls_desk.user("pat")
    await tls_desk.add_operator("acme", pat, "Pat")
    await tls_desk.start_component()  # its subscription request waits on the server for Pat

    await profanity.wait_for("Type '/help'")
    server = tls_desk.ejabberd
    profanity.type(f"/connect {pat} server {server.host} port {server.c2s_port} tls trust")
    await profanity.wait_for("Enter password")
    profanity.type("secret")
    (shots / "1-logged-in.txt").write_text(await profanity.wait_for("logged in successfully"))

    request = await profanity.wait_for(f"Received authorization request from {desk}")
    (shots / "2-request.txt").write_text(request)
    profanity.type(f"/sub allow {desk}")
    profanity.type(f"/sub request {desk}")
    await tls_desk.wait_for(lambda: tls_desk.service.presence.tier_of(pat) is not Tier.OFFLINE)
    (shots / "3-accepted.txt").write_text(await profanity.wait_for(f'{desk} is online, "No one'))

    visitor = await tls_desk.client(tls_desk.user("visitor"))
    visitor.send(desk, "Hello from the shop")
    (shots / "4-chat.txt").write_text(await profanity.wait_for(f"chat message: {chat}"))
    return visitor


async def test_a_profanity_operator_accepts_the_desk_and_answers_a_chat(
    tls_desk: Desk, profanity: Profanity
) -> None:
    shots = artifacts_dir("profanity")
    visitor = await operator_with_a_chat(tls_desk, profanity, shots)
    profanity.type(f"/msg {tls_desk.chat_jid(1)} Hello, Pat here. How can I help?")
    await visitor.expect_from(tls_desk.desk_jid(), "Pat here")  # the visitor talks to the desk
    (shots / "5-answered.txt").write_text(await profanity.wait_for("Hello from the shop"))


async def test_a_profanity_operator_runs_info_as_an_ad_hoc_command(
    tls_desk: Desk, profanity: Profanity
) -> None:
    """`/info` is profanity's own command: operators run the chat's `info` with /cmd (SPEC §2)."""
    shots = artifacts_dir("profanity-adhoc/info")
    await operator_with_a_chat(tls_desk, profanity, shots)
    profanity.type(f"/msg {tls_desk.chat_jid(1)}")  # the chat's window: /cmd answers there
    profanity.type("/cmd list")
    (shots / "5-commands.txt").write_text(await profanity.wait_for("Ad hoc commands:"))
    profanity.type("/cmd exec info")
    (shots / "6-info.txt").write_text(await profanity.wait_for("Visitor messages: 1"))
