"""The archive's full-text search at scale: `search` through the component over XMPP, its SQL
underneath, and a `LIKE '%word%'` scan of the same site in the same run; `recent` and `transcript`
through XMPP beside them.

A throwaway ejabberd and MariaDB (devstack) and `helperchat run` in its own process. The archive:
N messages (default 1,000,000) over N/20 chats in 10 sites, written with batched multi-row INSERTs
(the FULLTEXT index dropped while filling and built again after, both timed); each message 4-16
words drawn with a Zipf-like frequency (weight 1/rank) from a vocabulary of English and Russian
words (a few hundred real ones first, then made-up ones of both alphabets, 4,000 in all). A query
is one word: of rank 20 or more, each as likely (the main line, with the SQL and the scan); the
same with ranks drawn log-uniformly (frequent words far more often); and the 20 commonest words.
The full-text cost grows with the messages holding the word in every site (InnoDB's index is one
for the table), the scan's with the messages of the site read newest first until a page is found;
the search SQL is what `search` asks (storage/archive_search.py: a one-word query walks the
site's newest messages first, the index answers when that fills no page).
One slixmpp operator, admin of every site, runs the commands; each timing is one command's round
trip, from sending the request to its answer. Goals: search p95 <= 50 ms through XMPP, the scan
>= 20 x slower than the full-text SQL, recent and transcript p95 <= 20 ms.

    python bench/search.py [--quick] [--messages 1000000] [--queries 200] [--scans 20]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.web import (
    OPERATOR,
    Stack,
    helperchat,
    raise_file_limit,
    start_helperchat,
    stop,
    write_config,
)
from component.config import MysqlConfig
from component.desk.search_view import SearchQuery
from component.storage import Database, open_database
from component.storage.archive_search import AGAINST, ArchiveSearch, search_sql
from devstack import Ejabberd, MariaDB
from devstack.ports import free_port
from tests.integration.clients import Client

SITES = 10
PER_CHAT = 20
VOCABULARY = 4000
ROWS_PER_INSERT = 2000
PAGE = 21
"""What `search` reads for one page (20 and one more, to know there is a next)."""
COMMON = 20
"""Words of rank below this are the commonest; queries are drawn from the rest."""
SEARCH_GOAL, RATIO_GOAL, BROWSE_GOAL = 50.0, 20.0, 20.0
START = datetime(2025, 1, 1, tzinfo=UTC).timestamp()
YEAR = 365 * 86400.0
ENGLISH_WORDS = (
    "order delivery payment refund invoice account password login email address phone "
    "shipping tracking number package parcel warehouse courier product price discount coupon "
    "cart checkout card bank transfer receipt return exchange size color model version update "
    "problem error question answer help support manager operator customer client service "
    "thanks hello please sorry today tomorrow yesterday morning evening week month year "
    "time minute hour wait check send receive open close cancel confirm change delete create "
    "register subscribe unsubscribe message letter notification website page link button form "
    "field screen mobile application download install browser computer laptop tablet battery "
    "charger cable screen keyboard mouse printer camera speaker headphones warranty repair "
    "broken damaged missing wrong late early fast slow cheap expensive good great fine still "
    "really maybe perhaps already again never always usually sometimes soon later just only "
    "colour weight length width height box store shop office city street house apartment "
    "country region postcode name surname company contract document passport signature "
    "agreement offer promotion sale gift bonus points level status profile settings language"
)
RUSSIAN_WORDS = (
    "заказ доставка оплата возврат счёт аккаунт пароль вход почта адрес телефон отправка "
    "номер посылка склад курьер товар цена скидка купон корзина карта банк перевод чек "
    "обмен размер цвет модель версия проблема ошибка вопрос ответ помощь поддержка менеджер "
    "оператор клиент сервис спасибо здравствуйте пожалуйста извините сегодня завтра вчера "
    "утром вечером неделя месяц время минута час ждать проверить отправить получить открыть "
    "закрыть отменить подтвердить изменить удалить создать письмо уведомление сайт страница "
    "ссылка кнопка форма поле экран телефона приложение скачать установить браузер компьютер "
    "ноутбук планшет батарея зарядка кабель клавиатура принтер камера наушники гарантия "
    "ремонт сломан повреждён нет неправильно поздно быстро медленно дёшево дорого хорошо "
    "отлично уже снова никогда всегда обычно иногда скоро потом только коробка магазин офис "
    "город улица дом квартира страна регион индекс имя фамилия компания договор документ "
    "паспорт подпись соглашение предложение акция распродажа подарок бонус баллы уровень "
    "статус профиль настройки язык пришёл пришла пришло когда где почему можно нужно"
)
LATIN = "bcdfgklmnprstvz", "aeiou"
CYRILLIC = "бвгдзклмнпрстф", "аеиоуя"
ENGLISH, RUSSIAN = ENGLISH_WORDS.split(), RUSSIAN_WORDS.split()


@dataclass(frozen=True)
class Sizes:
    messages: int
    queries: int
    scans: int

    @property
    def chats(self) -> int:
        return max(SITES, self.messages // PER_CHAT)


def vocabulary(rng: random.Random) -> list[str]:
    """Real words first (the most frequent ranks), then made-up ones, both alphabets in turn."""
    words = list(dict.fromkeys(w for pair in zip(ENGLISH, RUSSIAN, strict=False) for w in pair))
    words += [w for w in ENGLISH + RUSSIAN if w not in words]
    seen = set(words)
    while len(words) < VOCABULARY:
        consonants, vowels = LATIN if len(words) % 2 else CYRILLIC
        parts = rng.randint(2, 4)
        word = "".join(rng.choice(consonants) + rng.choice(vowels) for _ in range(parts))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


class Texts:
    """Message bodies with Zipf-distributed words (weight 1 / rank)."""

    def __init__(self, rng: random.Random, words: list[str]) -> None:
        self._rng = rng
        self.words = words
        self._weights = list(_cumulative(1.0 / rank for rank in range(1, len(words) + 1)))

    def body(self) -> str:
        count = self._rng.randint(4, 16)
        return " ".join(self._rng.choices(self.words, cum_weights=self._weights, k=count))

    def query_word(self) -> str:
        """A word of rank COMMON or more, each as likely (the words one looks for)."""
        return self.words[self._rng.randrange(COMMON, len(self.words))]

    def frequent_word(self) -> str:
        """A word of rank COMMON or more, log-uniformly: the more frequent words more often."""
        rank = int(math.exp(self._rng.uniform(math.log(COMMON), math.log(len(self.words)))))
        return self.words[min(rank, len(self.words) - 1)]

    def common_word(self) -> str:
        return self.words[self._rng.randrange(COMMON)]


def _cumulative(values: Any) -> Any:
    total = 0.0
    for value in values:
        total += value
        yield total


# --- the archive ---------------------------------------------------------------------------------


async def fill(db: Database, sites: list[int], sizes: Sizes, texts: Texts) -> tuple[float, float]:
    """The chats and messages, then the FULLTEXT index; (seconds filling, seconds indexing)."""
    await db.execute("ALTER TABLE messages DROP INDEX messages_body_text")
    began = time.perf_counter()
    per_site = sizes.chats // len(sites)
    step = YEAR / per_site
    chats: list[tuple[Any, ...]] = []
    messages: list[tuple[Any, ...]] = []
    for number in range(1, per_site + 1):
        opened = datetime.fromtimestamp(START + number * step, UTC)
        for site in sites:
            operator = OPERATOR if number % 3 else f"colleague{number % 5}@localhost"
            visitor = f"visitor{number}@example.org"
            name = f"Visitor {number}"
            chats.append(
                (site, number, visitor, "xmpp", name, "closed", operator, opened, opened, "bench")
            )
            for seq in range(1, PER_CHAT + 1):
                author = visitor if seq % 2 else operator
                sender = "visitor" if seq % 2 else "operator"
                messages.append((site, number, seq, opened, sender, author, texts.body()))
        if len(messages) >= ROWS_PER_INSERT:
            await _insert(db, chats, messages)
            chats, messages = [], []
    await _insert(db, chats, messages)
    filled = time.perf_counter() - began
    print(f"filled in {filled:.0f} s; building the index", file=sys.stderr, flush=True)
    began = time.perf_counter()
    await db.execute("ALTER TABLE messages ADD FULLTEXT KEY messages_body_text (body)")
    return filled, time.perf_counter() - began


async def _insert(
    db: Database, chats: list[tuple[Any, ...]], messages: list[tuple[Any, ...]]
) -> None:
    if not chats:
        return
    await db.execute(
        "INSERT INTO chats (site_id, number, visitor, visitor_kind, visitor_name, state,"
        " operator_jid, opened_at, closed_at, route_reason) VALUES "
        + ",".join(["(%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)"] * len(chats)),
        [value for row in chats for value in row],
    )
    for start in range(0, len(messages), ROWS_PER_INSERT):
        batch = messages[start : start + ROWS_PER_INSERT]
        await db.execute(
            "INSERT INTO messages (site_id, chat_number, seq, at, sender, author, body) VALUES "
            + ",".join(["(%s,%s,%s,%s,%s,%s,%s)"] * len(batch)),
            [value for row in batch for value in row],
        )


# --- timings -------------------------------------------------------------------------------------


async def timed(runs: int, once: Callable[[int], Awaitable[None]]) -> list[float]:
    """Milliseconds of each of `runs` calls (after 3 others to warm up)."""
    for n in range(runs, runs + 3):
        await once(n)
    found = []
    for n in range(runs):
        began = time.perf_counter()
        await once(n)
        found.append((time.perf_counter() - began) * 1000)
    return found


@dataclass
class Bench:
    db: Database
    operator: Client
    domain: str
    slugs: dict[int, str]
    texts: Texts
    sizes: Sizes
    rng: random.Random

    def site(self, n: int) -> tuple[int, str]:
        site_id = sorted(self.slugs)[n % len(self.slugs)]
        return site_id, self.slugs[site_id]

    async def sql(self, n: int, word: str) -> list[Any]:
        """What `search` asks the database (the walk, then the index if the walk fills no page)."""
        site_id, _ = self.site(n)
        return list(await ArchiveSearch(self.db).search(site_id, SearchQuery(word), None, 0, PAGE))

    async def scan(self, n: int, word: str) -> list[Any]:
        site_id, _ = self.site(n)
        sql, params = search_sql(site_id, SearchQuery(word), None, 0, PAGE)
        like = sql.replace(AGAINST["natural"], "m.body LIKE %s")
        params[params.index(word)] = f"%{word}%"
        return await self.db.fetch_all(like, params)

    async def command(self, n: int, node: str, values: dict[str, str] | None = None) -> Any:
        _, slug = self.site(n)
        answer = await self.operator.run_command(f"{slug}@{self.domain}", node, values=values)
        if answer["type"] != "result":
            raise RuntimeError(f"{node} failed: {answer}")
        return answer


async def measure(bench: Bench) -> dict[str, list[float]]:
    sizes, texts = bench.sizes, bench.texts
    words = [texts.query_word() for _ in range(sizes.queries + 3)]
    frequent = [texts.frequent_word() for _ in range(sizes.queries + 3)]
    common = [texts.common_word() for _ in range(sizes.queries + 3)]
    chats = [bench.rng.randint(1, sizes.chats // SITES) for _ in range(sizes.queries + 3)]
    results: dict[str, list[float]] = {}

    async def via_xmpp(n: int) -> None:
        await bench.command(n, "search", {"query": words[n]})

    async def frequent_via_xmpp(n: int) -> None:
        await bench.command(n, "search", {"query": frequent[n]})

    async def frequent_sql(n: int) -> None:
        await bench.sql(n, frequent[n])

    async def common_via_xmpp(n: int) -> None:
        await bench.command(n, "search", {"query": common[n]})

    async def recent(n: int) -> None:
        await bench.command(n, "recent")

    async def transcript(n: int) -> None:
        await bench.command(n, "transcript", {"chat": str(chats[n])})

    async def sql(n: int) -> None:
        await bench.sql(n, words[n])

    async def scan(n: int) -> None:
        await bench.scan(n, words[n])

    results["search"] = await timed(sizes.queries, via_xmpp)
    results["sql"] = await timed(sizes.queries, sql)
    results["scan"] = await timed(sizes.scans, scan)
    results["frequent"] = await timed(sizes.queries, frequent_via_xmpp)
    results["frequent_sql"] = await timed(sizes.queries, frequent_sql)
    results["common"] = await timed(sizes.scans, common_via_xmpp)
    results["recent"] = await timed(sizes.queries, recent)
    results["transcript"] = await timed(sizes.queries, transcript)
    results["matches"] = [float(len(await bench.sql(n, words[n]))) for n in range(sizes.queries)]
    return results


# --- the stack -----------------------------------------------------------------------------------


async def setup(base: Path, ejabberd: Ejabberd, mariadb: MariaDB) -> tuple[Stack, Database]:
    ejabberd.register_user("operator", "pw", exist_ok=True)
    mariadb.create_database("bench", "bench", "benchpw")
    mariadb.sql("SET GLOBAL innodb_buffer_pool_size = 1073741824")  # the archive fits in RAM
    http_port = free_port()
    config = write_config(base, ejabberd, mariadb, http_port)
    helperchat(config, "db", "init")
    for n in range(SITES):
        helperchat(config, "site", "add", f"site{n}", "--name", f"Site {n}")
        helperchat(config, "operator", "add", f"site{n}", OPERATOR, "--name", "Op", "--admin")
    stack = Stack(
        ejabberd, mariadb, config, f"http://127.0.0.1:{http_port}", ejabberd.component_domain
    )
    db = await open_database(
        MysqlConfig(
            host=mariadb.host,
            port=mariadb.port,
            user="bench",
            password="benchpw",
            database="bench",
            query_timeout=3600.0,  # building the index on a large archive takes minutes
        )
    )
    return stack, db


async def bench(sizes: Sizes) -> None:
    raise_file_limit()
    rng = random.Random(14)
    texts = Texts(rng, vocabulary(rng))
    base = Path(tempfile.mkdtemp(prefix="helperchat-bench-search-"))
    base.chmod(0o755)
    ejabberd, mariadb = Ejabberd(), MariaDB()
    try:  # whatever fails, no server outlives the bench
        ejabberd.start(base / "ejabberd")
        try:
            mariadb.start(base / "mariadb")
            stack, db = await setup(base, ejabberd, mariadb)
            try:
                slugs = {
                    int(r[0]): str(r[1]) for r in await db.fetch_all("SELECT id, slug FROM sites")
                }
                filled, indexed = await fill(db, sorted(slugs), sizes, texts)
                process = await start_helperchat(stack)
                client = Client(OPERATOR, "pw", "127.0.0.1", ejabberd.c2s_port)
                operator = await client.start()
                try:
                    run = Bench(db, operator, stack.domain, slugs, texts, sizes, rng)
                    results = await measure(run)
                finally:
                    await operator.stop()
                    stop(process)
            finally:
                await db.close()
        finally:
            mariadb.stop()
    finally:
        ejabberd.stop()
        shutil.rmtree(base, ignore_errors=True)
    print("\n".join(report(sizes, filled, indexed, results)))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def report(
    sizes: Sizes, filled: float, indexed: float, results: dict[str, list[float]]
) -> list[str]:
    def row(label: str, name: str, goal: str = "") -> str:
        values = results[name]
        line = f"  {label:<42} {pct(values, 0.5):8.1f} {pct(values, 0.95):8.1f}"
        return f"{line}   {goal}" if goal else line

    sql, scan = results["sql"], results["scan"]
    ratio50, ratio95 = pct(scan, 0.5) / pct(sql, 0.5), pct(scan, 0.95) / pct(sql, 0.95)
    matches = results["matches"]
    return [
        f"search: {sizes.messages} messages in {sizes.chats} chats of {SITES} sites,"
        f" {VOCABULARY} words (Zipf), {sizes.queries} queries, {sizes.scans} scans",
        f"  filled in {filled:.1f} s ({sizes.messages / filled:.0f} messages/s),"
        f" FULLTEXT index built in {indexed:.1f} s",
        f"  chats found per query (of {PAGE} read): median {statistics.median(matches):.0f},"
        f" {sum(1 for m in matches if m == 0)} found nothing",
        f"  {'':<42} {'p50 ms':>8} {'p95 ms':>8}",
        row(
            f"search via XMPP (a word of rank {COMMON}+)",
            "search",
            f"(goal: p95 <= {SEARCH_GOAL:g})",
        ),
        row("search SQL (newest-first walk, or MATCH)", "sql"),
        row("LIKE '%word%' scan SQL", "scan"),
        row("search via XMPP (ranks log-uniform)", "frequent"),
        row("search SQL (ranks log-uniform)", "frequent_sql"),
        row(f"search via XMPP (the {COMMON} commonest words)", "common"),
        row("recent via XMPP", "recent", f"(goal: p95 <= {BROWSE_GOAL:g})"),
        row("transcript via XMPP", "transcript", f"(goal: p95 <= {BROWSE_GOAL:g})"),
        f"  ratio scan / full-text SQL: {ratio50:.1f} x at p50, {ratio95:.1f} x at p95"
        f"   (goal: >= {RATIO_GOAL:g})",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, for the smoke test")
    parser.add_argument("--messages", type=int)
    parser.add_argument("--queries", type=int)
    parser.add_argument("--scans", type=int)
    args = parser.parse_args()
    messages, queries, scans = (20_000, 30, 5) if args.quick else (1_000_000, 200, 20)
    sizes = Sizes(args.messages or messages, args.queries or queries, args.scans or scans)
    asyncio.run(bench(sizes))


if __name__ == "__main__":
    main()
