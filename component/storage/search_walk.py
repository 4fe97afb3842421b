"""The newest-first walk behind `search` for a word found in many of a site's messages: the
site's newest messages read in key order (newest chat first) and matched against the word by a
REGEXP that finds it as the full-text index does, so a page it fills is exactly the page
MATCH ... AGAINST would give (InnoDB's one index for the whole table makes a common word cost
its messages in every site; the walk costs only the site's newest WALK_MESSAGES).

Only a query that is one word of Latin or Russian letters (3 to 84 of them, not a stopword) in
natural mode, or `word` / `+word` in boolean mode, is walked: a word the index holds, with
letters whose equals under the column's collation (utf8mb4_unicode_ci: case and accents
ignored, Cyrillic yo as ye, short i not as i) are listed below. The walk finds a chat when one
of its messages among those read holds the word; when it fills no page, the full-text query
answers (the word is rare, so the index is fast): which one answered never changes the results.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from component.desk.search_view import MIN_WORD_CHARS, SearchQuery
from component.models import Sender
from component.storage.database import to_db_time

WALK_MESSAGES = 4000
"""The site's newest messages the walk reads at most before the index is asked instead."""
PROBE_MESSAGES = 500
"""The newest messages read first: a word found in too few of their chats to fill a page in
WALK_MESSAGES is rare enough for the index, which answers without the longer walk."""
MAX_WORD_CHARS = 84
"""MariaDB's innodb_ft_max_token_size (default): longer words are not in the index."""
STOPWORDS = frozenset(
    [
        "a",
        "about",
        "an",
        "are",
        "as",
        "at",
        "be",
        "by",
        "com",
        "de",
        "en",
        "for",
        "from",
        "how",
        "i",
        "in",
        "is",
        "it",
        "la",
        "of",
        "on",
        "or",
        "that",
        "the",
        "this",
        "to",
        "was",
        "what",
        "when",
        "where",
        "who",
        "will",
        "with",
        "und",
        "www",
    ]
)
"""InnoDB's default stopwords (INFORMATION_SCHEMA.INNODB_FT_DEFAULT_STOPWORD): not indexed."""
EXPANSIONS = {
    "ss": "ß",
    "ij": "Ĳĳ",
    "oe": "Œœ",
    "zw": "ƍ",
    "ts": "ƾ",
    "dz": "ǄǅǆǱǲǳ",
    "lj": "Ǉǈǉ",
    "nj": "Ǌǋǌ",
}
"""The one letters the collation takes as two (`ß` = `ss`), read from it; a word holding such a
pair is matched either way (but not found by LIKE, which takes them apart)."""
MAX_EXPANSIONS = 3
"""Words with more such pairs are left to the index (each doubles the REGEXP)."""
WORD = re.compile(r"\+?(\w+)")
# The characters utf8mb4_unicode_ci (MariaDB 10.11) takes as each letter, read from it.
LETTERS: dict[str, str] = {
    "a": "AaÀÁÂÃÄÅàáâãäåĀāĂăĄąǍǎǞǟǠǡǺǻȀȁȂȃȦȧḀḁẠạẢảẤấẦầẨẩẪẫẬậẮắẰằẲẳẴẵẶặＡａ",
    "b": "BbḂḃḄḅḆḇＢｂ",
    "c": "CcÇçĆćĈĉĊċČčḈḉＣｃ",
    "d": "DdĎďḊḋḌḍḎḏḐḑḒḓＤｄ",
    "e": "EeÈÉÊËèéêëĒēĔĕĖėĘęĚěȄȅȆȇȨȩḔḕḖḗḘḙḚḛḜḝẸẹẺẻẼẽẾếỀềỂểỄễỆệＥｅ",
    "f": "FfḞḟＦｆ",
    "g": "GgĜĝĞğĠġĢģǦǧǴǵḠḡＧｇ",
    "h": "HhĤĥȞȟḢḣḤḥḦḧḨḩḪḫẖＨｈ",
    "i": "IiÌÍÎÏìíîïĨĩĪīĬĭĮįİǏǐȈȉȊȋḬḭḮḯỈỉỊịＩｉ",
    "j": "JjĴĵǰＪｊ",
    "k": "KkĶķǨǩḰḱḲḳḴḵＫｋ",
    "l": "LlĹĺĻļĽľḶḷḸḹḺḻḼḽＬｌ",
    "m": "MmḾḿṀṁṂṃＭｍ",
    "n": "NnÑñŃńŅņŇňǸǹṄṅṆṇṈṉṊṋＮｎ",
    "o": "OoÒÓÔÕÖòóôõöŌōŎŏŐőƠơǑǒǪǫǬǭȌȍȎȏȪȫȬȭȮȯȰȱṌṍṎṏṐṑṒṓỌọỎỏỐốỒồỔổỖỗỘộỚớỜờỞởỠỡỢợＯｏ",
    "p": "PpṔṕṖṗＰｐ",
    "q": "QqＱｑ",
    "r": "RrŔŕŖŗŘřȐȑȒȓṘṙṚṛṜṝṞṟＲｒ",
    "s": "SsŚśŜŝŞşŠšſȘșṠṡṢṣṤṥṦṧṨṩẛＳｓ",
    "t": "TtŢţŤťȚțṪṫṬṭṮṯṰṱẗＴｔ",
    "u": "UuÙÚÛÜùúûüŨũŪūŬŭŮůŰűŲųƯưǓǔǕǖǗǘǙǚǛǜȔȕȖȗṲṳṴṵṶṷṸṹṺṻỤụỦủỨứỪừỬửỮữỰựＵｕ",
    "v": "VvṼṽṾṿＶｖ",
    "w": "WwŴŵẀẁẂẃẄẅẆẇẈẉẘＷｗ",
    "x": "XxẊẋẌẍＸｘ",
    "y": "YyÝýÿŶŷŸȲȳẎẏẙỲỳỴỵỶỷỸỹＹｙ",
    "z": "ZzŹźŻżŽžẐẑẒẓẔẕＺｚ",
    "а": "Аа",
    "б": "Бб",
    "в": "Вв",
    "г": "ГгҐґ",
    "д": "Дд",
    "е": "ЀЁЕеѐё",
    "ж": "ЖжӁӂ",
    "з": "Зз",
    "и": "ЍИиѝӢӣ",
    "й": "Йй",
    "к": "Кк",
    "л": "Лл",
    "м": "Мм",
    "н": "Нн",
    "о": "Оо",
    "п": "Пп",
    "р": "Рр",
    "с": "Сс",
    "т": "Тт",
    "у": "УуӮӯ",
    "ф": "Фф",
    "х": "Хх",
    "ц": "Цц",
    "ч": "Чч",
    "ш": "Шш",
    "щ": "Щщ",
    "ъ": "Ъъ",
    "ы": "Ыы",
    "ь": "Ьь",
    "э": "Ээ",
    "ю": "Юю",
    "я": "Яя",
}
_BASE = {char: base for base, chars in LETTERS.items() for char in chars}


