"""The search index against SQLite FTS5 on the same synthetic listings, in one run.

    .venv/bin/python bench/search.py [--sizes 10000,100000] [--queries 200] [--seed 7]

For each size it generates that many listings (Chinese and English titles, summaries,
descriptions and tags from a fixed vocabulary with a Zipf-like word distribution, four
scenarios, five product types, 500 merchants, prices from free to ¥100,000), then:

- **whoosh**: the platform's own index (``marketplace.search``: the schema, jieba analysis,
  columns and docset facets the storefront uses), built in one writer;
- **fts5**: an SQLite FTS5 table over the same documents, analysed by the same analyzer (FTS5
  cannot segment Chinese), with the facet and sort values in an ordinary table beside it and
  every query written text-match first;
- **whoosh, plain**: Whoosh with a plain schema and no tuning (``bench/search_plain.py``), the
  starting point the search issue measured, as the baseline of the platform's index.

It prints build time and index size, and the median and 95th percentile of four kinds of query,
each asked ``--queries`` times with words drawn from the vocabulary:

- one word; two words (both must match); a two-word phrase taken from a title;
- filtered and faceted: a word, a scenario and a price range, with the count of every value of
  every facet (each facet counted with the other filters), as the browse page asks.

Every engine returns the first page of 24 by relevance and the total. Figures in
``docs/performance.md`` come from this script; the test suite runs it with tiny sizes only.
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(ROOT), str(BENCH)]

from search_plain import PlainWhooshEngine  # noqa: E402  (bench/search_plain.py)

from marketplace.search import analysis  # noqa: E402
from marketplace.search.analysis import TEXT_SEPARATOR, analyze, pinyin_text  # noqa: E402
from marketplace.search.documents import PRICE_RANGES, price_range  # noqa: E402
from marketplace.search.index import SearchIndex  # noqa: E402
from marketplace.search.query import SearchRequest, run  # noqa: E402

PAGE = 24
WARM_UP = 10
FACETS = ("scenario", "product_type", "delivery_form", "classification_level", "merchant_id",
          "price_range")

CHINESE = (
    "企业 信用 风险 模型 核验 黑名单 驾驶员 交通 违法 医院 运营 指标 健康 评估 社保 纳税 数据 质量 "
    "稽核 失信 执行 四要素 三要素 统计 传染病 停车场 泊位 画像 小微 等级 贷后 监测 保险 核保 车辆 "
    "车牌 司机 准入 货运 物流 银行 授信 反欺诈 身份 实名 手机 地址 工商 登记 司法 涉诉 判决 法院 "
    "税务 发票 就业 人口 户籍 教育 学历 资质 许可 环保 排污 能源 用电 用水 气象 农业 土地 房产 "
    "不动产 公积金 医保 药品 疫苗 门诊 住院 病种 费用 公共 开放 授权 运营 脱敏 加密 隐私 合规 "
    "治理 标准 映射 分级 分类 识别 预警 异常 行为 审计 溯源 实时 历史 月度 年度 区域 城市 省级 "
    "全国 行业 景气 指数 价格 交易 市场 供应链 采购 招投标 知识产权 专利 商标 进出口 海关 外汇 "
    "金融 证券 基金 理财 消费 信贷 逾期 违约 概率 评分 报告 查询 接口 服务 批量 文件").split()
ENGLISH = (
    "enterprise credit risk model verification blacklist driver transport violation hospital "
    "operations indicator health assessment social security tax payment data quality audit "
    "dishonest judgment defaulter statistics epidemic parking occupancy profile small business "
    "level monitoring insurance underwriting vehicle plate fleet logistics bank lending fraud "
    "identity mobile address registration court litigation invoice employment population "
    "education licence permit energy electricity weather agriculture property housing fund "
    "medicine vaccine outpatient inpatient cost public open authorized desensitization privacy "
    "compliance governance standard mapping classification detection warning anomaly behaviour "
    "traceability realtime history monthly annual regional city provincial national industry "
    "index price trade market supply chain procurement tender patent trademark customs finance "
    "securities consumer overdue default probability score report query api service batch "
    "file").split()
SCENARIOS = ("finance", "transport", "medical", "social_governance")
PRODUCT_TYPES = ("raw_dataset", "desensitized_dataset", "modelized_data", "ai_data",
                 "governance_tool")
DELIVERY = ("data_package", "query_api", "verification_api", "service_api", "batch_job")
PRICING = ("free", "one_time", "per_call", "membership", "service_fee")


#: Words beyond the domain's own: common words of jieba's dictionary, and made-up English-like
#: words, so that a catalog of 100,000 listings has the long tail of words a real one has.
EXTRA_CHINESE = 6000
EXTRA_ENGLISH = 3000
_ONSETS = "b c d f g h j k l m n p r s t v w br cr dr fl gr pl pr sh st tr".split()
_VOWELS = "a e i o u ai ea io ou".split()


def zipf_cumulative(count: int) -> list[float]:
    """Cumulative Zipf weights (computed once: ``random.choices`` with plain weights sums them
    again on every call)."""
    return list(itertools.accumulate(1 / (rank + 1) for rank in range(count)))


def made_up_words(rng: random.Random, count: int) -> list[str]:
    words: set[str] = set()
    while len(words) < count:
        words.add("".join(rng.choice(_ONSETS) + rng.choice(_VOWELS)
                          for _ in range(rng.randint(2, 3))) + rng.choice(["", "n", "s", "r"]))
    return sorted(words)


def dictionary_words(count: int) -> list[str]:
    freq = analysis.segmenter().FREQ
    words = [word for word, n in freq.items()
             if n > 0 and 2 <= len(word) <= 3 and analysis.has_chinese(word)
             and all("\u4e00" <= char <= "\u9fff" for char in word)]
    words.sort(key=lambda word: (-freq[word], word))
    return words[:count]


class Vocabulary:
    """Domain words first (the most frequent), then a long tail; frequencies follow Zipf's
    law (the n-th word is n times rarer than the first)."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        extra_chinese = [w for w in dictionary_words(EXTRA_CHINESE * 2) if w not in CHINESE]
        rng.shuffle(extra_chinese)
        self.chinese = CHINESE + extra_chinese[:EXTRA_CHINESE]
        self.english = ENGLISH + [w for w in made_up_words(rng, EXTRA_ENGLISH)
                                  if w not in ENGLISH]
        self.cw = zipf_cumulative(len(self.chinese))
        self.ew = zipf_cumulative(len(self.english))

    def zh(self, count: int) -> list[str]:
        return self.rng.choices(self.chinese, cum_weights=self.cw, k=count)

    def en(self, count: int) -> list[str]:
        return self.rng.choices(self.english, cum_weights=self.ew, k=count)

    def sentence(self, zh: int, en: int) -> str:
        return "".join(self.zh(zh)) + "，" + " ".join(self.en(en)) + "."


