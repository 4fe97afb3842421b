"""Read the YAML configuration file into frozen dataclasses; every problem names its key path.

The only module that imports yaml; of the component it imports only component.xmpp.jids (the
component's domain takes XMPP's normal form) and the pure component.mail (addresses). Validation
is generic over the dataclass fields, plus per-field semantic checks and normalisations declared in
the field metadata, and a section's own `problems()` across its fields. A field named after a
Python keyword takes a trailing underscore (`from_` is the key `from`).
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
import types
from collections.abc import Callable, Mapping
from dataclasses import MISSING, Field, dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints
from urllib.parse import urlsplit

import yaml

from component.mail import mailbox_of
from component.xmpp.jids import normalize_domain

_T = TypeVar("_T")
_Check = Callable[[Any], str | None]
_Normalize = Callable[[Any], Any]  # raises ValueError with the problem

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class ConfigError(Exception):
    """The configuration is unusable; `problems` lists every reason, each led by its key path."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


# --- semantic checks: return a problem (without the key path) or None --------------------------


def _port(value: int) -> str | None:
    return None if 1 <= value <= 65535 else "must be between 1 and 65535"


def _positive(value: float) -> str | None:
    return None if value > 0 else "must be greater than 0"


def _non_empty(value: str) -> str | None:
    return None if value.strip() else "must not be empty"


def _bare_domain(value: str) -> str | None:
    if not value or any(c in value for c in "@/") or any(c.isspace() for c in value):
        return "must be a bare domain such as helpdesk.example.com (no @ or /)"
    return None


def _not_negative(value: float) -> str | None:
    return None if value >= 0 else "must be 0 or more"


_PUBLIC_URL = "must be an absolute http:// or https:// URL such as https://helpdesk.example.com"


def _public_url(value: str) -> str | None:
    try:
        _normalize_public_url(value)
    except ValueError:
        return _PUBLIC_URL
    return None


def _normalize_public_url(value: str) -> str:
    """`scheme://host[:port][/path]`, lower-case scheme and host, no trailing slash."""
    parts = urlsplit(value)
    host, port = parts.hostname, parts.port  # .port raises ValueError when out of range
    if parts.scheme.lower() not in ("http", "https") or not host or parts.username is not None:
        raise ValueError(_PUBLIC_URL)
    if parts.query or parts.fragment or "?" in value or "#" in value:
        raise ValueError(_PUBLIC_URL)
    if any(c.isspace() for c in value):
        raise ValueError(_PUBLIC_URL)
    shown = f"[{host}]" if ":" in host else host
    netloc = shown if port is None else f"{shown}:{port}"
    return f"{parts.scheme.lower()}://{netloc}{parts.path.rstrip('/')}"


def _networks(values: tuple[str, ...]) -> str | None:
    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            return f"{value!r} is not an IP address or network (CIDR)"
    return None


