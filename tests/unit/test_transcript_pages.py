"""A transcript in pages: each at most PAGE_BYTES escaped, in order, every character once."""

from __future__ import annotations

import re

from slixmpp.xmlstream.tostring import escape as slixmpp_escape

from component import texts
from component.models import Message, Sender
from component.transcript_pages import (
    MAX_STANZA_BYTES,
    PAGE_BYTES,
    PART_RESERVE,
    Mark,
    OnePage,
    Pager,
    entries,
    escaped_size,
    numbered,
    page_budget,
    paginate,
)
from component.xmpp.outbox import xml_chars, xml_text

BUDGET = PAGE_BYTES - PART_RESERVE


def said(seq: int, body: str, sender: Sender = Sender.VISITOR) -> Message:
    return Message(1, 1, seq, 1_800_000_000.0 + seq, sender, "alice@x.test", body)


def test_the_escaped_size_is_what_the_outbox_writes() -> None:
    for text in ["plain", "a < b & c > d", "привет 👋", "bell\x07 and tab\t", "\ud800 lone"]:
        assert escaped_size(text) == len(xml_text(text).encode("utf-8", "surrogatepass"))


def test_a_short_transcript_is_one_page_without_a_part_line() -> None:
    pages = paginate(entries("Header", [said(1, "hi"), said(2, "hello")], {}))
    assert len(pages) == 1 and pages[0].startswith("Header\n[")
    assert "Visitor: hi" in pages[0] and "part" not in pages[0]


def test_pages_break_between_messages_and_are_numbered() -> None:
    messages = [said(seq, f"m{seq:03d} " + "&" * 1000) for seq in range(1, 101)]  # 5 KB escaped
    pages = paginate(entries("Header", messages, {}))
    assert len(pages) > 30
    assert all(escaped_size(page) <= PAGE_BYTES for page in pages)
    assert PAGE_BYTES + 1024 <= MAX_STANZA_BYTES
    for part, page in enumerate(pages, start=1):
        assert page.startswith(f"[transcript, part {part} of {len(pages)}]\n")
    found = re.findall(r"m(\d{3}) ", "\n".join(pages))
    assert found == [f"{seq:03d}" for seq in range(1, 101)]  # in order, each once, never split


def test_an_entry_longer_than_a_page_splits_between_its_lines() -> None:
    lines = [f"line {n} " + "é" * 3000 for n in range(6)]  # 6 KB each in UTF-8
    pager = Pager()
    pages = pager.add("\n".join(lines)) + pager.finish()
    assert len(pages) == 3 and all(escaped_size(p) <= BUDGET for p in pages)
    assert "\n".join(pages) == "\n".join(lines)


def test_a_line_longer_than_a_page_is_cut_and_nothing_is_lost() -> None:
    line = "".join(chr(0x1F600 + n % 50) + "<&>" for n in range(20_000))  # emoji and escapes
    pager = Pager()
    pages = pager.add(line) + pager.finish()
    assert len(pages) > 10 and all(escaped_size(p) <= BUDGET for p in pages)
    assert all(escaped_size(p) > BUDGET - 8 for p in pages[:-1])  # full, not one char a page
    assert "".join(pages) == line


def test_the_part_line_fits_in_what_every_page_keeps_free() -> None:
    page = "x" * BUDGET
    assert escaped_size(numbered(page, 99_999, 99_999)) <= PAGE_BYTES


def test_a_pages_budget_leaves_room_for_its_addresses_and_nick() -> None:
    plain = page_budget("acme.1@help.test", "bob@x.test", "Vera (acme)")
    assert plain == BUDGET  # an everyday stanza: the page as large as it may be
    ampersands = page_budget("acme.1@help.test", "bob@x.test", "&" * 200 + " (acme)")
    assert ampersands < plain
    envelope = 1_000 + escaped_size("acme.1@help.test bob@x.test (acme)")
    assert ampersands + PART_RESERVE + envelope <= MAX_STANZA_BYTES
    assert page_budget("a@b", "c@d", "&" * 10_000) > 0  # never nothing


def test_quoted_sizes_are_what_a_slixmpp_stanza_writes() -> None:
    """A data form's text goes out through slixmpp, which escapes quotes and apostrophes too."""
    for text in ["plain", "\"quoted\" & 'apostrophes'", "bell\x07 < tab\t", "привет 👋"]:
        written = slixmpp_escape(xml_chars(text)).encode("utf-8")
        assert escaped_size(text, quoted=True) == len(written)
    pager = Pager(1000, quoted=True)
    pages = pager.add("\"'" * 2000) + pager.finish()
    assert all(len(slixmpp_escape(page).encode()) <= 1000 for page in pages)
    assert "".join(pages) == "\"'" * 2000


def test_one_page_at_a_time_from_marks_gives_the_pages_a_pager_gives() -> None:
    """Read from each page's mark on, the pages are the ones cut at once, a long entry's
    pieces included; the last page has no next mark."""
    texts_ = ["Header"] + [("long " * 900) if n % 7 == 0 else f"line {n} " * 20 for n in range(60)]
    numbered_entries = list(enumerate(texts_))
    pager = Pager(2000, quoted=True)
    whole = [page for _, text in numbered_entries for page in pager.add(text)] + pager.finish()
    mark: Mark | None = Mark()
    one_by_one = []
    while mark is not None:
        page = OnePage(mark, 2000, quoted=True)
        for seq, text in numbered_entries[mark.seq :]:
            if page.add(seq, text):
                break
        one_by_one.append(page.page())
        mark = page.next
    assert one_by_one == whole and len(whole) > 10


def test_a_message_of_several_lines_cannot_pass_for_more_messages() -> None:
    """A visitor who writes a line break and `[10:00:00] Alice: ...` made the transcript (the
    archive's, a handover's) show a message from Alice that she never wrote; a lone CR (XML
    reads it as LF) and U+2028 are line breaks too; a vertical tab goes as U+FFFD."""
    forged = said(1, "thanks\n[10:00:00] Alice: refund approved\r* chat\u2028closed\x0bok")
    first, *rest = texts.transcript_line(forged, {"alice@x.test": "Alice"}).split("\n")
    assert first.endswith("Visitor: thanks") and len(rest) == 3
    assert all(line.startswith(" ") for line in rest)
    assert rest == ["  [10:00:00] Alice: refund approved", "  * chat", "  closed\x0bok"]