def listing(vocabulary: Vocabulary, number: int) -> dict:
    rng = vocabulary.rng
    title = "".join(vocabulary.zh(rng.randint(2, 4))) + " " + " ".join(
        vocabulary.en(rng.randint(2, 4))).capitalize()
    price = 0 if rng.random() < 0.12 else int(10 ** rng.uniform(2, 7))
    return {
        "product_id": number,
        "title": title,
        "summary": vocabulary.sentence(rng.randint(4, 8), rng.randint(5, 10)),
        "description": " ".join(vocabulary.sentence(rng.randint(3, 8), rng.randint(4, 12))
                                for _ in range(rng.randint(3, 6))),
        "tags": vocabulary.zh(rng.randint(1, 3)) + vocabulary.en(rng.randint(1, 3)),
        "merchant": f"Merchant {rng.randint(1, 500)}",
        "scenario": rng.choice(SCENARIOS),
        "product_type": rng.choice(PRODUCT_TYPES),
        "delivery_form": rng.choice(DELIVERY),
        "classification_level": str(rng.randint(1, 4)),
        "pricing_models": sorted(set(rng.sample(PRICING, rng.randint(1, 3)))),
        "price": price,
        "rating": rng.randint(0, 5000),
        "sales": rng.randint(0, 2000),
        "published": 1_700_000_000 + number * 60,
    }


def texts(item: dict) -> tuple[list[str], list[str]]:
    """(title and tags, all the text) of a listing, as the platform's documents hold them."""
    titles = [item["title"], *item["tags"]]
    return titles, [*titles, item["summary"], item["description"], item["merchant"],
                    item["scenario"], item["product_type"], pinyin_text(titles)]


