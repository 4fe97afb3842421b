"""`POST /api/v1/sites/{slug}/feedback` (§7.1): a visitor's feedback from the widget's form or
any client of the API, answered 201 `{"feedback": <number>}`.

The input is checked (visitor_input.py, then the desk's own check of the form), the site must
take feedback (409 `feedback_off`), and only then is it counted against the feedback limits
(429), so a refused request changes nothing and takes no token. What the visitor may correct is
told in their language (`lang`, else the site's), from the catalogue. CORS is the site's, by the
middleware.
"""

from __future__ import annotations

from aiohttp import web

from component.catalogue import Catalogue
from component.feedback import FeedbackForm, InvalidFeedback, checked_form
from component.models import Site
from component.web import visitor_input as check
from component.web.bodies import json_object
from component.web.errors import ApiError
from component.web.keys import CLIENT_IP
from component.web.ratelimits import RATE_LIMITS
from component.web.visitor_api import API

PATH = "/api/v1/sites/{slug}/feedback"
CODES = {
    "feedback_text_empty": "empty_message",
    "feedback_contact_invalid": "invalid_contact",
}
"""The error code of each refusal of the form (the others are `invalid`)."""


class _Say:
    """The visitor's language's text of a catalogue key."""

    def __init__(self, catalogue: Catalogue, site: Site, lang: str) -> None:
        self._catalogue = catalogue
        self._lang = catalogue.choose([lang], site.settings.lang)

    def __call__(self, key: str, **values: object) -> str:
        return self._catalogue.text(self._lang, key, **values)


def _form(sent: check.LeaveFeedback, max_chars: int, say: _Say) -> FeedbackForm:
    try:
        return checked_form(
            sent.text,
            name=sent.name,
            contact=sent.contact,
            page=sent.page,
            lang=sent.lang,
            max_chars=max_chars,
        )
    except InvalidFeedback as refusal:
        code = CODES.get(refusal.key, "invalid")
        raise ApiError(400, code, say(refusal.key, **refusal.values)) from None


async def leave_feedback(request: web.Request) -> web.Response:
    desk = request.app[API].desk
    sent = check.leave_feedback(await json_object(request))
    site = desk.state.site(request.match_info["slug"])  # an unknown site is 404, counted nowhere
    say = _Say(desk.state.catalogue, site, sent.lang)
    form = _form(sent, desk.state.max_body_chars, say)
    if not site.settings.feedback_form:
        raise ApiError(409, "feedback_off", say("feedback_off"))
    wait = request.app[RATE_LIMITS].feedback_wait(request[CLIENT_IP], site.id)
    if wait:
        raise ApiError(
            429, "rate_limited", say("feedback_rate_limited", seconds=wait), retry_after=wait
        )
    number = desk.feedback.leave(site.slug, form)
    return web.json_response({"feedback": number}, status=201)


def add_routes(app: web.Application) -> None:
    """Beside the visitor API's routes (it reads the desk from theirs)."""
    app.router.add_post(PATH, leave_feedback)
