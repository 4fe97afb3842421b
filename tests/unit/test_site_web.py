"""The web settings of a site, validated: origins, language, welcome text, avatar images."""

from __future__ import annotations

import hashlib

import pytest

from component.errors import InvalidInput
from component.locales import shipped_catalogue
from component.site_web import (
    MAX_AVATAR_BYTES,
    MAX_ORIGINS,
    MAX_WELCOME_CHARS,
    checked_avatar,
    checked_lang,
    checked_origins,
    checked_welcome,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><circle r="4"/></svg>'


@pytest.mark.parametrize(
    ("typed", "normal"),
    [
        ("https://shop.example", ("https://shop.example",)),
        ("HTTPS://Shop.Example/", ("https://shop.example",)),
        ("https://shop.example:443, http://shop.example:80", ("https://shop.example", "http://shop.example")),
        ("http://localhost:8000", ("http://localhost:8000",)),
        ("https://a.example,https://b.example\nhttps://a.example", ("https://a.example", "https://b.example")),
        ("http://[::1]:8080", ("http://[::1]:8080",)),
        ("https://bücher.example", ("https://xn--bcher-kva.example",)),
        ("", ()),
        ("none", ()),
        (" , ", ()),
    ],
)  # fmt: skip
def test_origins_are_normalised(typed: str, normal: tuple[str, ...]) -> None:
    assert checked_origins(typed) == normal


@pytest.mark.parametrize(
    "typed",
    [
        "shop.example",
        "ftp://shop.example",
        "javascript:alert(1)",
        "https://shop.example/path",
        "https://shop.example/?q=1",
        "https://shop.example#x",
        "https://user@shop.example",
        "https://shop.example:99999",
        "https://*.example",
        "https://sh op.example",
        "https://shop.example'; DROP TABLE sites; --",
        "https://<script>.example",
        "null",
        "https://" + "a" * 250 + ".example",
    ],
)
def test_bad_origins_are_refused(typed: str) -> None:
    with pytest.raises(InvalidInput, match="bad origin"):
        checked_origins(f"https://good.example,{typed}")


def test_at_most_max_origins() -> None:
    many = [f"https://s{n}.example" for n in range(MAX_ORIGINS + 1)]
    assert len(checked_origins(",".join(many[:-1]))) == MAX_ORIGINS
    with pytest.raises(InvalidInput, match=f"at most {MAX_ORIGINS} origins"):
        checked_origins(",".join(many))


SHIPPED = shipped_catalogue().languages


@pytest.mark.parametrize(
    ("typed", "lang"), [("en", "en"), ("ru", "ru"), ("RU", "ru"), (" ru ", "ru")]
)
def test_lang(typed: str, lang: str) -> None:
    assert checked_lang(typed, SHIPPED) == lang


@pytest.mark.parametrize("typed", ["de", "", "english", "ru-RU"])
def test_bad_lang_is_refused_naming_the_catalogues_languages(typed: str) -> None:
    with pytest.raises(InvalidInput, match=r"bad language .*: expected one of en, ru$"):
        checked_lang(typed, SHIPPED)


def test_a_language_the_catalogue_has_is_a_sites_language() -> None:
    assert checked_lang("DE", {"en", "de", "ru"}) == "de"


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("Hello! How can we help?", "Hello! How can we help?"),
        ("  Hi  ", "Hi"),
        ("line one\r\nline two", "line one\nline two"),
        ("<b>Hi</b> '; DROP TABLE sites; --", "<b>Hi</b> '; DROP TABLE sites; --"),
        ("Здравствуйте 😀", "Здравствуйте 😀"),
        ("", ""),
        ("x" * MAX_WELCOME_CHARS, "x" * MAX_WELCOME_CHARS),
    ],
)
def test_welcome(typed: str, kept: str) -> None:
    assert checked_welcome(typed) == kept


