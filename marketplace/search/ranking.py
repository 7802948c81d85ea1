"""Putting matches in order: by relevance, or by a column (price, rating, sales, date, title).

**Relevance** is worked out on docsets, not document by document. Each word of the query
weighs its inverse document frequency (rare words count more), three times as much when it is
in the title or tags as when it is only elsewhere in the text; products that score the same are
ordered by popularity (sales, then rating, then the newest). Every combination of "in the title
/ elsewhere / not at all" of the query's words is one docset made with ``&`` and ``~``, so the
order costs a few dozen bit operations however many products match, where Whoosh's BM25 scored
every matching document in Python (tens of milliseconds per common word at 10,000 listings).
Term frequency and text length do not count: a listing's title and tags say what it is, and
repeating a word in a description should not lift it.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterator

from whoosh.query import And, Not, Or, Phrase, Query, Term
from whoosh.searching import Searcher

from marketplace.search.doctable import DocTable, docset, members
from marketplace.search.schema import SloppyPhrase

TITLE_FIELD = "title"
TITLE_WEIGHT = 3.0
#: Words of a query that count for relevance (the first ones; the rest only have to match).
MAX_RANKED_WORDS = 6
#: Docsets of terms kept per segment, and of phrases per index generation (as Solr's filter
#: cache does).
TERM_CACHE_SIZE = 4096


def query_docset(searcher: Searcher, table: DocTable, query: Query) -> int:
    """The live documents ``query`` matches, combining terms' docsets with ``&``, ``|``, ``~``."""
    if isinstance(query, And):
        bits = table.live
        for sub in query.subqueries:
            bits &= query_docset(searcher, table, sub)
            if not bits:
                break
        return bits
    if isinstance(query, Or):
        bits = 0
        for sub in query.subqueries:
            bits |= query_docset(searcher, table, sub)
        return bits
    if isinstance(query, Not):
        return table.live & ~query_docset(searcher, table, query.query)
    return _leaf_docset(searcher, table, query)


def _leaf_key(query: Query) -> tuple:
    if isinstance(query, Term):
        return ("term", query.fieldname, query.text)
    if isinstance(query, Phrase):
        return ("phrase", query.fieldname, tuple(query.words), query.slop)
    return ("other", repr(query))


def _segment_docnums(reader, fieldname: str, text: str) -> Iterator[int]:
    """A term's document numbers in one segment (deleted ones too), a postings block at a
    time: Whoosh's ``all_ids()`` makes three method calls per document."""
    if (fieldname, text) not in reader:
        return
    matcher = reader.postings(fieldname, text)
    matcher = getattr(matcher, "child", matcher)  # without the deletions filter: masked later
    if not hasattr(matcher, "_read_ids"):
        yield from matcher.all_ids()
        return
    while matcher.is_active():
        if matcher._ids is None:
            matcher._read_ids()
        yield from matcher._ids[matcher._i:]
        matcher._next_block()


def _term_docset(searcher: Searcher, table: DocTable, query: Term) -> int:
    """A term's docset, from docsets kept per segment (see ``doctable.SegmentTable``)."""
    key = (query.fieldname, query.text)
    bits = 0
    leaves = searcher.leaf_searchers()
    if len(leaves) != len(table.segments):  # an index without segments yet
        return 0
    for (segment, offset), (leaf, _offset) in zip(table.segments, leaves, strict=True):
        local = segment.term_docsets.get(key)
        if local is None:
            local = docset(_segment_docnums(leaf.reader(), *key), segment.size)
            if len(segment.term_docsets) >= TERM_CACHE_SIZE:
                segment.term_docsets.clear()
            segment.term_docsets[key] = local
        bits |= local << offset
    return bits & table.live