def whoosh_document(item: dict) -> dict:
    titles, everything = texts(item)
    return {
        "product_id": str(item["product_id"]), "listing_id": item["product_id"],
        "title": TEXT_SEPARATOR.join(titles), "content": TEXT_SEPARATOR.join(everything),
        "spelling": TEXT_SEPARATOR.join(titles),
        "scenario": item["scenario"], "product_type": item["product_type"],
        "delivery_form": item["delivery_form"],
        "classification_level": item["classification_level"],
        "merchant_id": item["merchant"].split()[-1],
        "price_range": price_range(item["price"]),
        "pricing_models": ",".join(item["pricing_models"]), "price": item["price"],
        "rating": item["rating"], "rating_count": 1, "sales": item["sales"],
        "published": item["published"], "title_key": item["title"].casefold()[:100],
    }


def folder_size(path: Path) -> int:
    return sum(file.stat().st_size for file in path.rglob("*") if file.is_file())


# ---------------------------------------------------------------------------- the engines


class WhooshEngine:
    name = "whoosh"

    def __init__(self, folder: Path):
        self.index = SearchIndex(folder / "whoosh")

    def build(self, items: list[dict]) -> None:
        with self.index.write_lock(), \
                self.index.writer(replace_all=True, procs=os.cpu_count() or 1) as writer:
            for item in items:
                writer.add_document(**whoosh_document(item))
        self.searcher = self.index.searcher()
        self.table = self.index.table(self.searcher)

    def size(self) -> int:
        return folder_size(self.index.folder)

    def query(self, text: str, filters: dict | None = None) -> tuple[list[int], int]:
        request = SearchRequest(q=text, filters=filters or {}, per_page=PAGE,
                                count_facets=bool(filters))
        hits = run(self.searcher, self.table, request)
        return hits.product_ids, hits.total


class Fts5Engine:
    name = "fts5"

    def __init__(self, folder: Path):
        self.path = folder / "fts5.db"
        self.db = sqlite3.connect(self.path)
        self.db.executescript("""
            PRAGMA journal_mode = WAL;
            CREATE TABLE docs (id INTEGER PRIMARY KEY, scenario TEXT, product_type TEXT,
                               delivery_form TEXT, classification_level TEXT, merchant_id TEXT,
                               price_range TEXT, price INTEGER, published INTEGER);
            CREATE INDEX docs_scenario_price ON docs (scenario, price);
            CREATE VIRTUAL TABLE fts USING fts5(title, content, tokenize = 'unicode61');
        """)

    def build(self, items: list[dict]) -> None:
        def terms(texts: list[str]) -> str:
            # The platform's analyzer, as Whoosh gets it (FTS5 cannot segment Chinese).
            return " ".join(analyze(TEXT_SEPARATOR.join(texts)))

        with self.db:
            self.db.executemany(
                "INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(i["product_id"], i["scenario"], i["product_type"], i["delivery_form"],
                  i["classification_level"], i["merchant"].split()[-1],
                  price_range(i["price"]), i["price"], i["published"]) for i in items])
            rows = []
            for item in items:
                titles, everything = texts(item)
                rows.append((item["product_id"], terms(titles), terms(everything)))
            self.db.executemany("INSERT INTO fts (rowid, title, content) VALUES (?, ?, ?)",
                                rows)
            self.db.execute("INSERT INTO fts (fts) VALUES ('optimize')")

    def size(self) -> int:
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return self.path.stat().st_size

    @staticmethod
    def match(text: str) -> str:
        # Matched against all the text, as the platform does; ranked with bm25's column weights
        # (title 3, content 1). A word is the phrase of its terms (a Chinese compound is several).
        if text.startswith('"'):
            return 'content : "' + " ".join(analyze(text.strip('"'))) + '"'
        return " AND ".join('content : "' + " ".join(analyze(word)) + '"'
                            for word in text.split())

    def query(self, text: str, filters: dict | None = None) -> tuple[list[int], int]:
        match = self.match(text)
        if not filters:
            page = [row[0] for row in self.db.execute(
                "SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY bm25(fts, 3.0, 1.0) LIMIT ?",
                (match, PAGE))]
            total = self.db.execute("SELECT count(*) FROM fts WHERE fts MATCH ?",
                                    (match,)).fetchone()[0]
            return page, total
        # Text first, materialized once; then filters, the page, and every facet's counts
        # (each facet counted with the other filters).
        self.db.execute("DROP TABLE IF EXISTS temp.matched")
        self.db.execute("CREATE TEMP TABLE matched AS SELECT d.* FROM fts JOIN docs d "
                        "ON d.id = fts.rowid WHERE fts MATCH ?", (match,))
        where = " AND ".join(f"{name} = :{name}" for name in filters)
        on_docs = " AND ".join(f"d.{name} = :{name}" for name in filters)
        page = [row[0] for row in self.db.execute(
            f"SELECT fts.rowid FROM fts JOIN docs d ON d.id = fts.rowid WHERE fts MATCH :match "
            f"AND {on_docs} ORDER BY bm25(fts, 3.0, 1.0) LIMIT :page",
            {**filters, "match": match, "page": PAGE})]
        total = self.db.execute(f"SELECT count(*) FROM matched WHERE {where}",
                                filters).fetchone()[0]
        for facet in FACETS:
            others = " AND ".join(f"{name} = :{name}" for name in filters if name != facet)
            self.db.execute(f"SELECT {facet}, count(*) FROM matched "
                            f"{'WHERE ' + others if others else ''} GROUP BY {facet}",
                            filters).fetchall()
        return page, total


