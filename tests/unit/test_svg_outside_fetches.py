"""SVG avatars that would still fetch from outside the image are refused."""

from __future__ import annotations

import pytest

from component.svg_check import svg_problem

SVG = '<svg xmlns="http://www.w3.org/2000/svg">{}</svg>'


def svg(inner: str) -> bytes:
    return SVG.format(inner).encode()


def test_style_text_after_a_child_element_is_checked_too() -> None:
    # A <style>'s CSS is all its text nodes; ElementTree keeps the part after <a/> as a.tail.
    assert svg_problem(svg("<style><a/>@import url(https://evil.example/x.css);</style>"))


@pytest.mark.parametrize(
    "inner",
    [
        '<style>@imp\\ort "https://evil.example/x.css";</style>',
        '<style>@\\69mport "https://evil.example/x.css";</style>',
        '<rect style="fill: u\\72l(https://evil.example/p.svg#p)"/>',
    ],
    ids=["escaped-import", "hex-escaped-import", "escaped-url"],
)
def test_css_escapes_do_not_hide_an_outside_fetch(inner: str) -> None:
    assert svg_problem(svg(inner))


def test_image_set_with_an_outside_url_is_refused() -> None:
    assert svg_problem(svg("<rect style=\"cursor: image-set('https://evil.example/c.png' 1x)\"/>"))