def _normalize_networks(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(str(ipaddress.ip_network(value, strict=False)) for value in values)


def _log_level(value: str) -> str | None:
    return None if value in LOG_LEVELS else f"must be one of {', '.join(LOG_LEVELS)}"


def _absolute_path(value: str) -> str:
    """`~` expanded, relative to the directory the command runs in."""
    return os.path.abspath(os.path.expanduser(value))


def _meta(check: _Check, normalize: _Normalize | None = None) -> dict[str, Any]:
    return {"check": check, "normalize": normalize}


# --- the configuration ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class XmppConfig:
    component_jid: str = field(metadata=_meta(_bare_domain, normalize_domain))
    secret: str = field(repr=False, metadata=_meta(_non_empty))
    host: str = field(default="127.0.0.1", metadata=_meta(_non_empty))
    port: int = field(default=5347, metadata=_meta(_port))
    reconnect_max_delay: float = field(default=30.0, metadata=_meta(_positive))


@dataclass(frozen=True, slots=True, kw_only=True)
class MysqlConfig:
    host: str = field(default="127.0.0.1", metadata=_meta(_non_empty))
    port: int = field(default=3306, metadata=_meta(_port))
    user: str = field(metadata=_meta(_non_empty))
    password: str = field(default="", repr=False)
    database: str = field(metadata=_meta(_non_empty))
    pool_size: int = field(default=5, metadata=_meta(_positive))
    connect_timeout: float = field(default=5.0, metadata=_meta(_positive))
    query_timeout: float = field(default=10.0, metadata=_meta(_positive))


@dataclass(frozen=True, slots=True, kw_only=True)
class ArchiveConfig:
    flush_interval: float = field(default=0.05, metadata=_meta(_positive))
    batch_size: int = field(default=500, metadata=_meta(_positive))
    retry_max_delay: float = field(default=5.0, metadata=_meta(_positive))
    max_backlog: int = field(default=100_000, metadata=_meta(_positive))
    # None: the default place for this environment (spool_dir_of)
    spool_dir: str | None = field(default=None, metadata=_meta(_non_empty, _absolute_path))
    # the retention purge inside `run`: first this long after the start, then every interval
    purge_interval: float = field(default=86_400.0, metadata=_meta(_positive))
    purge_first_delay: float = field(default=600.0, metadata=_meta(_positive))


def default_spool_dir(environ: Mapping[str, str]) -> str:
    """Where the spool goes unless archive.spool_dir says: under systemd's StateDirectory= (the
    first of $STATE_DIRECTORY), else in the XDG state directory of whoever runs HelperChat
    ($XDG_STATE_HOME when absolute, else ~/.local/state)."""
    state = environ.get("STATE_DIRECTORY", "").split(":")[0]
    if state:
        return os.path.join(state, "spool")
    xdg = environ.get("XDG_STATE_HOME", "")
    home = environ.get("HOME") or os.path.expanduser("~")
    base = xdg if os.path.isabs(xdg) else os.path.join(home, ".local", "state")
    return os.path.join(base, "helperchat", "spool")


def spool_dir_of(archive: ArchiveConfig, environ: Mapping[str, str] = os.environ) -> Path:
    """The spool directory in use: archive.spool_dir, or the default for this environment."""
    return Path(archive.spool_dir or default_spool_dir(environ))


@dataclass(frozen=True, slots=True, kw_only=True)
class LimitsConfig:
    max_body_chars: int = field(default=10000, metadata=_meta(_positive))
    max_open_chats_per_site: int = field(default=1000, metadata=_meta(_positive))
    unanswered_expiry_seconds: float = field(default=86400.0, metadata=_meta(_positive))


@dataclass(frozen=True, slots=True, kw_only=True)
class ComponentConfig:
    reload_interval: float = field(default=5.0, metadata=_meta(_positive))


@dataclass(frozen=True, slots=True, kw_only=True)
class RateConfig:
    """`count` events per `per_seconds`, in a burst or spread out (a token bucket)."""

    count: int = field(metadata=_meta(_positive))
    per_seconds: float = field(metadata=_meta(_positive))


@dataclass(frozen=True, slots=True, kw_only=True)
class RateLimitsConfig:
    chats_per_ip: RateConfig = field(default_factory=lambda: RateConfig(count=5, per_seconds=600.0))
    chats_per_site: RateConfig = field(
        default_factory=lambda: RateConfig(count=120, per_seconds=60.0)
    )
    messages_per_ip: RateConfig = field(
        default_factory=lambda: RateConfig(count=60, per_seconds=60.0)
    )
    messages_per_chat: RateConfig = field(
        default_factory=lambda: RateConfig(count=30, per_seconds=60.0)
    )
    requests_per_ip: RateConfig = field(
        default_factory=lambda: RateConfig(count=600, per_seconds=60.0)
    )
    feedback_per_ip: RateConfig = field(
        default_factory=lambda: RateConfig(count=5, per_seconds=600.0)
    )
    feedback_per_site: RateConfig = field(
        default_factory=lambda: RateConfig(count=30, per_seconds=60.0)
    )
    max_ips: int = field(default=100_000, metadata=_meta(_positive))
    chats_per_jid: RateConfig = field(
        default_factory=lambda: RateConfig(count=5, per_seconds=600.0)
    )
    chats_per_domain: RateConfig = field(
        default_factory=lambda: RateConfig(count=60, per_seconds=60.0)
    )
    messages_per_jid: RateConfig = field(
        default_factory=lambda: RateConfig(count=60, per_seconds=60.0)
    )
    messages_per_domain: RateConfig = field(
        default_factory=lambda: RateConfig(count=600, per_seconds=60.0)
    )
    signals_per_jid: RateConfig = field(
        default_factory=lambda: RateConfig(count=120, per_seconds=60.0)
    )
    max_jids: int = field(default=100_000, metadata=_meta(_positive))
    notify_per_site: RateConfig = field(
        default_factory=lambda: RateConfig(count=60, per_seconds=60.0)
    )

    def rates(self) -> dict[str, RateConfig]:
        """Every limit by its name here (the name refusals are counted under)."""
        values = ((f.name, getattr(self, f.name)) for f in fields(self))
        return {name: value for name, value in values if isinstance(value, RateConfig)}


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpConfig:
    host: str = field(default="127.0.0.1", metadata=_meta(_non_empty))
    port: int = field(default=8080, metadata=_meta(_port))
    public_url: str | None = field(default=None, metadata=_meta(_public_url, _normalize_public_url))
    trusted_proxies: tuple[str, ...] = field(
        default=(), metadata=_meta(_networks, _normalize_networks)
    )
    cors_max_age: int = field(default=600, metadata=_meta(_not_negative))
    max_body_bytes: int = field(default=65536, metadata=_meta(_positive))
    rate_limits: RateLimitsConfig = field(default_factory=RateLimitsConfig)
    max_sockets_per_chat: int = field(default=4, metadata=_meta(_positive))
    max_connections_per_ip: int = field(default=100, metadata=_meta(_positive))
    max_held_connections: int | None = field(default=None, metadata=_meta(_positive))


def _mailbox(value: str) -> str | None:
    if value and mailbox_of(value) is None:  # "" is for SmtpConfig.problems() to judge
        return "must be one e-mail address, optionally with a name: Name <desk@example.com>"
    return None


_LOOPBACK_NAMES = ("localhost", "localhost.")


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host.lower() in _LOOPBACK_NAMES


@dataclass(frozen=True, slots=True, kw_only=True)
class SmtpConfig:
    """Where mail goes (the outbox drainer); `host` None: mail is not configured."""

    host: str | None = field(default=None, metadata=_meta(_non_empty))
    port: int | None = field(default=None, metadata=_meta(_port))
    from_: str = field(default="", metadata=_meta(_mailbox))
    username: str = ""
    password: str = field(default="", repr=False)
    starttls: bool = False
    tls: bool = False
    ca_file: str | None = field(default=None, metadata=_meta(_non_empty, _absolute_path))
    timeout: float = field(default=30.0, metadata=_meta(_positive))
    batch_size: int = field(default=100, metadata=_meta(_positive))
    poll_interval: float = field(default=60.0, metadata=_meta(_positive))
    retry_min_delay: float = field(default=10.0, metadata=_meta(_positive))
    retry_max_delay: float = field(default=900.0, metadata=_meta(_positive))

    @property
    def configured(self) -> bool:
        return self.host is not None

    @property
    def effective_port(self) -> int:
        """`port`, else the usual one: 465 for implicit TLS, 587 for STARTTLS, else 25."""
        if self.port is not None:
            return self.port
        return 465 if self.tls else 587 if self.starttls else 25

    def problems(self) -> list[tuple[str, str]]:
        """(key, problem) for what is wrong across fields."""
        if self.host is None:
            return [] if self == SmtpConfig() else [("host", "required to send mail")]
        found = [("from", "required with smtp.host")] if not self.from_ else []
        if self.starttls and self.tls:
            found.append(("tls", "starttls and tls exclude each other (465: tls, 587: starttls)"))
        if bool(self.username) != bool(self.password):
            found.append(("password" if self.username else "username", "set both or neither"))
        elif self.password and not (self.starttls or self.tls or _is_loopback(self.host)):
            found.append(("password", "would cross the network unencrypted: set starttls or tls"))
        if self.retry_min_delay > self.retry_max_delay:
            found.append(("retry_min_delay", "must not be more than smtp.retry_max_delay"))
        return found


@dataclass(frozen=True, slots=True, kw_only=True)
class LogConfig:
    level: str = field(default="INFO", metadata=_meta(_log_level))


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhooksConfig:
    """Delivering webhooks (SPEC §6): timeouts, limits per receiver, retries, debouncing."""

    timeout: float = field(default=10.0, metadata=_meta(_positive))
    max_in_flight_per_receiver: int = field(default=2, metadata=_meta(_positive))
    max_in_flight: int = field(default=32, metadata=_meta(_positive))
    first_retry_delay: float = field(default=10.0, metadata=_meta(_positive))
    max_retry_delay: float = field(default=600.0, metadata=_meta(_positive))
    retry_for: float = field(default=259_200.0, metadata=_meta(_positive))
    poll_interval: float = field(default=30.0, metadata=_meta(_positive))
    operator_debounce: float = field(default=15.0, metadata=_meta(_not_negative))
    keep_days: float = field(default=7.0, metadata=_meta(_not_negative))
    allow_private_addresses: bool = False


_API_URL = "must be an absolute http:// or https:// URL such as http://127.0.0.1:5280/api"


def _api_url(value: str) -> str | None:
    try:
        _normalize_public_url(value)
    except ValueError:
        return _API_URL
    return None


def _is_loopback_url(url: str) -> bool:
    return _is_loopback(urlsplit(url).hostname or "")


@dataclass(frozen=True, slots=True, kw_only=True)
class EjabberdApiConfig:
    """ejabberd's mod_http_api, through which operators get the desk into their rosters with
    nothing to accept; `url` None: not used (the desk asks for a subscription)."""

    url: str | None = field(default=None, metadata=_meta(_api_url, _normalize_public_url))
    user: str = ""
    password: str = field(default="", repr=False)
    token: str = field(default="", repr=False)
    timeout: float = field(default=5.0, metadata=_meta(_positive))
    group: str = field(default="HelperChat", metadata=_meta(_non_empty))

    @property
    def configured(self) -> bool:
        return self.url is not None

    def problems(self) -> list[tuple[str, str]]:
        """(key, problem) for what is wrong across fields."""
        if self.url is None:
            return [] if self == EjabberdApiConfig() else [("url", "required with ejabberd_api")]
        found: list[tuple[str, str]] = []
        if bool(self.user) != bool(self.password):
            found.append(("password" if self.user else "user", "set both or neither"))
        if self.token and (self.user or self.password):
            found.append(("token", "a token or a user and password, not both"))
        secret = bool(self.password or self.token)
        if secret and self.url.startswith("http://") and not _is_loopback_url(self.url):
            key = "token" if self.token else "password"
            found.append((key, "would cross the network unencrypted: use an https:// url"))
        return found


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    xmpp: XmppConfig
    mysql: MysqlConfig
    archive: ArchiveConfig = field(default_factory=ArchiveConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    component: ComponentConfig = field(default_factory=ComponentConfig)
    log: LogConfig = field(default_factory=LogConfig)
    http: HttpConfig = field(default_factory=HttpConfig)
    smtp: SmtpConfig = field(default_factory=SmtpConfig)
    webhooks: WebhooksConfig = field(default_factory=WebhooksConfig)
    ejabberd_api: EjabberdApiConfig = field(default_factory=EjabberdApiConfig)


# --- public entry points --------------------------------------------------------------------------


def load_config(path: str | os.PathLike[str], environ: Mapping[str, str] | None = None) -> Config:
    """Read and validate the YAML file at `path`; raise ConfigError listing every problem."""
    data = _read_yaml(Path(path))
    if data is None:
        raise ConfigError([f"{os.fspath(path)}: the file is empty"])
    return parse_config(data, os.environ if environ is None else environ)


def parse_config(data: object, environ: Mapping[str, str]) -> Config:
    """Validate already-parsed YAML data (`${NAME}` values come from `environ`)."""
    problems: list[str] = []
    config = _build(Config, data, "", environ, problems)
    if config is None or problems:
        raise ConfigError(problems)
    return config


# --- reading the file -----------------------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """A SafeLoader that rejects a key given twice instead of silently keeping the last one."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[object] = set()
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node)
        if not isinstance(key, str | int | float | bool):
            continue  # unhashable or exotic keys: construct_mapping reports or accepts them
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _read_yaml(path: Path) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{path}: file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: cannot read file: {_reason(exc)}"]) from None
    try:
        return yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass: no objects
    except yaml.YAMLError as exc:
        raise ConfigError([f"{path}: invalid YAML: {_yaml_reason(exc)}"]) from None


def _reason(exc: Exception) -> str:
    return (exc.strerror if isinstance(exc, OSError) else None) or str(exc)


def _yaml_reason(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        return f"{exc.problem} (line {mark.line + 1}, column {mark.column + 1})"
    return " ".join(str(exc).split())


# --- generic validation over dataclass fields -----------------------------------------------------

_INVALID = object()
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_INT_TEXT = re.compile(r"[+-]?[0-9]+")
_FLOAT_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")

_EXPECTED = {str: "a string", int: "an integer", float: "a number", bool: "a boolean (true/false)"}
_A_LIST = "a list of strings"


def _build(
    cls: type[_T], raw: object, path: str, env: Mapping[str, str], problems: list[str]
) -> _T | None:
    """Construct dataclass `cls` from mapping `raw`, or append problems and return None."""
    if not isinstance(raw, Mapping):
        problems.append(f"{path or '(top level)'}: expected a mapping, got {_describe(raw)}")
        return None
    before = len(problems)
    values = _field_values(cls, raw, path, env, problems)
    problems.extend(f"{_join(path, key)}: unknown key" for key in _unknown_keys(cls, raw))
    if len(problems) != before:
        return None
    section = cls(**values)
    across: Callable[[], list[tuple[str, str]]] | None = getattr(section, "problems", None)
    problems.extend(f"{_join(path, key)}: {problem}" for key, problem in (across or list)())
    return section if len(problems) == before else None


def yaml_key(f: Field[Any]) -> str:
    """The key a field is read from: its name, less a trailing underscore (`from_`: `from`)."""
    return f.name.removesuffix("_")


def _field_values(
    cls: type[Any],
    raw: Mapping[Any, object],
    path: str,
    env: Mapping[str, str],
    problems: list[str],
) -> dict[str, object]:
    hints = get_type_hints(cls)
    values: dict[str, object] = {}
    for f in fields(cls):
        key = _join(path, yaml_key(f))
        if yaml_key(f) in raw:
            value = _convert(hints[f.name], raw[yaml_key(f)], key, env, problems)
            if value is not _INVALID:
                value = _checked(f, value, key, problems)
            if value is not _INVALID:
                values[f.name] = value
        elif f.default is MISSING and f.default_factory is MISSING:
            problems.append(f"{key}: required")
    return values


def _unknown_keys(cls: type[Any], raw: Mapping[Any, object]) -> list[object]:
    names = {yaml_key(f) for f in fields(cls)}
    return [key for key in raw if key not in names]


def _checked(f: Field[Any], value: object, key: str, problems: list[str]) -> object:
    """`value` after the field's check and normalisation, or _INVALID with the problem noted."""
    if value is None:
        return value
    check: _Check | None = f.metadata.get("check")
    normalize: _Normalize | None = f.metadata.get("normalize")
    problem = None if check is None else check(value)
    if problem is None and normalize is not None:
        try:
            value = normalize(value)
        except ValueError as exc:
            problem = str(exc)
    if problem is not None:
        problems.append(f"{key}: {problem}")
        return _INVALID
    return value


def _convert(
    hint: object, raw: object, key: str, env: Mapping[str, str], problems: list[str]
) -> object:
    if isinstance(hint, type) and is_dataclass(hint):
        section = _build(hint, {} if raw is None else raw, key, env, problems)
        return _INVALID if section is None else section
    match = _ENV_REF.fullmatch(raw) if isinstance(raw, str) else None
    if get_origin(hint) is tuple:
        if get_args(hint) != (str, ...):
            raise TypeError(f"unsupported config field type {hint!r}")
        if match is not None:
            return _list_from_env(match.group(1), key, env, problems)
        return _list_from_yaml(raw, key, problems)
    if match is not None:
        return _from_env(hint, match.group(1), key, env, problems)
    return _from_yaml(hint, raw, key, problems)


def _list_from_yaml(raw: object, key: str, problems: list[str]) -> object:
    """A YAML list of strings as a tuple (the only list kind the contract has)."""
    if not isinstance(raw, list):
        problems.append(f"{key}: expected {_A_LIST}, got {_describe(raw)}")
        return _INVALID
    wrong = [
        f"{key}[{index}]: expected a string, got {_describe(item)}"
        for index, item in enumerate(raw)
        if not isinstance(item, str)
    ]
    problems.extend(wrong)
    return _INVALID if wrong else tuple(raw)


def _list_from_env(name: str, key: str, env: Mapping[str, str], problems: list[str]) -> object:
    """A list from an environment variable: comma-separated, blanks around items ignored."""
    if name not in env:
        problems.append(f"{key}: environment variable {name} is not set")
        return _INVALID
    return tuple(item.strip() for item in env[name].split(",") if item.strip())


def _from_yaml(hint: object, raw: object, key: str, problems: list[str]) -> object:
    base, optional = _unwrap_optional(hint)
    if raw is None and optional:
        return None
    if base is float and isinstance(raw, int) and not isinstance(raw, bool):
        return float(raw)
    if _is_instance(base, raw):
        return raw
    problems.append(f"{key}: expected {_EXPECTED[base]}, got {_describe(raw)}")
    return _INVALID


def _from_env(
    hint: object, name: str, key: str, env: Mapping[str, str], problems: list[str]
) -> object:
    if name not in env:
        problems.append(f"{key}: environment variable {name} is not set")
        return _INVALID
    base, _ = _unwrap_optional(hint)
    value = _parse_text(base, env[name])
    if value is _INVALID:
        problems.append(f"{key}: environment variable {name} is not {_EXPECTED[base]}")
    return value


def _parse_text(base: type, text: str) -> object:
    """Strictly parse an environment variable's text as `base` (no whitespace, no nan/inf)."""
    if base is str:
        return text
    if base is int:
        return int(text) if _INT_TEXT.fullmatch(text) else _INVALID
    if base is float:
        return float(text) if _FLOAT_TEXT.fullmatch(text) else _INVALID
    if base is bool:
        return {"true": True, "false": False}.get(text.lower(), _INVALID)
    raise TypeError(f"unsupported config field type {base!r}")


def _unwrap_optional(hint: object) -> tuple[type, bool]:
    """`str | None` -> (str, True); `int` -> (int, False); anything else is a programming error."""
    args = get_args(hint) if get_origin(hint) in (Union, types.UnionType) else (hint,)
    base = [a for a in args if a is not type(None)]
    if len(base) == 1 and isinstance(base[0], type) and base[0] in _EXPECTED:
        return base[0], len(args) == 2
    raise TypeError(f"unsupported config field type {hint!r}")


def _is_instance(base: type, raw: object) -> bool:
    if base is float:
        return isinstance(raw, float) and math.isfinite(raw)
    if base is int:
        return isinstance(raw, int) and not isinstance(raw, bool)
    return isinstance(raw, base)


_KINDS = (
    (bool, "a boolean"),
    (int, "an integer"),
    (float, "a number"),
    (str, "a string"),
    (Mapping, "a mapping"),
    (list, "a list"),
)


def _describe(raw: object) -> str:
    """Name the YAML kind of `raw` without echoing the value (it may be a secret)."""
    if raw is None:
        return "null"
    if isinstance(raw, float) and not math.isfinite(raw):
        return "a non-finite number"
    return next((words for kind, words in _KINDS if isinstance(raw, kind)), type(raw).__name__)


def _join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)