# ---------------------------------------------------------------------------- the run


def queries(vocabulary: Vocabulary, items: list[dict], count: int,
            rng: random.Random) -> dict[str, list[tuple[str, dict | None]]]:
    def word() -> str:
        return rng.choice([vocabulary.zh(1)[0], vocabulary.en(1)[0]])

    def phrase() -> str:
        title = rng.choice(items)["title"]
        english = title.split(" ", 1)[1].lower().split()
        return '"' + " ".join(english[:2]) + '"'

    ranges = [key for key, _low, _high in PRICE_RANGES]
    return {
        "one word": [(word(), None) for _ in range(count)],
        "two words": [(f"{word()} {word()}", None) for _ in range(count)],
        "phrase": [(phrase(), None) for _ in range(count)],
        "filtered + faceted": [(word(), {"scenario": rng.choice(SCENARIOS),
                                         "price_range": rng.choice(ranges[1:])})
                               for _ in range(count)],
    }


def timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def measure(engine, asked: list[tuple[str, dict | None]]) -> tuple[float, float, float]:
    for text, filters in asked[:WARM_UP]:
        engine.query(text, dict(filters) if filters else None)
    times = sorted(timed(lambda t=text, f=filters: engine.query(t, dict(f) if f else None))
                   for text, filters in asked)
    totals = [engine.query(text, dict(f) if f else None)[1] for text, f in asked[:20]]
    return (statistics.median(times), times[int(len(times) * 0.95) - 1 if len(times) > 1 else 0],
            statistics.mean(totals))


def run_size(size: int, count: int, seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    vocabulary = Vocabulary(rng)
    items = [listing(vocabulary, number) for number in range(1, size + 1)]
    asked = queries(vocabulary, items, count, random.Random(seed + 1))
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-search-") as folder:
        for engine in (WhooshEngine(Path(folder)), Fts5Engine(Path(folder)),
                       PlainWhooshEngine(Path(folder), PAGE)):
            seconds = timed(lambda e=engine: e.build(items)) / 1000
            row = [engine.name, f"{size:,}", f"{seconds:.1f}", f"{engine.size() / 2**20:.1f}"]
            for kind_queries in asked.values():
                median, p95, hits = measure(engine, kind_queries)
                row.append(f"{median:.1f} / {p95:.1f} ({hits:,.0f})")
            rows.append(row)
            print(f"  {engine.name} {size:,}: done", file=sys.stderr, flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000",
                        help="Comma-separated numbers of listings (default 10000,100000).")
    parser.add_argument("--queries", type=int, default=200,
                        help="Queries of each kind per engine and size (default 200).")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
    analysis.configure(Path(tempfile.gettempdir()) / "datamarket-bench-jieba")
    analysis.segmenter()  # load jieba before timing anything
    print(f"Search: the platform's Whoosh index against SQLite FTS5 "
          f"(SQLite {sqlite3.sqlite_version}), {args.queries} queries of each kind")
    print(f"Machine: {os.cpu_count()} cores, {platform.system()} {platform.machine()}, "
          f"Python {platform.python_version()}; {datetime.date.today().isoformat()}")
    print()
    header = ["engine", "listings", "build s", "index MB", "one word ms p50 / p95 (hits)",
              "two words", "phrase", "filtered + faceted"]
    rows = [row for size in sizes for row in run_size(size, args.queries, args.seed)]
    widths = [max(len(header[i]), *(len(row[i]) for row in rows)) for i in range(len(header))]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
