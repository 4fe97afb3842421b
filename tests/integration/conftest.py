"""Integration tests run against the real servers of tests/integration/stack_fixtures.py."""

from tests.integration.helpdesk_fixtures import desk
from tests.integration.schema_fixtures import new_database
from tests.integration.stack_fixtures import ejabberd, mariadb, prosody, stack_dir

__all__ = ["desk", "ejabberd", "mariadb", "new_database", "prosody", "stack_dir"]
