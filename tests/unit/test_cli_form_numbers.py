"""A number that is not a whole number, typed into `site set` / `operator set` or into the same
field of the desk's `settings` / `operators` form, is refused by both with the same text (the
command line's usage error names the option; the form names the field)."""

from __future__ import annotations

import pytest

from component.__main__ import main
from component.errors import InvalidField
from component.operator_form import edit_changes, operator_fields
from component.site_form import settings_changes, settings_fields
from component.xmpp.jids import normalize_bare_jid
from tests.unit.test_admin_forms import ALICE, BOB, LANGS, SITE

BAD = ("many", "1.5", "0x10", "")


def form_text(field: str, text: str) -> str:
    shown = settings_fields(SITE, [ALICE, BOB], LANGS)
    with pytest.raises(InvalidField) as refused:
        settings_changes(SITE, shown, {field: text}, normalize_bare_jid, LANGS)
    assert refused.value.field == field
    return refused.value.text


def operator_form_text(field: str, text: str) -> str:
    with pytest.raises(InvalidField) as refused:
        edit_changes(BOB, operator_fields(BOB), {field: text or " x"})
    assert refused.value.field == field
    return refused.value.text


def cli_text(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit) as stopped:
        main(list(args))
    assert stopped.value.code == 2
    return capsys.readouterr().err


@pytest.mark.parametrize("bad", BAD)
@pytest.mark.parametrize("field", ["answer_timeout", "max_chats", "retention_days"])
def test_site_set_and_the_settings_form_say_the_same(
    field: str, bad: str, capsys: pytest.CaptureFixture[str]
) -> None:
    option = "--" + field.replace("_", "-")
    said = cli_text(capsys, "site", "set", "acme", option, bad)
    assert f"argument {option}: {form_text(field, bad)}" in said


@pytest.mark.parametrize("bad", BAD[:3])
@pytest.mark.parametrize("field", ["priority", "max_chats"])
def test_operator_set_and_the_operators_form_say_the_same(
    field: str, bad: str, capsys: pytest.CaptureFixture[str]
) -> None:
    option = "--" + field.replace("_", "-")
    said = cli_text(capsys, "operator", "set", "acme", "bob@x.test", option, bad)
    assert f"argument {option}: {operator_form_text(field, bad)}" in said
