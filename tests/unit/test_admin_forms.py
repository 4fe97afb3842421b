"""The `settings` and `operators` forms in plain values (site_form.py, operator_form.py,
forms.py): pre-filled with today's values, answers checked as `site set` / `operator set` check
them with the field named, only what changed kept, a site's last admin kept."""

from __future__ import annotations

from dataclasses import replace

import pytest

from component.errors import InvalidField, InvalidInput, LastAdmin
from component.forms import FormField, changed, read_flag
from component.models import Operator, Site, SiteSettings, Strategy
from component.operator_form import (
    chosen_action,
    edit_changes,
    keeps_an_admin,
    new_operator,
    operator_fields,
    table,
)
from component.site_form import FIELDS, settings_changes, settings_fields
from component.xmpp.jids import normalize_bare_jid

LANGS = frozenset({"en", "ru"})
SETTINGS = SiteSettings(
    strategy=Strategy.PRIORITY,
    answer_timeout=60.0,
    default_operator="alice@x.test",
    feedback_emails=("a@x.test", "b@x.test"),
    welcome="Hi!\nHow can we help?",
)
SITE = Site(1, "acme", "Acme", SETTINGS)
ALICE = Operator(1, "alice@x.test", "Alice", priority=5, is_admin=True)
BOB = Operator(1, "bob@x.test", "Bob", max_chats=3)


def shown() -> tuple[FormField, ...]:
    return settings_fields(SITE, [ALICE, BOB], LANGS)


def answers(**changes: str) -> dict[str, str]:
    """What a client sends back: every field as shown, with `changes`."""
    return {f.var: f.value for f in shown()} | changes


def submit(**changes: str) -> dict[str, object]:
    return dict(settings_changes(SITE, shown(), answers(**changes), normalize_bare_jid, LANGS))


def test_the_form_shows_todays_values_under_site_set_option_names() -> None:
    values = {f.var: f.value for f in shown()}
    assert tuple(values) == FIELDS
    assert values["strategy"] == "priority" and values["answer_timeout"] == "60"
    assert values["default_operator"] == "alice@x.test" and values["target_operator"] == "none"
    assert values["feedback"] == "0" and values["feedback_email"] == "a@x.test, b@x.test"
    assert values["lang"] == "en" and values["welcome"] == "Hi!\nHow can we help?"
    options = {f.var: [v for v, _ in f.options] for f in shown()}
    assert options["default_operator"] == ["none", "alice@x.test", "bob@x.test"]
    assert options["lang"] == ["en", "ru"]
    assert set(options["strategy"]) == {str(s) for s in Strategy}


def test_the_form_sent_back_as_shown_changes_nothing() -> None:
    assert submit() == {}
    assert submit(feedback="false", answer_timeout=" 60 ", visitor_choice="False") == {}
    assert settings_changes(SITE, shown(), {}, normalize_bare_jid, LANGS) == {}


def test_only_the_changed_fields_come_back_validated() -> None:
    got = submit(
        strategy="round_robin",
        answer_timeout="90",
        default_operator="none",
        target_operator="Bob@X.test",
        feedback="1",
        feedback_email="c@example.com d@example.com",
        visitor_choice="true",
        lang="ru",
        welcome="",
    )
    assert got["strategy"] is Strategy.ROUND_ROBIN
    assert got["answer_timeout"] == 90 and got["default_operator"] is None
    assert got["target_operator"] == "bob@x.test"
    assert got["feedback_form"] is True
    assert got["feedback_emails"] == ("c@example.com", "d@example.com")
    assert got["visitor_choice"] is True and got["lang"] == "ru" and got["welcome"] == ""


