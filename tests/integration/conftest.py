"""Integration tests run against the real servers of tests/integration/stack_fixtures.py."""

from tests.integration.browser_fixtures import browser
from tests.integration.helpdesk_fixtures import desk, tls_desk
from tests.integration.mail_fixtures import outbox
from tests.integration.schema_fixtures import new_database
from tests.integration.stack_fixtures import ejabberd, ejabberd_tls, mariadb, prosody, stack_dir

__all__ = [
    "browser",
    "desk",
    "ejabberd",
    "ejabberd_tls",
    "mariadb",
    "new_database",
    "outbox",
    "prosody",
    "stack_dir",
    "tls_desk",
]
