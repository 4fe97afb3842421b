"""Tests for component/config.py: defaults, ${ENV} values, every problem by key path, the file."""

from __future__ import annotations

import copy
import dataclasses
import math
import re
from pathlib import Path
from typing import Any, get_type_hints

import pytest

from component import config as config_module
from component.config import (
    Config,
    ConfigError,
    MysqlConfig,
    XmppConfig,
    load_config,
    parse_config,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.yaml"
EXAMPLE_ENV = {"HELPERCHAT_XMPP_SECRET": "xmpp-secret", "HELPERCHAT_DB_PASSWORD": "db-password"}

MINIMAL: dict[str, Any] = {
    "xmpp": {"component_jid": "helpdesk.example.com", "secret": "s3cret"},
    "mysql": {"user": "helperchat", "database": "helperchat"},
}


def with_value(dotted: str, value: object) -> dict[str, Any]:
    """MINIMAL with `dotted` ("section" or "section.key") set to `value`."""
    data = copy.deepcopy(MINIMAL)
    section, _, key = dotted.partition(".")
    if key:
        data.setdefault(section, {})[key] = value
    else:
        data[section] = value
    return data


def without(dotted: str) -> dict[str, Any]:
    data = copy.deepcopy(MINIMAL)
    section, _, key = dotted.partition(".")
    if key:
        del data[section][key]
    else:
        del data[section]
    return data


def get(config: Config, dotted: str) -> object:
    section, key = dotted.split(".")
    return getattr(getattr(config, section), key)


def problems_of(data: object, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(data, env or {})
    return caught.value.problems


# --- defaults -------------------------------------------------------------------------------------


def test_minimal_config_gets_every_default() -> None:
    assert parse_config(MINIMAL, {}) == Config(
        xmpp=XmppConfig(component_jid="helpdesk.example.com", secret="s3cret"),
        mysql=MysqlConfig(user="helperchat", database="helperchat"),
    )


@pytest.mark.parametrize(
    ("dotted", "default"),
    [
        ("xmpp.host", "127.0.0.1"),
        ("xmpp.port", 5347),
        ("xmpp.reconnect_max_delay", 30.0),
        ("mysql.host", "127.0.0.1"),
        ("mysql.port", 3306),
        ("mysql.password", ""),
        ("mysql.pool_size", 5),
        ("mysql.connect_timeout", 5.0),
        ("mysql.query_timeout", 10.0),
        ("archive.flush_interval", 0.05),
        ("archive.batch_size", 500),
        ("archive.retry_max_delay", 5.0),
        ("archive.max_backlog", 100000),
        ("limits.max_body_chars", 10000),
        ("component.reload_interval", 5.0),
        ("log.level", "INFO"),
    ],
)
def test_contract_defaults(dotted: str, default: object) -> None:
    value = get(parse_config(MINIMAL, {}), dotted)
    assert value == default
    assert type(value) is type(default)


@pytest.mark.parametrize("section", ["archive", "limits", "component", "log", "http"])
def test_optional_section_left_empty_gets_defaults(section: str) -> None:
    assert parse_config(with_value(section, None), {}) == parse_config(MINIMAL, {})


def test_secrets_stay_out_of_repr() -> None:
    config = parse_config(with_value("mysql.password", "db-pass"), {})
    assert "s3cret" not in repr(config)
    assert "db-pass" not in repr(config)


# --- accepted values and ${ENV} substitution ------------------------------------------------------


@pytest.mark.parametrize(
    ("dotted", "value", "env", "expected"),
    [
        ("xmpp.port", 5275, {}, 5275),
        ("xmpp.reconnect_max_delay", 60, {}, 60.0),  # an int is fine where a float is expected
        ("archive.flush_interval", 0.2, {}, 0.2),
        ("log.level", "DEBUG", {}, "DEBUG"),
        ("xmpp.secret", "${SECRET}", {"SECRET": "from-env"}, "from-env"),
        ("mysql.password", "${PW}", {"PW": ""}, ""),
        ("mysql.port", "${PORT}", {"PORT": "3307"}, 3307),
        ("mysql.port", "${PORT}", {"PORT": "+3307"}, 3307),
        ("mysql.connect_timeout", "${T}", {"T": "2.5"}, 2.5),
        ("mysql.connect_timeout", "${T}", {"T": "10"}, 10.0),
        ("mysql.connect_timeout", "${T}", {"T": "1e1"}, 10.0),
        ("xmpp.host", "$HOST", {"HOST": "x"}, "$HOST"),  # only the exact ${NAME} form
        ("xmpp.host", "a${HOST}", {"HOST": "x"}, "a${HOST}"),
        ("xmpp.host", "${HOST}b", {"HOST": "x"}, "${HOST}b"),
    ],
)
def test_accepted_values(dotted: str, value: object, env: dict[str, str], expected: object) -> None:
    got = get(parse_config(with_value(dotted, value), env), dotted)
    assert got == expected
    assert type(got) is type(expected)


def test_load_config_reads_os_environ_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HC_TEST_SECRET", "from-os-environ")
    path = tmp_path / "c.yaml"
    path.write_text(
        "xmpp: {component_jid: h.example.com, secret: '${HC_TEST_SECRET}'}\n"
        "mysql: {user: u, database: d}\n",
        encoding="utf-8",
    )
    assert load_config(path).xmpp.secret == "from-os-environ"
    assert load_config(str(path), {"HC_TEST_SECRET": "given"}).xmpp.secret == "given"


# --- every kind of problem, with its exact key path -----------------------------------------------

BARE_DOMAIN = "must be a bare domain such as helpdesk.example.com (no @ or /)"


@pytest.mark.parametrize(
    ("data", "env", "problem"),
    [
        # missing required keys and sections
        (without("xmpp.component_jid"), {}, "xmpp.component_jid: required"),
        (without("xmpp.secret"), {}, "xmpp.secret: required"),
        (without("mysql.user"), {}, "mysql.user: required"),
        (without("mysql.database"), {}, "mysql.database: required"),
        (without("mysql"), {}, "mysql: required"),
        # unknown keys, at any level
        (with_value("xmpp.colour", "blue"), {}, "xmpp.colour: unknown key"),
        (with_value("log.format", "json"), {}, "log.format: unknown key"),
        (with_value("extra", {}), {}, "extra: unknown key"),
        # wrong types
        (with_value("mysql.port", "3306"), {}, "mysql.port: expected an integer, got a string"),
        (with_value("mysql.port", True), {}, "mysql.port: expected an integer, got a boolean"),
        (with_value("mysql.port", 3306.0), {}, "mysql.port: expected an integer, got a number"),
        (with_value("mysql.port", None), {}, "mysql.port: expected an integer, got null"),
        (with_value("xmpp.secret", 1234), {}, "xmpp.secret: expected a string, got an integer"),
        (with_value("xmpp.host", ["a"]), {}, "xmpp.host: expected a string, got a list"),
        (with_value("log.level", {"a": 1}), {}, "log.level: expected a string, got a mapping"),
        (
            with_value("archive.flush_interval", False),
            {},
            "archive.flush_interval: expected a number, got a boolean",
        ),
        (
            with_value("archive.flush_interval", math.inf),
            {},
            "archive.flush_interval: expected a number, got a non-finite number",
        ),
        (with_value("limits", [1]), {}, "limits: expected a mapping, got a list"),
        (with_value("xmpp", "h.example.com"), {}, "xmpp: expected a mapping, got a string"),
        ([MINIMAL], {}, "(top level): expected a mapping, got a list"),
        (None, {}, "(top level): expected a mapping, got null"),
        # environment variables
        (
            with_value("mysql.password", "${HC_DB_PASSWORD}"),
            {},
            "mysql.password: environment variable HC_DB_PASSWORD is not set",
        ),
        (
            with_value("mysql.port", "${PORT}"),
            {"PORT": "33o6"},
            "mysql.port: environment variable PORT is not an integer",
        ),
        (
            with_value("mysql.port", "${PORT}"),
            {"PORT": " 3306"},
            "mysql.port: environment variable PORT is not an integer",
        ),
        (
            with_value("mysql.port", "${PORT}"),
            {"PORT": "3306.0"},
            "mysql.port: environment variable PORT is not an integer",
        ),
        (
            with_value("mysql.connect_timeout", "${T}"),
            {"T": "nan"},
            "mysql.connect_timeout: environment variable T is not a number",
        ),
        (
            with_value("mysql.connect_timeout", "${T}"),
            {"T": ""},
            "mysql.connect_timeout: environment variable T is not a number",
        ),
        (
            with_value("mysql.port", "${PORT}"),
            {"PORT": "0"},
            "mysql.port: must be between 1 and 65535",
        ),
    ],
)
def test_problem_names_its_key(data: object, env: dict[str, str], problem: str) -> None:
    assert problems_of(data, env) == [problem]


POSITIVE = "must be greater than 0"
PORT_RANGE = "must be between 1 and 65535"
LEVELS = "must be one of DEBUG, INFO, WARNING, ERROR"


@pytest.mark.parametrize(
    ("dotted", "value", "message"),
    [
        ("xmpp.port", 0, PORT_RANGE),
        ("mysql.port", 65536, PORT_RANGE),
        ("xmpp.reconnect_max_delay", 0, POSITIVE),
        ("mysql.pool_size", 0, POSITIVE),
        ("mysql.connect_timeout", -1.0, POSITIVE),
        ("archive.flush_interval", 0.0, POSITIVE),
        ("archive.batch_size", -5, POSITIVE),
        ("archive.retry_max_delay", 0, POSITIVE),
        ("limits.max_body_chars", 0, POSITIVE),
        ("component.reload_interval", 0, POSITIVE),
        ("xmpp.component_jid", "desk@example.com", BARE_DOMAIN),
        ("xmpp.component_jid", "example.com/desk", BARE_DOMAIN),
        ("xmpp.component_jid", "", BARE_DOMAIN),
        ("xmpp.component_jid", "a b.example.com", BARE_DOMAIN),
        ("xmpp.secret", "", "must not be empty"),
        ("xmpp.host", "", "must not be empty"),
        ("mysql.user", " ", "must not be empty"),
        ("mysql.database", "", "must not be empty"),
        ("log.level", "info", LEVELS),
        ("log.level", "TRACE", LEVELS),
    ],
)
def test_semantic_check_names_its_key(dotted: str, value: object, message: str) -> None:
    assert problems_of(with_value(dotted, value)) == [f"{dotted}: {message}"]


@pytest.mark.parametrize(
    "typed", ["HelpDesk.Example.COM", "ｈｅｌｐｄｅｓｋ.example.com", "helpdesk.example.com"]
)
def test_component_jid_takes_its_xmpp_normal_form(typed: str) -> None:
    config = parse_config(with_value("xmpp.component_jid", typed), {})
    assert config.xmpp.component_jid == "helpdesk.example.com"


@pytest.mark.parametrize("typed", ["-bad.example.com", "exa..mple.com", "bad<name>.example"])
def test_component_jid_that_is_no_valid_domain_is_refused(typed: str) -> None:
    [problem] = problems_of(with_value("xmpp.component_jid", typed))
    assert problem.startswith(f"xmpp.component_jid: {typed!r} is not a valid domain")


def test_every_problem_is_reported_at_once() -> None:
    data = {
        "xmpp": {"component_jid": "desk@example.com", "port": "5347", "colour": "blue"},
        "mysql": {"user": "u", "database": "d", "password": "${HC_DB_PASSWORD}"},
        "log": {"level": "LOUD"},
        "extra": 1,
    }
    expected = [
        f"xmpp.component_jid: {BARE_DOMAIN}",
        "xmpp.secret: required",
        "xmpp.port: expected an integer, got a string",
        "xmpp.colour: unknown key",
        "mysql.password: environment variable HC_DB_PASSWORD is not set",
        "log.level: must be one of DEBUG, INFO, WARNING, ERROR",
        "extra: unknown key",
    ]
    with pytest.raises(ConfigError) as caught:
        parse_config(data, {})
    assert caught.value.problems == expected
    assert str(caught.value).splitlines() == expected


def test_value_problem_does_not_echo_the_value() -> None:
    problems = problems_of(with_value("mysql.port", "${PW}"), {"PW": "hunter2"})
    assert problems == ["mysql.port: environment variable PW is not an integer"]
    assert "hunter2" not in str(problems)


# --- the generic machinery on kinds the contract does not use yet (bool, str | None) ------------


BOOLEAN = "a boolean (true/false)"


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class _Kinds:
    flag: bool = False
    label: str | None = None


@pytest.mark.parametrize(
    ("raw", "env", "expected"),
    [
        ({}, {}, _Kinds()),
        ({"flag": True, "label": "x"}, {}, _Kinds(flag=True, label="x")),
        ({"label": None}, {}, _Kinds(label=None)),
        ({"flag": "${F}", "label": "${L}"}, {"F": "TRUE", "L": ""}, _Kinds(flag=True, label="")),
        ({"flag": "${F}"}, {"F": "false"}, _Kinds(flag=False)),
        ({"flag": 1}, {}, [f"kinds.flag: expected {BOOLEAN}, got an integer"]),
        ({"flag": None}, {}, [f"kinds.flag: expected {BOOLEAN}, got null"]),
        ({"flag": "${F}"}, {"F": "yes"}, ["kinds.flag: environment variable F is not " + BOOLEAN]),
        ({"label": 3}, {}, ["kinds.label: expected a string, got an integer"]),
    ],
)
def test_generic_bool_and_optional_fields(
    raw: dict[str, object], env: dict[str, str], expected: _Kinds | list[str]
) -> None:
    problems: list[str] = []
    built = config_module._build(_Kinds, raw, "kinds", env, problems)
    assert (problems if problems else built) == expected


# --- reading the file -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"xmpp: [unclosed\n", r"invalid YAML: .*\(line \d+, column \d+\)$"),
        (b"xmpp:\n  port: 1\n\tsecret: x\n", r"invalid YAML: .*\(line 3, column 1\)$"),
        (b"xmpp: {}\nxmpp: {}\n", r"invalid YAML: duplicate key 'xmpp' \(line 2, column 1\)$"),
        (b"xmpp:\n  port: 1\n  port: 2\n", r"invalid YAML: duplicate key 'port' \(line 3, col"),
        (b"", r"the file is empty$"),
        (b"# only a comment\n", r"the file is empty$"),
        (b"\xff\xfe not utf-8", r"cannot read file: .*utf-8"),
    ],
)
def test_bad_file_names_the_file(tmp_path: Path, content: bytes, problem: str) -> None:
    path = tmp_path / "helperchat.yaml"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as caught:
        load_config(path, {})
    assert len(caught.value.problems) == 1
    assert re.match(re.escape(f"{path}: ") + problem, caught.value.problems[0])


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    with pytest.raises(ConfigError) as caught:
        load_config(path, {})
    assert caught.value.problems == [f"{path}: file not found"]


