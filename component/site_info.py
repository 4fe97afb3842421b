"""What `GET /api/v1/sites/{slug}` tells a widget about a site (SPEC §7.1): name, online state,
language, the shared avatar, and the operators a visitor may choose from.

Pure: plain values in, a JSON-ready dict out; must not import adapters or the use cases.
"""

from __future__ import annotations

from collections.abc import Iterable

from component.models import Operator, Site

AVATAR_PATH = "/api/v1/sites/{slug}/avatar"


def avatar_url(site: Site, base_url: str) -> str | None:
    """The absolute URL of the site's avatar under `base_url`; None when it has none."""
    if site.settings.avatar_etag is None:
        return None
    return base_url.rstrip("/") + AVATAR_PATH.format(slug=site.slug)


def site_info(site: Site, online: Iterable[Operator], base_url: str) -> dict[str, object]:
    """The site as its widget sees it; `online` are the site's operators online now.

    The operators' `id` is their membership's number, the id `helperchat operator list` shows
    (never their JID); they are listed only when the site lets visitors choose. `welcome` is an
    addition to §7.1's shape: the site's welcome text ("" for none), which the widget shows above
    the first message.
    """
    avatar = avatar_url(site, base_url)
    present = sorted(online, key=lambda op: (-op.priority, op.name.casefold(), op.jid))
    choosable = present if site.settings.visitor_choice else []
    return {
        "slug": site.slug,
        "name": site.name,
        "online": bool(present),
        "lang": str(site.settings.lang),
        "feedback_form": site.settings.feedback_form,
        "avatar": avatar,
        "welcome": site.settings.welcome,
        "operators": [{"id": op.id, "name": op.name, "avatar": avatar} for op in choosable],
    }
