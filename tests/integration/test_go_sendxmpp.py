"""go-sendxmpp, a client written elsewhere, as a visitor: its message reaches the operator."""

import pytest

from tests.integration.helpdesk_fixtures import Desk
from tests.integration.thirdparty import go_sendxmpp

pytestmark = pytest.mark.integration


async def test_a_go_sendxmpp_visitor_reaches_the_operator_over_starttls(tls_desk: Desk) -> None:
    alice_jid = tls_desk.user("alice")
    await tls_desk.add_operator("acme", alice_jid, "Alice")
    await tls_desk.start_component()
    alice = await tls_desk.operator_online(alice_jid)
    visitor = tls_desk.user("gosend")
    await tls_desk.register(visitor)
    await go_sendxmpp(tls_desk.ejabberd, visitor, "secret", tls_desk.desk_jid(), "Hi from Go")
    header = await alice.expect_from(tls_desk.chat_jid(1), "Hi from Go")
    assert header.body.startswith(f"New chat acme.1 from {visitor.split('@')[0]} ({visitor})")