def test_retention_and_who_reads_the_archive_are_in_the_form() -> None:
    values = {f.var: f.value for f in shown()}
    assert values["retention_days"] == "0" and values["operators_see_all"] == "0"
    got = submit(retention_days="30", operators_see_all="1")
    assert got == {"retention_days": 30, "operators_see_all": True}


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("answer_timeout", "0", "bad answer timeout 0"),
        ("answer_timeout", "soon", "not a whole number"),
        ("max_chats", "-1", "bad max chats"),
        ("strategy", "fastest", "bad strategy"),
        ("default_operator", "not a jid@", "bad operator JID"),
        ("feedback", "maybe", "expected on or off"),
        ("feedback_email", "nobody", "bad feedback e-mail address"),
        ("lang", "xx", "xx"),
        ("welcome", "w" * 501, "bad welcome text"),
        ("retention_days", "-1", "bad retention days"),
        ("retention_days", "36501", "bad retention days"),
        ("retention_days", "a week", "not a whole number"),
        ("operators_see_all", "perhaps", "expected on or off"),
    ],
)
def test_a_bad_value_is_refused_naming_its_field(field: str, value: str, said: str) -> None:
    with pytest.raises(InvalidField, match=said) as refused:
        submit(**{"max_chats": "4", field: value})
    assert refused.value.field == field


def test_the_answers_that_differ_from_the_form_are_the_changes() -> None:
    fields = operator_fields(BOB)
    assert changed(fields, {"name": "Bob", "priority": " 0 ", "extra": "x"}) == {}
    assert changed(fields, {"priority": "2"}) == {"priority": "2"}


@pytest.mark.parametrize(
    ("text", "value"), [("1", True), ("True", True), ("on", True), ("0", False), ("false", False)]
)
def test_flags_read_as_xep_0004_and_the_command_line_write_them(text: str, value: bool) -> None:
    assert read_flag("enabled", text) is value


def test_an_operator_form_is_prefilled_and_only_changes_come_back() -> None:
    fields = operator_fields(BOB)
    shown_values = {f.var: f.value for f in fields}
    assert shown_values == {
        "name": "Bob",
        "priority": "0",
        "max_chats": "3",
        "enabled": "1",
        "admin": "0",
    }
    same = edit_changes(BOB, fields, shown_values | {"enabled": "true"})
    assert same == {}
    got = edit_changes(BOB, fields, shown_values | {"priority": "7", "enabled": "0", "admin": "1"})
    assert got == {"priority": 7, "enabled": False, "is_admin": True}
    with pytest.raises(InvalidField, match="bad priority") as refused:
        edit_changes(BOB, fields, shown_values | {"priority": "2000000"})
    assert refused.value.field == "priority"
    with pytest.raises(InvalidField) as empty_name:
        edit_changes(BOB, fields, shown_values | {"name": ""})
    assert empty_name.value.field == "name"


def test_a_new_operator_form_has_the_defaults_of_operator_add() -> None:
    fields = operator_fields(None)
    assert [f.var for f in fields] == ["name", "priority", "max_chats", "admin"]
    assert new_operator({"name": "Carol", "priority": "2", "admin": "1"}) == ("Carol", 2, 0, True)
    with pytest.raises(InvalidField, match="not a whole number"):
        new_operator({"name": "Carol", "max_chats": "many"})


def test_the_table_and_the_choice() -> None:
    rows = table([ALICE, replace(BOB, enabled=False)])
    assert rows[0]["admin"] == "yes" and rows[1]["enabled"] == "no" and rows[1]["max_chats"] == "3"
    assert chosen_action({}) == "edit" and chosen_action({"action": "remove"}) == "remove"
    with pytest.raises(InvalidInput, match="action"):
        chosen_action({"action": "promote"})


def test_the_last_admin_is_neither_removed_nor_demoted() -> None:
    with pytest.raises(LastAdmin, match="last admin of acme"):
        keeps_an_admin(SITE, [ALICE, BOB], ALICE.jid, removed=True)
    with pytest.raises(LastAdmin, match="demoted"):
        keeps_an_admin(SITE, [ALICE, BOB], ALICE.jid)
    keeps_an_admin(SITE, [ALICE, BOB], BOB.jid, removed=True)
    keeps_an_admin(SITE, [ALICE, replace(BOB, is_admin=True)], ALICE.jid, removed=True)
