"""The search issue's starting point, rebuilt for ``bench/search.py``: Whoosh with a plain
schema and no tuning, over the same documents, in the same run.

One TEXT field per text with jieba's Whoosh analyzer (``jieba.analyse.ChineseAnalyzer``,
rebuilt below: importing ``jieba.analyse`` leaves a file open, and its tokens carry character
offsets as positions, so no phrase would ever match; here they count words),
the facets as ID fields, the price a NUMERIC float in yuan, Whoosh's default writer (one
process) and BM25F; queries through ``MultifieldParser`` over the texts (words joined by AND),
the price range as a ``NumericRange`` filter and facet counts with ``groupedby``. This is what
the issue measured at 153 s for 100,000 documents; running it beside the platform's index
shows the difference on this machine, on these documents, under this run's load.
"""

from __future__ import annotations

import re
from pathlib import Path

import jieba
from whoosh import fields, index, qparser, query, sorting
from whoosh.analysis import (
    STOP_WORDS,
    LowercaseFilter,
    StemFilter,
    StopFilter,
    Token,
    Tokenizer,
)

from marketplace.search.documents import PRICE_RANGES

TEXTS = ("title", "summary", "description", "tags")
FACETS = ("scenario", "product_type", "delivery_form", "classification_level", "merchant")


_HAN = re.compile(r"[\u4E00-\u9FD5]+")


class JiebaTokenizer(Tokenizer):
    """jieba's search-mode segmentation as Whoosh tokens (``jieba.analyse.ChineseTokenizer``)."""

    def __call__(self, value, positions=False, chars=False, start_pos=0, start_char=0,
                 **kwargs):
        token = Token(positions, chars, **kwargs)
        position = start_pos
        for word, start, end in jieba.tokenize(value, mode="search"):
            if len(word) <= 1 and not _HAN.match(word):
                continue  # spaces and punctuation
            token.original = token.text = word
            token.boost, token.stopped = 1.0, False
            if positions:
                token.pos = position
                position += 1
            if chars:
                token.startchar, token.endchar = start_char + start, start_char + end
            yield token


def chinese_analyzer():
    """``jieba.analyse.ChineseAnalyzer()``: jieba, lower case, English stop words, stems."""
    return JiebaTokenizer() | LowercaseFilter() | StopFilter(stoplist=STOP_WORDS, minsize=1) \
        | StemFilter(cachesize=50000)


def schema() -> fields.Schema:
    text = {name: fields.TEXT(analyzer=chinese_analyzer()) for name in TEXTS}
    facets = {name: fields.ID for name in FACETS}
    return fields.Schema(product_id=fields.ID(stored=True, unique=True),
                         price=fields.NUMERIC(float), rating=fields.NUMERIC(float),
                         sales=fields.NUMERIC(int), published=fields.NUMERIC(int),
                         **text, **facets)


class PlainWhooshEngine:
    name = "whoosh, plain"

    def __init__(self, folder: Path, page: int):
        self.folder = folder / "whoosh-plain"
        self.folder.mkdir()
        self.index = index.create_in(str(self.folder), schema())
        self.page = page
        self.parser = qparser.MultifieldParser(list(TEXTS), self.index.schema)
        self.ranges = {key: (low / 100, None if high is None else high / 100)
                       for key, low, high in PRICE_RANGES}

    def build(self, items: list[dict]) -> None:
        writer = self.index.writer()
        for item in items:
            writer.add_document(
                product_id=str(item["product_id"]), title=item["title"],
                summary=item["summary"], description=item["description"],
                tags=" ".join(item["tags"]), merchant=item["merchant"],
                scenario=item["scenario"], product_type=item["product_type"],
                delivery_form=item["delivery_form"],
                classification_level=item["classification_level"],
                price=item["price"] / 100, rating=item["rating"] / 1000, sales=item["sales"],
                published=item["published"])
        writer.commit()
        self.searcher = self.index.searcher()

    def size(self) -> int:
        return sum(file.stat().st_size for file in self.folder.rglob("*") if file.is_file())

    def query(self, text: str, filters: dict | None = None) -> tuple[list[int], int]:
        asked = self.parser.parse(text)
        if not filters:
            results = self.searcher.search(asked, limit=self.page)
            return [int(hit["product_id"]) for hit in results], len(results)
        low, high = self.ranges[filters["price_range"]]
        narrowed = query.And([query.Term("scenario", filters["scenario"]),
                              query.NumericRange("price", low, high)])
        results = self.searcher.search(
            asked, limit=self.page, filter=narrowed,
            groupedby=[sorting.FieldFacet(name) for name in FACETS])
        for name in FACETS:
            results.groups(name)
        return [int(hit["product_id"]) for hit in results], len(results)
