"""Whether bytes are an SVG image safe to show visitors: no scripts, no handlers, nothing fetched.

Pure: no I/O, no adapters. A DOCTYPE (entities, external DTDs) is refused before parsing.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

NOT_AN_IMAGE = "not a PNG, JPEG or SVG image"
_SVG_ROOT = "{http://www.w3.org/2000/svg}svg"
_PROCESSING_INSTRUCTION = re.compile(r"<\?(?!xml\s)")
_OUTSIDE_URL = re.compile(r"(?:url|image-set|src)\(\s*['\"]?\s*(?!#)")
_REFUSED_ELEMENTS = {"script": "<script>", "foreignobject": "<foreignObject>"}
_LINKS = ("href", "src")


def svg_problem(data: bytes) -> str | None:
    """None for an acceptable SVG, else why not (NOT_AN_IMAGE when it is no SVG at all)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return NOT_AN_IMAGE
    if not text.lstrip().startswith("<") or "<svg" not in text:
        return NOT_AN_IMAGE
    if re.search(r"<!(DOCTYPE|ENTITY)", text, re.IGNORECASE):
        return "an SVG with a DOCTYPE or entities is refused"
    if _PROCESSING_INSTRUCTION.search(text):
        return "an SVG with a processing instruction (such as xml-stylesheet) is refused"
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        return f"the SVG is not well-formed XML ({exc})"
    if root.tag != _SVG_ROOT:
        return NOT_AN_IMAGE
    return next(filter(None, map(_element_problem, root.iter())), None)


def _element_problem(element: ET.Element) -> str | None:
    name = _local(element.tag)
    if name in _REFUSED_ELEMENTS:
        return f"an SVG with a {_REFUSED_ELEMENTS[name]} element is refused"
    if name == "style":  # its CSS is all its text, also what follows a child element
        problem = _css_problem("".join(element.itertext()))
        if problem:
            return problem
    for attribute, value in element.attrib.items():
        problem = _attribute_problem(_local(attribute), value)
        if problem:
            return problem
    return None


def _attribute_problem(name: str, value: str) -> str | None:
    if name.startswith("on"):
        return f"an SVG with an event handler attribute ({name}) is refused"
    target = value.strip().rsplit(":", 1)[-1].lower()  # xlink:href -> href
    if name == "attributename" and target.startswith(("on", "href", "src")):
        return f"an SVG animating {value.strip()!r} is refused"
    if name in _LINKS and not value.strip().startswith("#"):
        return f"an SVG with an external reference ({name}={value[:60]!r}) is refused"
    if "javascript:" in "".join(value.lower().split()):
        return "an SVG with a javascript: URL is refused"
    return _css_problem(value)


def _css_problem(css: str) -> str | None:
    lowered = css.lower()
    if "\\" in lowered:  # CSS escapes (@imp\ort, u\72l) would hide what is checked below
        return "an SVG whose style has a CSS escape (backslash) is refused"
    if "@import" in lowered:
        return "an SVG whose style has an @import is refused"
    if _OUTSIDE_URL.search(lowered):
        return "an SVG with a url(...) outside the image is refused"
    return None


def _local(tag: str) -> str:
    """A tag or attribute name without its namespace, lower case."""
    return tag.rsplit("}", 1)[-1].lower()