def test_unreadable_path_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, {})  # a directory
    assert caught.value.problems[0].startswith(f"{tmp_path}: cannot read file: ")


def test_validation_problems_come_through_load_config(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("xmpp: {secret: x, port: 0}\nmysql: {user: u, database: d}\n", "utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, {})
    assert caught.value.problems == [
        "xmpp.component_jid: required",
        "xmpp.port: must be between 1 and 65535",
    ]


# --- config.example.yaml cannot rot ---------------------------------------------------------------


def test_example_loads_with_the_documented_defaults() -> None:
    assert load_config(EXAMPLE, EXAMPLE_ENV) == Config(
        xmpp=XmppConfig(component_jid="helpdesk.example.com", secret="xmpp-secret"),
        mysql=MysqlConfig(user="helperchat", database="helperchat", password="db-password"),
    )


def test_example_needs_its_env_vars() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(EXAMPLE, {})
    assert caught.value.problems == [
        "xmpp.secret: environment variable HELPERCHAT_XMPP_SECRET is not set",
        "mysql.password: environment variable HELPERCHAT_DB_PASSWORD is not set",
    ]


Key = tuple[str, ...]


def _example_keys() -> dict[Key, list[str]]:
    """Key path -> the comment lines just above it, read from the example's text (any depth)."""
    keys: dict[Key, list[str]] = {}
    path: list[str] = []
    comments: list[str] = []
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        if match := re.match(r"( *)([a-z_]+):", line):
            depth = len(match.group(1)) // 2
            path = [*path[:depth], match.group(2)]
            if depth > 0:
                keys[tuple(path)] = comments
            comments = []
        elif line.strip().startswith("#"):
            comments.append(line)
    return keys


def _fields_of(cls: type[Any], prefix: Key) -> dict[Key, bool]:
    """Key path -> whether it is a leaf, for every field of `cls` and of its nested sections."""
    found: dict[Key, bool] = {}
    hints = get_type_hints(cls)
    for f in dataclasses.fields(cls):
        key, hint = (*prefix, config_module.yaml_key(f)), hints[f.name]
        nested = isinstance(hint, type) and dataclasses.is_dataclass(hint)
        found[key] = not nested
        if nested:
            found.update(_fields_of(hint, key))
    return found


def _dataclass_keys() -> set[Key]:
    """Every key path below the sections, found by walking Config."""
    sections = get_type_hints(Config)
    return {
        key
        for section in dataclasses.fields(Config)
        for key in _fields_of(sections[section.name], (section.name,))
    }


def test_walk_finds_every_section() -> None:
    assert {key[0] for key in _dataclass_keys()} == {
        "xmpp",
        "mysql",
        "archive",
        "limits",
        "component",
        "log",
        "http",
        "smtp",
        "webhooks",
        "ejabberd_api",
    }
    assert ("http", "rate_limits", "chats_per_ip", "count") in _dataclass_keys()


def test_example_documents_every_field() -> None:
    documented, fields = set(_example_keys()), _dataclass_keys()
    assert fields - documented == set(), "fields missing from config.example.yaml"
    assert documented - fields == set(), "keys in config.example.yaml that no field reads"


@pytest.mark.parametrize("key", sorted(_example_keys()), ids=".".join)
def test_example_comment_gives_default_and_example(key: Key) -> None:
    comment = " ".join(_example_keys()[key])
    assert "Example:" in comment, f"{'.'.join(key)}: no example in its comment"
    assert "Default:" in comment or "Required" in comment, f"{'.'.join(key)}: no default"
