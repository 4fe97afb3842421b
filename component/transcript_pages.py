"""A transcript cut into numbered pages small enough for any XMPP server and client.

Each page's body is at most PAGE_BYTES once XML-escaped and UTF-8 encoded (as the outbox writes
it), so the whole stanza stays under MAX_STANZA_BYTES. Entries (the header, one message each) stay
whole where they fit; a longer one is split between its lines, and a line longer than a page is
cut itself. Pure: no I/O; the pager takes entries one at a time, so a long transcript is never
held whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from xml.sax.saxutils import escape

from component import texts
from component.models import Message

MAX_STANZA_BYTES = 16 * 1024
"""A transcript stanza's size at most: far below ejabberd's and Prosody's limits (256 KiB and
more), and a message every client renders."""
PAGE_BYTES = MAX_STANZA_BYTES - 1024
"""A page's body at most; the rest of the stanza (addresses, id, nick) fits in what is left."""
PART_RESERVE = 64
"""Bytes kept free on every page for its "[transcript, part k of n]" line."""
ENVELOPE_BYTES = 256
"""A page's stanza besides its body, addresses and nick: the tags, the type, the id."""
MIN_PAGE_BYTES = 1024
"""A page's body at least, whatever its addresses and nick take."""

_NOT_XML_ASCII = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")  # written as U+FFFD: 3 bytes, not 1
_ESCAPED = {"&": 5, "<": 4, ">": 4}
_QUOTES = {"'": 6, '"': 6}  # slixmpp's stanzas write them as &apos; and &quot;, text too
_QUOTED = {**_ESCAPED, **_QUOTES}


def escaped_size(text: str, *, quoted: bool = False) -> int:
    """The bytes `text` takes in a stanza: XML-escaped, UTF-8, characters XML forbids replaced;
    `quoted`: as slixmpp writes it, with quotes and apostrophes escaped as well."""
    size = len(escape(text).encode("utf-8", "surrogatepass"))
    if quoted:
        size += 5 * (text.count("'") + text.count('"'))
    return size + 2 * len(_NOT_XML_ASCII.findall(text))


def _char_size(char: str, escaped: dict[str, int]) -> int:
    if char in escaped:
        return escaped[char]
    return 3 if _NOT_XML_ASCII.match(char) else len(char.encode("utf-8", "surrogatepass"))


def page_budget(sender: str, recipient: str, nick: str) -> int:
    """The escaped bytes a page's body may take (its part line aside) so that its stanza, from
    `sender` to `recipient` with `nick`, stays within MAX_STANZA_BYTES: a visitor named with 200
    `&` takes 1,000 bytes of the stanza."""
    envelope = ENVELOPE_BYTES + sum(escaped_size(text) for text in (sender, recipient, nick))
    return max(min(PAGE_BYTES, MAX_STANZA_BYTES - envelope), MIN_PAGE_BYTES) - PART_RESERVE


class Pager:
    """Packs entries into page bodies of at most `budget` escaped bytes, in order; `quoted`:
    bytes as a slixmpp stanza writes them (a data form), quotes and apostrophes escaped too."""

    def __init__(self, budget: int = PAGE_BYTES - PART_RESERVE, *, quoted: bool = False) -> None:
        self._budget = budget
        self._quoted = quoted
        self._lines: list[str] = []
        self._size = 0

    def add(self, entry: str) -> list[str]:
        """Take the next entry; returns the pages it completed (usually none)."""
        done: list[str] = []
        for piece in self.pieces(entry):
            done += self.place(piece)
        return done

    def pieces(self, entry: str) -> list[str]:
        """The entry as it is placed: whole where it fits a page, else in pieces that do."""
        if escaped_size(entry, quoted=self._quoted) <= self._budget:
            return [entry]
        return self._pieces(entry)

    def place(self, piece: str) -> list[str]:
        """Take one piece (of `pieces`); returns the page it completed, if it did."""
        return self._place(piece, escaped_size(piece, quoted=self._quoted))

    def finish(self) -> list[str]:
        """The last page, if anything is left."""
        return [self._close()] if self._lines else []

    def _place(self, text: str, size: int) -> list[str]:
        done = []
        if self._lines and self._size + 1 + size > self._budget:
            done.append(self._close())
        self._size += size + (1 if self._lines else 0)
        self._lines.append(text)
        return done

    def _close(self) -> str:
        page = "\n".join(self._lines)
        self._lines, self._size = [], 0
        return page

    def _pieces(self, entry: str) -> list[str]:
        """An entry too long for a page: its lines, each cut to fit a page where it is longer."""
        pieces, sizes = [], _QUOTED if self._quoted else _ESCAPED
        for line in entry.split("\n"):
            fits = escaped_size(line, quoted=self._quoted) <= self._budget
            pieces += [line] if fits else _cut(line, self._budget, sizes)
        return pieces


def _cut(line: str, budget: int, sizes: dict[str, int]) -> list[str]:
    pieces, start, size = [], 0, 0
    for index, char in enumerate(line):
        grown = size + _char_size(char, sizes)
        if grown > budget:
            pieces.append(line[start:index])
            start, grown = index, _char_size(char, sizes)
        size = grown
    pieces.append(line[start:])
    return pieces


@dataclass(frozen=True, slots=True)
class Mark:
    """Where a page begins: at the entry `seq` (0: the header; else a message's seq), from its
    piece `piece` (an entry longer than a page comes in pieces)."""

    seq: int = 0
    piece: int = 0


class OnePage:
    """One page of a transcript read a page at a time: fed the entries from its mark on, in
    order, until it is full; then `page()` is its text and `next` where the page after it begins
    (None when the entries ran out first: this page is the last). Each page starts right after
    the one shown before it, whatever changed in the text before."""

    def __init__(self, start: Mark, budget: int, *, quoted: bool = False) -> None:
        self._start = start
        self._pager = Pager(budget, quoted=quoted)
        self._page: str | None = None
        self.next: Mark | None = None

    @property
    def full(self) -> bool:
        return self.next is not None

    def add(self, seq: int, entry: str) -> bool:
        """Take the entry `seq` (none before the mark's); True once the page is full."""
        if self.next is not None:
            return True
        pieces = self._pager.pieces(entry)
        for index in range(self._start.piece if seq == self._start.seq else 0, len(pieces)):
            closed = self._pager.place(pieces[index])
            if closed:
                self._page, self.next = closed[0], Mark(seq, index)
                return True
        return False

    def page(self) -> str:
        if self._page is None:
            self._page = "".join(self._pager.finish())
        return self._page


def entries(header: str, messages: Iterable[Message], names: Mapping[str, str]) -> list[str]:
    """The header, then one entry per message (its time, who, what)."""
    return [header, *(texts.transcript_line(m, names) for m in messages)]


def numbered(page: str, part: int, parts: int) -> str:
    """A page as sent: a transcript of several pages says which part each one is."""
    return page if parts == 1 else f"{texts.transcript_part(part, parts)}\n{page}"


def paginate(all_entries: Iterable[str], budget: int = PAGE_BYTES - PART_RESERVE) -> list[str]:
    """Every page of a transcript held in memory (a short one), numbered; `budget` as Pager's."""
    pager = Pager(budget)
    pages = [page for entry in all_entries for page in pager.add(entry)] + pager.finish()
    return [numbered(page, part, len(pages)) for part, page in enumerate(pages, start=1)]
