"""Running one search against the index: parse, match, filter, count facets, sort, page.

The text match runs first and becomes a docset; filters, facet counts and sorting by a column
then work on docsets and in-memory columns (:mod:`marketplace.search.doctable`). Only sorting by
relevance asks Whoosh to score, restricted to the filtered documents and to the top of the list.

Facet counts are *disjunctive*: each facet is counted with every filter applied except its own,
so choosing "finance" still shows how many products the other scenarios have.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from whoosh import qparser
from whoosh.query import NullQuery, Or, Query, Term
from whoosh.searching import Searcher

from marketplace.search.analysis import analyze
from marketplace.search.doctable import ALL_FACETS, DocTable, docset, members
from marketplace.search.schema import TEXT_FIELDS, SloppyPhrase, build_schema

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


@lru_cache(maxsize=1)
def _parser() -> qparser.MultifieldParser:
    parser = qparser.MultifieldParser(list(TEXT_FIELDS), build_schema(), fieldboosts=TEXT_FIELDS,
                                      group=qparser.AndGroup, phraseclass=SloppyPhrase)
    # Words, "phrases", groups and AND / OR / NOT; no field:value, wildcards, ranges or boosts,
    # which a buyer types by accident more often than on purpose.
    for plugin in (qparser.FieldsPlugin, qparser.WildcardPlugin, qparser.RangePlugin,
                   qparser.BoostPlugin):
        parser.remove_plugin_class(plugin)
    return parser


def parse(text: str) -> Query | None:
    """The query for what a buyer typed, or None when it holds no searchable word."""
    text = (text or "").strip()[:MAX_QUERY_LENGTH]
    if not text:
        return None
    query = _parser().parse(text)
    return None if query is None or query is NullQuery else query


def query_terms(query: Query | None) -> frozenset[str]:
    """The index terms a query looks for (to highlight them)."""
    if query is None:
        return frozenset()
    return frozenset(text.decode("utf-8") if isinstance(text, bytes) else str(text)
                     for _field, text in query.iter_all_terms(phrases=True))


def _matching(searcher: Searcher, table: DocTable, query: Query | None) -> int:
    if query is None:
        return table.live
    return docset(searcher.docs_for_query(query), table.size) & table.live


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


def _order(table: DocTable, column: str) -> list[int]:
    """Every document number of ``table`` sorted by ``column`` ascending (cached per table)."""
    order = table.orders.get(column)
    if order is None:
        values = table.sort_values[column]
        order = table.orders[column] = sorted(range(table.size), key=values.__getitem__)
    return order


def _top_by_column(table: DocTable, bits: int, total: int, column: str, descending: bool,
                   count: int) -> list[int]:
    values = table.sort_values[column]
    if total * 8 <= table.size:
        docs = members(bits)
        pick = heapq.nlargest if descending else heapq.nsmallest
        return pick(count, docs, key=values.__getitem__)
    # Many matches: walk the presorted column and keep the first ``count`` that match.
    data = bits.to_bytes((table.size + 7) // 8, "little")
    order = _order(table, column)
    found = []
    for docnum in (reversed(order) if descending else order):
        if data[docnum >> 3] >> (docnum & 7) & 1:
            found.append(docnum)
            if len(found) == count:
                break
    return found


def _top_by_relevance(searcher: Searcher, query: Query, bits: int, narrowed: bool,
                      count: int) -> list[int]:
    allowed = set(members(bits)) if narrowed else None
    results = searcher.search(query, limit=count, filter=allowed)
    return [hit.docnum for hit in results]


def run(searcher: Searcher, table: DocTable, request: SearchRequest) -> SearchHits:
    """One page of results for ``request`` from ``searcher`` (whose columns are ``table``)."""
    query = parse(request.q)
    if request.q.strip() and query is None:
        return SearchHits([], 0, {name: {} for name in ALL_FACETS})
    text_match = match = _matching(searcher, table, query)
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
    if total == 0:
        docnums: list[int] = []
    elif sort == "relevance" and query is not None:
        docnums = _top_by_relevance(searcher, query, final, final != text_match, wanted)
    else:
        column, descending = SORT_KEYS.get(sort, SORT_KEYS["newest"])
        docnums = _top_by_column(table, final, total, column, descending, wanted)
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
    """Products like ``product_id`` (described by ``text``): sharing words, then scenario."""
    own = table.docnum_of.get(product_id)
    terms = list(dict.fromkeys(analyze(text)))[:30]
    if not terms:
        return []
    clauses: list[Query] = [Term(name, term, boost=TEXT_FIELDS[name])
                            for name in ("title", "tags", "summary") for term in terms]
    clauses.append(Term("scenario", scenario, boost=2.0))
    results = searcher.search(Or(clauses), limit=limit,
                              mask={own} if own is not None else None)
    return [table.product_ids[hit.docnum] for hit in results]
