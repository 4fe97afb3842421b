"""The desk's `settings` form: a site's settings as fields pre-filled with today's values, and the
answers turned into SiteChanges by `site set`'s own validation (admin.site_set_changes), only
what changed. Field vars are `site set`'s option names with `-` -> `_`. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from component.admin import JidNormalizer, SiteChanges, site_set_changes, whole_number
from component.forms import FormField, changed, flag, read_flag
from component.models import Operator, Site, SiteSettings, Strategy

NONE = "none"
FIELDS = (
    "strategy",
    "answer_timeout",
    "default_operator",
    "target_operator",
    "max_chats",
    "feedback",
    "feedback_email",
    "visitor_choice",
    "lang",
    "welcome",
    "retention_days",
    "operators_see_all",
)


def settings_fields(
    site: Site, operators: Sequence[Operator], languages: Collection[str]
) -> tuple[FormField, ...]:
    """The form as shown: every setting with its value today; operators to choose from (or
    none) for the default and target operators."""
    s = site.settings
    people = ((NONE, "none"), *((op.jid, f"{op.name} ({op.jid})") for op in operators))
    return (
        FormField(
            "strategy",
            "Routing strategy",
            "list-single",
            str(s.strategy),
            tuple((str(x), str(x)) for x in Strategy),
        ),
        FormField(
            "answer_timeout", "Answer timeout (seconds, 1-86400)", value=f"{s.answer_timeout:.0f}"
        ),
        FormField(
            "default_operator",
            "Default operator",
            "list-single",
            s.default_operator or NONE,
            people,
        ),
        FormField(
            "target_operator", "Target operator", "list-single", s.target_operator or NONE, people
        ),
        FormField("max_chats", "Max chats per operator (0 = unlimited)", value=str(s.max_chats)),
        FormField(
            "feedback", "Feedback form when nobody is online", "boolean", flag(s.feedback_form)
        ),
        FormField(
            "feedback_email",
            "Feedback mailed to (addresses, or none)",
            value=", ".join(s.feedback_emails) or NONE,
        ),
        FormField("visitor_choice", "Visitors pick operators", "boolean", flag(s.visitor_choice)),
        FormField(
            "lang", "Language", "list-single", s.lang, tuple((x, x) for x in sorted(languages))
        ),
        FormField("welcome", "Welcome text (up to 500 characters)", "text-multi", s.welcome),
        FormField(
            "retention_days",
            "Keep closed chats this many days (0 = for ever)",
            value=str(s.retention_days),
        ),
        FormField(
            "operators_see_all",
            "Every operator reads every chat of the archive",
            "boolean",
            flag(s.operators_see_all),
        ),
    )


def settings_changes(
    site: Site,
    shown: tuple[FormField, ...],
    submitted: Mapping[str, str],
    normalize_jid: JidNormalizer,
    languages: Collection[str],
) -> SiteChanges:
    """The changes the answers ask for, validated as `site set` validates them (InvalidField
    names the field of a bad value), leaving out what is as it was. Whether the default and
    target operators belong to the site is Admin.set_site's check, as for `site set`."""
    answers = changed(shown, dict(submitted))

    def flag_of(var: str) -> bool | None:
        return None if var not in answers else read_flag(var, answers[var])

    def number_of(var: str) -> int | None:
        return None if var not in answers else whole_number(var, answers[var])

    changes = site_set_changes(
        normalize_jid,
        strategy=answers.get("strategy"),
        answer_timeout=number_of("answer_timeout"),
        default_operator=answers.get("default_operator"),
        target_operator=answers.get("target_operator"),
        max_chats=number_of("max_chats"),
        feedback=flag_of("feedback"),
        feedback_email=answers.get("feedback_email"),
        visitor_choice=flag_of("visitor_choice"),
        lang=answers.get("lang"),
        languages=languages,
        welcome=answers.get("welcome"),
        retention_days=number_of("retention_days"),
        operators_see_all=flag_of("operators_see_all"),
    )
    return _only_new(changes, site.settings)


def _only_new(changes: SiteChanges, settings: SiteSettings) -> SiteChanges:
    kept = SiteChanges()
    for key, value in changes.items():
        if getattr(settings, key) != value:
            kept[key] = value  # type: ignore[literal-required]
    return kept
