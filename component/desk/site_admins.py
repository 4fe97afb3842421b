"""Who may run a site's administration commands at its desk (`settings`, `operators`): its
admins only. Pure: reads the desk's directory, no I/O.
"""

from __future__ import annotations

from component.desk.helpdesk import HelpDesk
from component.errors import NotAllowed
from component.models import Operator, Site

ADMIN_COMMANDS = ("settings", "operators")
"""At a desk `site@D`, listed to and run by the site's admins only."""


def admin_of(desk: HelpDesk, requester: str, slug: str) -> tuple[Site, Operator]:
    """The site and its admin `requester`: UnknownSite, or NotAllowed for anyone else (its other
    operators, other sites' operators, strangers)."""
    site = desk.state.site(slug)
    operator = desk.directory.operator(site.id, requester)
    if operator is None or not operator.is_admin:
        raise NotAllowed(f"only admins of {site.slug} may change its settings and operators")
    return site, operator


def is_admin(desk: HelpDesk, requester: str, site: Site) -> bool:
    operator = desk.directory.operator(site.id, requester)
    return operator is not None and operator.is_admin
