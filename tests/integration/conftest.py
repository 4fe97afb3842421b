"""Integration tests run against the real servers of tests/integration/stack_fixtures.py."""

from tests.integration.helpdesk_fixtures import desk
from tests.integration.stack_fixtures import ejabberd, mariadb, prosody, stack_dir

__all__ = ["desk", "ejabberd", "mariadb", "prosody", "stack_dir"]