@dataclass(frozen=True, slots=True)
class Pattern:
    """The query's word for the walk: `like` finds it as a part of a message (the collation's
    equal letters alike), then `regexp` as a word of its own (as the index splits words)."""

    like: str
    regexp: str


def walk_pattern(query: SearchQuery) -> Pattern | None:
    """How the walk finds the query's word as the index does, or None: not a walkable query."""
    found = WORD.fullmatch(query.text.strip())
    if found is None or (query.mode == "natural" and query.text.strip().startswith("+")):
        return None
    word = found[1]
    bases = [_BASE.get(char) for char in word]
    if not MIN_WORD_CHARS <= len(word) <= MAX_WORD_CHARS or None in bases:
        return None
    folded = "".join(base or "" for base in bases)
    pairs = sum(folded[i : i + 2] in EXPANSIONS for i in range(len(folded) - 1))
    if folded in STOPWORDS or pairs > MAX_EXPANSIONS:
        return None
    return Pattern("%" if pairs else f"%{word}%", rf"\b{_letters(folded)}\b")


def _letters(folded: str) -> str:
    """`folded`'s letters, each as any of its equals, a pair also as the one letter it equals."""
    if not folded:
        return ""
    one = f"[{LETTERS[folded[0]]}]"
    pair = EXPANSIONS.get(folded[:2])
    if pair is None:
        return one + _letters(folded[1:])
    return f"(?:{one}{_letters(folded[1:])}|[{pair}]{_letters(folded[2:])})"


def first_chat_sql(site_id: int, messages: int) -> tuple[str, list[Any]]:
    """The chat of the site's `messages`-th newest message (no row: the site has fewer)."""
    sql = (
        "SELECT chat_number FROM messages WHERE site_id = %s"
        " ORDER BY chat_number DESC, seq DESC LIMIT 1 OFFSET %s"
    )
    return sql, [site_id, messages - 1]


def walk_sql(
    site_id: int,
    first_chat: int,
    query: SearchQuery,
    pattern: Pattern,
    operator: str | None,
    offset: int,
    limit: int,
    body_chars: int,
) -> tuple[str, list[Any]]:
    """The walk as one statement of the same rows as archive_search.search_sql's: the site's
    chats from `first_chat` on (first_chat_sql's), each read in full, newest first."""
    return hits_sql(
        site_id,
        "m.chat_number >= %s AND m.body LIKE %s AND m.body REGEXP %s",
        [first_chat, pattern.like, pattern.regexp],
        query,
        operator,
        offset,
        limit,
        body_chars,
    )


def hits_sql(
    site_id: int,
    matching: str,
    matching_params: list[Any],
    query: SearchQuery,
    operator: str | None,
    offset: int,
    limit: int,
    body_chars: int,
) -> tuple[str, list[Any]]:
    """One row per chat of the site with its latest message meeting `matching` (a fixed SQL
    condition on `m`, its values in `matching_params`), in the query's days and of `operator`'s
    chats when given, newest chat first: the rows of the index and of the walk alike."""
    where = [f"m.site_id = %s AND {matching} AND m.sender <> %s"]
    params: list[Any] = [site_id, *matching_params, Sender.SYSTEM.value]
    chats = ""
    if operator is not None:
        chats = " JOIN chats oc ON oc.site_id = m.site_id AND oc.number = m.chat_number"
        where.append("oc.operator_jid = %s")
        params.append(operator)
    if query.since is not None:
        where.append("m.at >= %s")
        params.append(to_db_time(query.since))
    if query.until is not None:
        where.append("m.at < %s")
        params.append(to_db_time(query.until))
    sql = (
        "SELECT c.number, m.at, c.visitor_name, c.visitor, c.operator_jid, LEFT(m.body, %s)"
        " FROM (SELECT m.chat_number, MAX(m.seq) AS seq FROM messages m"
        f"{chats} WHERE {' AND '.join(where)}"
        " GROUP BY m.chat_number ORDER BY m.chat_number DESC LIMIT %s OFFSET %s) hit"
        " JOIN messages m ON m.site_id = %s AND m.chat_number = hit.chat_number"
        " AND m.seq = hit.seq"
        " JOIN chats c ON c.site_id = m.site_id AND c.number = m.chat_number"
        " ORDER BY c.number DESC"
    )
    return sql, [body_chars, *params, limit, offset, site_id]
