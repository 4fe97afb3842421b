"""`helperchat site set` web options, `site show` and `site rotate-key`, run as a separate process
against the real MariaDB."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.integration.helpdesk_fixtures import Desk
from tests.integration.test_cli import EVERYTHING, helperchat, ok, write_config

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><circle r="4"/></svg>'
SCRIPTED_SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
WEB_SETTINGS = (
    "SELECT origins, lang, visitor_choice, welcome, avatar, avatar_type, avatar_etag"
    " FROM sites WHERE slug = %s"
)
SNIPPET = '<script src="https://help.example.com/widget.js" data-site="acme" async></script>'


@pytest.fixture
def config_file(desk: Desk, tmp_path: Path) -> Path:
    """The test config with `http.public_url` set (as typed by someone: case, a slash)."""
    path = write_config(desk, tmp_path / "config.yaml")
    with path.open("a", encoding="utf-8") as config:
        config.write("  public_url: https://Help.Example.com/\n")
    return path


def file_with(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


async def api_key(desk: Desk, slug: str = "acme") -> str | None:
    rows = await desk.rows("SELECT api_key FROM sites WHERE slug = %s", slug)
    return rows[0][0] if rows else None


async def test_web_settings_are_set_stored_and_shown(
    desk: Desk, config_file: Path, tmp_path: Path
) -> None:
    avatar = file_with(tmp_path, "logo.txt", PNG)  # the content says PNG, not the name
    ok(
        config_file, "site", "set", "acme", "--origins", "HTTPS://Shop.Example/,http://localhost:8000",
        "--lang", "ru", "--visitor-choice", "on", "--welcome", "Hello! How can we help?",
        "--avatar", avatar,
    )  # fmt: skip
    etag = hashlib.sha256(PNG).hexdigest()
    assert await desk.rows(WEB_SETTINGS, "acme") == [
        (
            "https://shop.example\nhttp://localhost:8000",
            "ru", 1, "Hello! How can we help?", PNG, "image/png", etag,
        )
    ]  # fmt: skip
    shown = ok(config_file, "site", "show", "acme")
    key = await api_key(desk)
    assert key is not None and len(key) >= 43
    for line in (
        "site: acme",
        "name: Acme Inc.",
        "strategy: priority",
        "answer_timeout: 60",
        "default_operator: none",
        "target_operator: none",
        "max_chats: 0",
        "origins: https://shop.example http://localhost:8000",
        "lang: ru",
        "visitor_choice: on",
        "welcome: Hello! How can we help?",
        f"avatar: image/png (etag {etag})",
        f"api_key: {key}",
        f"widget: {SNIPPET}",
    ):
        assert line + "\n" in shown
    assert "globex" not in shown


async def test_each_option_alone_changes_only_itself(
    desk: Desk, config_file: Path, tmp_path: Path
) -> None:
    defaults = ("", "en", 0, "", None, None, None)
    assert await desk.rows(WEB_SETTINGS, "acme") == [defaults]
    ok(config_file, "site", "set", "acme", "--lang", "ru")
    assert await desk.rows(WEB_SETTINGS, "acme") == [("", "ru", 0, "", None, None, None)]
    ok(config_file, "site", "set", "acme", "--visitor-choice", "on")
    ok(config_file, "site", "set", "acme", "--origins", "https://a.example")
    ok(config_file, "site", "set", "acme", "--welcome", "Hi")
    ok(config_file, "site", "set", "acme", "--avatar", file_with(tmp_path, "a.png", SVG))
    svg = (
        "https://a.example",
        "ru",
        1,
        "Hi",
        SVG,
        "image/svg+xml",
        hashlib.sha256(SVG).hexdigest(),
    )
    assert await desk.rows(WEB_SETTINGS, "acme") == [svg]
    ok(config_file, "site", "set", "acme", "--visitor-choice", "off", "--lang", "en")
    ok(config_file, "site", "set", "acme", "--origins", "none", "--welcome", "")
    ok(config_file, "site", "set", "acme", "--avatar", "none")
    assert await desk.rows(WEB_SETTINGS, "acme") == [defaults]
    shown = ok(config_file, "site", "show", "acme")
    for line in ("origins: none", "visitor_choice: off", "welcome: \n", "avatar: none"):
        assert line in shown


async def test_values_are_kept_as_text(desk: Desk, config_file: Path) -> None:
    text = "<script>alert('x')</script> '; DROP TABLE sites; -- \\N %s"
    ok(config_file, "site", "set", "acme", "--welcome", text, "--name", "<b>Acme</b> & 'Co'")
    assert await desk.rows("SELECT name, welcome FROM sites WHERE slug = 'acme'") == [
        ("<b>Acme</b> & 'Co'", text)
    ]
    shown = ok(config_file, "site", "show", "acme")
    assert f"welcome: {text}\n" in shown and "name: <b>Acme</b> & 'Co'\n" in shown


async def test_a_multi_line_welcome_is_shown_indented(desk: Desk, config_file: Path) -> None:
    ok(config_file, "site", "set", "acme", "--welcome", "Hello!\nWe answer in minutes.")
    assert "welcome: Hello!\n  We answer in minutes.\n" in ok(config_file, "site", "show", "acme")


async def test_site_add_makes_a_key_and_rotate_key_replaces_it(
    desk: Desk, config_file: Path
) -> None:
    ok(config_file, "site", "add", "globex", "--name", "Globex")
    first, acme = await api_key(desk, "globex"), await api_key(desk)
    assert first is not None and acme is not None and first != acme
    assert f"api_key: {first}\n" in ok(config_file, "site", "show", "globex")
    rotated = ok(config_file, "site", "rotate-key", "globex")
    second = await api_key(desk, "globex")
    assert second is not None and second != first
    assert rotated == f"new API key of globex: {second}\n"
    assert f"api_key: {second}\n" in ok(config_file, "site", "show", "globex")
    assert await api_key(desk) == acme


async def test_show_gives_a_site_without_a_key_one(desk: Desk, config_file: Path) -> None:
    """Sites from before version 3 have no key until `site show` or `rotate-key` makes one."""
    await desk.db.execute("UPDATE sites SET api_key = NULL")
    shown = ok(config_file, "site", "show", "acme")
    key = await api_key(desk)
    assert key is not None and f"api_key: {key}\n" in shown
    assert f"api_key: {key}\n" in ok(config_file, "site", "show", "acme")


async def test_show_without_public_url_says_so(desk: Desk, tmp_path: Path) -> None:
    shown = ok(write_config(desk, tmp_path / "plain.yaml"), "site", "show", "acme")
    assert "widget: (set http.public_url in the configuration to get the snippet)\n" in shown
    assert "<script" not in shown


TOO_BIG = PNG + bytes(256 * 1024 + 1 - len(PNG))
MANY = ",".join(f"https://s{n}.example" for n in range(21))


@pytest.mark.parametrize(
    ("args", "files", "message"),
    [
        (("--origins", "shop.example"), {}, "bad origin 'shop.example'"),
        (("--origins", "https://shop.example/path"), {}, "bad origin"),
        (("--origins", "https://a.example,ftp://b.example"), {}, "bad origin 'ftp://b.example'"),
        (("--origins", MANY), {}, "at most 20 origins"),
        (("--lang", "de"), {}, "bad language 'de'"),
        (("--visitor-choice", "maybe"), {}, "invalid choice: 'maybe'"),
        (("--welcome", "x" * 501), {}, "bad welcome text"),
        (("--welcome", "bell\x07"), {}, "bad welcome text"),
        (("--avatar", "{gif}"), {"gif": b"GIF89a" + bytes(30)}, "not a PNG, JPEG or SVG image"),
        (("--avatar", "{svg}"), {"svg": SCRIPTED_SVG}, "script"),
        (("--avatar", "{big}"), {"big": TOO_BIG}, "larger than 256 KiB"),
        (("--avatar", "{empty}"), {"empty": b""}, "empty"),
        (("--avatar", "/nonexistent/logo.png"), {}, "cannot read avatar"),
        (("--lang", "ru", "--origins", "https://a.example", "--welcome", "x" * 501), {}, "welcome"),
        (("--lang", "ru", "--avatar", "{svg}"), {"svg": SCRIPTED_SVG}, "script"),
    ],
)
async def test_bad_web_settings_exit_2_and_change_nothing(
    desk: Desk,
    config_file: Path,
    tmp_path: Path,
    args: tuple[str, ...],
    files: dict[str, bytes],
    message: str,
) -> None:
    ok(config_file, "site", "set", "acme", "--avatar", file_with(tmp_path, "ok.svg", SVG))
    paths = {name: file_with(tmp_path, name, data) for name, data in files.items()}
    before = [await desk.rows(sql) for sql in EVERYTHING]
    done = helperchat(config_file, "site", "set", "acme", *(a.format(**paths) for a in args))
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr
    assert done.stdout == ""
    assert [await desk.rows(sql) for sql in EVERYTHING] == before


@pytest.mark.parametrize(
    "args",
    [("site", "show", "nosuch"), ("site", "rotate-key", "nosuch"), ("site", "show", "Bad.Slug")],
)
async def test_show_and_rotate_key_of_no_site_exit_2(
    desk: Desk, config_file: Path, args: tuple[str, ...]
) -> None:
    before = [await desk.rows(sql) for sql in EVERYTHING]
    done = helperchat(config_file, *args)
    assert done.returncode == 2
    assert "site" in done.stderr and done.stdout == ""
    assert [await desk.rows(sql) for sql in EVERYTHING] == before
