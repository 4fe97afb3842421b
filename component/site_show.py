"""What `helperchat site show` prints: every setting of a site, its API key, its widget snippet.

Pure: formats values only; must not import adapters.
"""

from __future__ import annotations

import html

from component.models import Site

NO_PUBLIC_URL = "(set http.public_url in the configuration to get the snippet)"


def site_show_lines(site: Site, public_url: str | None) -> list[str]:
    """`key: value` lines; a multi-line welcome text continues on lines indented by two spaces."""
    s = site.settings
    avatar = f"{s.avatar_type} (etag {s.avatar_etag})" if s.avatar_type else "none"
    values = {
        "site": site.slug,
        "name": site.name,
        "strategy": str(s.strategy),
        "answer_timeout": f"{s.answer_timeout:.0f}",
        "default_operator": s.default_operator or "none",
        "target_operator": s.target_operator or "none",
        "max_chats": str(s.max_chats),
        "origins": " ".join(s.origins) or "none",
        "lang": str(s.lang),
        "visitor_choice": "on" if s.visitor_choice else "off",
        "welcome": s.welcome.replace("\n", "\n  "),
        "avatar": avatar,
        "api_key": s.api_key or "none",
        "feedback": "on" if s.feedback_form else "off",
        "feedback_emails": ", ".join(s.feedback_emails) or "none (feedback is not mailed)",
        "operators_see_all": "on" if s.operators_see_all else "off",
        "retention_days": f"{s.retention_days}" if s.retention_days else "0 (chats kept for ever)",
        "widget": widget_snippet(site.slug, public_url),
    }
    return [f"{key}: {value}" for key, value in values.items()]


def widget_snippet(slug: str, public_url: str | None) -> str:
    """The `<script>` tag that puts the chat on a page, or why there is none yet."""
    if public_url is None:
        return NO_PUBLIC_URL
    src = html.escape(f"{public_url.rstrip('/')}/widget.js")
    return f'<script src="{src}" data-site="{html.escape(slug)}" async></script>'