def _leaf_docset(searcher: Searcher, table: DocTable, query: Query) -> int:
    """A term's or a phrase's docset (Whoosh checks phrases' positions), cached."""
    if isinstance(query, Term):
        return _term_docset(searcher, table, query)
    key = _leaf_key(query)
    bits = table.term_docsets.get(key)
    if bits is None:
        bits = docset(searcher.docs_for_query(query), table.size) & table.live
        if len(table.term_docsets) >= TERM_CACHE_SIZE:
            table.term_docsets.clear()
        table.term_docsets[key] = bits
    return bits


def ranked_words(query: Query) -> list[Query]:
    """The words (terms and phrases) a document is rewarded for having, in query order."""
    found: dict[tuple, Query] = {}

    def walk(node: Query, negated: bool) -> None:
        if isinstance(node, Not):
            walk(node.query, not negated)
        elif isinstance(node, And | Or):
            for sub in node.subqueries:
                walk(sub, negated)
        elif not negated:
            found.setdefault(_leaf_key(node), node)

    walk(query, False)
    return list(found.values())[:MAX_RANKED_WORDS]


def _in_title(word: Query) -> Query | None:
    if isinstance(word, Term):
        return Term(TITLE_FIELD, word.text)
    if isinstance(word, Phrase):
        return SloppyPhrase(TITLE_FIELD, list(word.words), slop=word.slop)
    return None


# ---------------------------------------------------------------------------- orders


def _popularity(table: DocTable) -> Callable[[int], tuple]:
    sales, rating = table.sort_values["sales"], table.sort_values["rating"]
    published = table.sort_values["published"]
    return lambda docnum: (sales[docnum], rating[docnum], published[docnum])


def _key(table: DocTable, column: str) -> Callable[[int], object]:
    return _popularity(table) if column == "popularity" else table.sort_values[column].__getitem__


def _order(table: DocTable, column: str) -> list[int]:
    """Every document number of ``table`` sorted by ``column`` ascending (cached per table)."""
    order = table.orders.get(column)
    if order is None:
        order = table.orders[column] = sorted(range(table.size), key=_key(table, column))
    return order


def top_by_column(table: DocTable, bits: int, column: str, descending: bool,
                  count: int) -> list[int]:
    """The first ``count`` documents of ``bits`` ordered by ``column`` (or ``popularity``)."""
    if count <= 0 or not bits:
        return []
    if bits.bit_count() * 8 <= table.size:
        pick = heapq.nlargest if descending else heapq.nsmallest
        return pick(count, members(bits), key=_key(table, column))
    # Many documents: walk the presorted column and keep the first ``count`` that are in bits.
    data = bits.to_bytes((table.size + 7) // 8, "little")
    found = []
    for docnum in (reversed(_order(table, column)) if descending else _order(table, column)):
        if data[docnum >> 3] >> (docnum & 7) & 1:
            found.append(docnum)
            if len(found) == count:
                break
    return found


def top_by_relevance(searcher: Searcher, table: DocTable, query: Query, bits: int,
                     count: int) -> list[int]:
    """The first ``count`` documents of ``bits`` (what ``query`` matched, filtered) by
    relevance (see the module's docstring)."""
    live = max(1, table.live.bit_count())
    groups: list[tuple[float, int]] = [(0.0, bits)]
    for word in ranked_words(query):
        anywhere = _leaf_docset(searcher, table, word)
        title_query = _in_title(word)
        in_title = (_leaf_docset(searcher, table, title_query) & anywhere
                    if title_query is not None else 0)
        weight = math.log(1 + live / (1 + anywhere.bit_count()))
        split: list[tuple[float, int]] = []
        for score, group in groups:
            for extra, part in ((weight * TITLE_WEIGHT, group & in_title),
                                (weight, group & anywhere & ~in_title),
                                (0.0, group & ~anywhere)):
                if part:
                    split.append((score + extra, part))
        groups = split
    groups.sort(key=lambda group: -group[0])
    found: list[int] = []
    for _score, group in groups:
        found += top_by_column(table, group, "popularity", True, count - len(found))
        if len(found) >= count:
            break
    return found