@pytest.mark.parametrize("typed", ["x" * (MAX_WELCOME_CHARS + 1), "bell\x07", "nul\x00", "\x9b"])
def test_bad_welcome_is_refused(typed: str) -> None:
    with pytest.raises(InvalidInput, match="bad welcome"):
        checked_welcome(typed)


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (SVG, "image/svg+xml"),
        (b"\xef\xbb\xbf<?xml version='1.0'?>\n<!-- logo -->\n" + SVG, "image/svg+xml"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
            b'<defs><circle id="c" r="2"/></defs><use xlink:href="#c"/><use href="#c"/>'
            b'<rect fill="url(#g)" width="1" height="1"/></svg>',
            "image/svg+xml",
        ),
        (PNG + b"\x00" * (MAX_AVATAR_BYTES - len(PNG)), "image/png"),
    ],
)
def test_avatar_kind_is_sniffed_from_the_content(data: bytes, kind: str) -> None:
    avatar = checked_avatar(data)
    assert (avatar.data, avatar.content_type) == (data, kind)
    assert avatar.etag == hashlib.sha256(data).hexdigest()


SVG_HEAD = b'<svg xmlns="http://www.w3.org/2000/svg">'


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"", "empty"),
        (PNG + b"\x00" * (MAX_AVATAR_BYTES + 1 - len(PNG)), "larger than 256 KiB"),
        (b"GIF89a" + b"\x00" * 20, "not a PNG, JPEG or SVG image"),
        (b"<html><body>hi</body></html>", "not a PNG, JPEG or SVG image"),
        (b"plain text", "not a PNG, JPEG or SVG image"),
        (SVG_HEAD + b"<script>alert(1)</script></svg>", "script"),
        (SVG_HEAD + b"<SCRIPT>alert(1)</SCRIPT></svg>", "script"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:h="http://www.w3.org/1999/xhtml">'
            b"<h:script>alert(1)</h:script></svg>",
            "script",
        ),
        (SVG_HEAD + b'<circle r="4" onclick="alert(1)"/></svg>', "onclick"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "onload"),
        (SVG_HEAD + b'<image href="https://evil.example/x.png"/></svg>', "external reference"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
            b'<a xlink:href="javascript:alert(1)"><circle r="1"/></a></svg>',
            "external reference",
        ),
        (SVG_HEAD + b'<rect style="fill: url(https://evil.example/f)"/></svg>', "url("),
        (SVG_HEAD + b"<style>@import 'https://evil.example/c.css';</style></svg>", "@import"),
        (
            SVG_HEAD + b'<a><animate attributeName="href" values="javascript:alert(1)"/></a></svg>',
            "animating 'href'",
        ),
        (SVG_HEAD + b'<set attributeName="onmouseover" to="alert(1)"/></svg>', "animating"),
        (SVG_HEAD + b'<a><set attributeName="xlink:href" to="#x"/></a></svg>', "animating"),
        (SVG_HEAD + b'<set to="java script:alert(1)"/></svg>', "javascript: URL"),
        (SVG_HEAD + b"<foreignObject><div>hi</div></foreignObject></svg>", "foreignObject"),
        (b'<?xml-stylesheet href="https://evil.example/c.css"?>' + SVG, "processing instruction"),
        (
            b'<!DOCTYPE svg [<!ENTITY x "xx">]><svg xmlns="http://www.w3.org/2000/svg">&x;</svg>',
            "DOCTYPE",
        ),
        (SVG_HEAD + b"<circle r='4'>", "not well-formed"),
        (b"<svg><circle r='4'/></svg>", "not a PNG, JPEG or SVG image"),
        (b"\xff\xfe<\x00s\x00v\x00g\x00", "not a PNG, JPEG or SVG image"),
    ],
)
def test_bad_avatars_are_refused(data: bytes, why: str) -> None:
    with pytest.raises(InvalidInput, match="bad avatar") as refused:
        checked_avatar(data)
    assert why in str(refused.value)
