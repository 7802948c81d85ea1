"""Running one search against the index: parse, match, filter, count facets, sort, page.

The text match runs first and becomes a docset; filters, facet counts and the order then work
on docsets and in-memory columns (:mod:`marketplace.search.doctable`,
:mod:`marketplace.search.ranking`). Whoosh reads the postings and checks phrases' positions.

Facet counts are *disjunctive*: each facet is counted with every filter applied except its own,
so choosing "finance" still shows how many products the other scenarios have.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from whoosh import qparser
from whoosh.query import NullQuery, Or, Query, Term
from whoosh.searching import Searcher

from marketplace.search.analysis import analyze
from marketplace.search.doctable import ALL_FACETS, DocTable, docset, members
from marketplace.search.ranking import (
    MAX_RANKED_WORDS,
    query_docset,
    top_by_column,
    top_by_relevance,
)
from marketplace.search.schema import MATCH_FIELD, SloppyPhrase, build_schema

SORTS = ("relevance", "newest", "price_asc", "price_desc", "rating", "sales", "title")
#: (column, largest first) of each sort but relevance.
SORT_KEYS = {
    "newest": ("published", True),
    "price_asc": ("price", False),
    "price_desc": ("price", True),
    "rating": ("rating", True),
    "sales": ("sales", True),
    "title": ("title_key", False),
}
MAX_QUERY_LENGTH = 200
_LATIN_WORD = re.compile(r"[A-Za-z]{3,}")


@dataclass(frozen=True)
class SearchRequest:
    """What a buyer asks: words, one value per facet, a price range in fen, a sort, a page.

    :param sort: one of :data:`SORTS`; empty for relevance with words, newest without.
    """

    q: str = ""
    filters: Mapping[str, str] = field(default_factory=dict)
    min_price: int | None = None
    max_price: int | None = None
    sort: str = ""
    page: int = 1
    per_page: int = 24
    count_facets: bool = True

    @property
    def effective_sort(self) -> str:
        if self.sort in SORTS and not (self.sort == "relevance" and not self.q.strip()):
            return self.sort
        return "relevance" if self.q.strip() else "newest"


@dataclass
class SearchHits:
    """One page of matching product ids, best first, and what surrounds it."""

    product_ids: list[int]
    total: int
    facets: dict[str, dict[str, int]]
    terms: frozenset[str] = frozenset()
    corrected_q: str | None = None


def _plain(parser: qparser.QueryParser) -> qparser.QueryParser:
    # Words, "phrases", groups and AND / OR / NOT; no field:value, wildcards, ranges or boosts,
    # which a buyer types by accident more often than on purpose.
    for plugin in (qparser.FieldsPlugin, qparser.WildcardPlugin, qparser.RangePlugin,
                   qparser.BoostPlugin):
        parser.remove_plugin_class(plugin)
    return parser


@lru_cache(maxsize=1)
def _matching_parser() -> qparser.QueryParser:
    return _plain(qparser.QueryParser(MATCH_FIELD, build_schema(), group=qparser.AndGroup,
                                      phraseclass=SloppyPhrase))


def _parsed(parser: qparser.QueryParser, text: str) -> Query | None:
    text = (text or "").strip()[:MAX_QUERY_LENGTH]
    if not text:
        return None
    query = parser.parse(text)
    return None if query is None or query is NullQuery else query


def parse(text: str) -> Query | None:
    """The query that decides which products match what a buyer typed (all of their text), or
    None when it holds no searchable word."""
    return _parsed(_matching_parser(), text)


def query_terms(query: Query | None) -> frozenset[str]:
    """The index terms a query looks for (to highlight them)."""
    if query is None:
        return frozenset()
    return frozenset(text.decode("utf-8") if isinstance(text, bytes) else str(text)
                     for _field, text in query.iter_all_terms(phrases=True))


def _matching(searcher: Searcher, table: DocTable, query: Query | None) -> int:
    return table.live if query is None else query_docset(searcher, table, query)


def _price_bits(table: DocTable, within: int, low: int | None, high: int | None) -> int:
    prices = table.sort_values["price"]
    low = low if low is not None else 0
    return docset((d for d in members(within)
                   if prices[d] >= low and (high is None or prices[d] <= high)), table.size)


def _filters(table: DocTable, request: SearchRequest) -> dict[str, int]:
    chosen = {name: table.facet_bits(name, str(value))
              for name, value in request.filters.items() if name in ALL_FACETS and value != ""}
    return chosen


def _facet_counts(table: DocTable, match: int, chosen: dict[str, int]) -> dict[str, dict[str,
                                                                                       int]]:
    counts: dict[str, dict[str, int]] = {}
    everything = match
    for bits in chosen.values():
        everything &= bits
    for name in ALL_FACETS:
        base = everything
        if name in chosen:
            base = match
            for other, bits in chosen.items():
                if other != name:
                    base &= bits
        found = {}
        for value, bits in table.facets.get(name, {}).items():
            count = (base & bits).bit_count()
            if count:
                found[value] = count
        counts[name] = found
    return counts


def run(searcher: Searcher, table: DocTable, request: SearchRequest) -> SearchHits:
    """One page of results for ``request`` from ``searcher`` (whose columns are ``table``)."""
    query = parse(request.q)
    if request.q.strip() and query is None:
        return SearchHits([], 0, {name: {} for name in ALL_FACETS})
    match = _matching(searcher, table, query)
    if request.min_price is not None or request.max_price is not None:
        match &= _price_bits(table, match, request.min_price, request.max_price)
    chosen = _filters(table, request)
    final = match
    for bits in chosen.values():
        final &= bits
    total = final.bit_count()
    facets = (_facet_counts(table, match, chosen) if request.count_facets
              else {name: {} for name in ALL_FACETS})
    page = max(1, request.page)
    wanted = page * request.per_page
    sort = request.effective_sort
    if sort == "relevance" and query is not None:
        docnums = top_by_relevance(searcher, table, query, final, wanted)
    else:
        column, descending = SORT_KEYS.get(sort, SORT_KEYS["newest"])
        docnums = top_by_column(table, final, column, descending, wanted)
    page_docnums = docnums[(page - 1) * request.per_page:wanted]
    return SearchHits(product_ids=[table.product_ids[d] for d in page_docnums], total=total,
                      facets=facets, terms=query_terms(query))


def suggest(searcher: Searcher, text: str) -> str | None:
    """``text`` with each unknown word of Latin letters replaced by the closest indexed word,
    or None when there is nothing to correct."""
    reader = searcher.reader()
    corrected = text
    changed = False
    for word in set(_LATIN_WORD.findall(text)):
        lowered = word.lower()
        if reader.doc_frequency("spelling", lowered):
            continue
        found = searcher.suggest("spelling", lowered, limit=1, maxdist=2)
        if found and found[0] != lowered:
            corrected = re.sub(rf"\b{re.escape(word)}\b", found[0], corrected)
            changed = True
    return corrected if changed else None


def similar(searcher: Searcher, table: DocTable, product_id: int, text: str, scenario: str,
            limit: int) -> list[int]:
    """Products like ``product_id`` (described by ``text``, its title and tags): those sharing
    its rarest words, ranked like a search for them, the same scenario counting as one more."""
    own = table.docnum_of.get(product_id)
    words = []
    for term in dict.fromkeys(analyze(text)):
        bits = query_docset(searcher, table, Term(MATCH_FIELD, term))
        shared = bits & ~(1 << own) if own is not None else bits
        if shared:
            words.append((shared.bit_count(), term))
    rarest = [Term(MATCH_FIELD, term) for _count, term in sorted(words)[:MAX_RANKED_WORDS - 1]]
    if not rarest:
        return []
    query = Or([*rarest, Term("scenario", scenario)])
    candidates = query_docset(searcher, table, Or(rarest))
    if own is not None:
        candidates &= ~(1 << own)
    return [table.product_ids[d]
            for d in top_by_relevance(searcher, table, query, candidates, limit)]
