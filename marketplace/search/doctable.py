"""Facet values and sort keys of every document, in memory, with sets of documents as bitsets.

A *docset* is a Python ``int`` whose bit ``n`` is set when document number ``n`` belongs to it:
intersecting a filter with a text match is one ``&``, and a facet count one ``&`` and one
``int.bit_count()``, both in C over 12.5 kB for 100,000 documents. The index's own numeric range
filter and grouping walk the matching documents one by one in Python, which is what made a
filtered, faceted query take half a second at 100,000 listings.

The values are read from the index's columns once per *segment* (Whoosh never changes a
segment's documents, only marks them deleted) and kept while the segment exists; a new
generation of the index recomposes the table from the segments' parts, so an update of a few
products costs reading those few documents, not the whole index again.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from whoosh.searching import Searcher

from marketplace.search.schema import FACET_FIELDS, PRICING_FIELD, SORT_FIELDS

ALL_FACETS = (*FACET_FIELDS, PRICING_FIELD)
_NONZERO = re.compile(rb"[^\x00]")
_BITS_OF_BYTE = [tuple(bit for bit in range(8) if byte >> bit & 1) for byte in range(256)]


def docset(docnums: Iterable[int], size: int) -> int:
    """The docset of ``docnums`` (each below ``size``)."""
    data = bytearray((size + 7) // 8)
    for docnum in docnums:
        data[docnum >> 3] |= 1 << (docnum & 7)
    return int.from_bytes(data, "little")


def members(bits: int) -> list[int]:
    """The document numbers in a docset, ascending."""
    if not bits:
        return []
    data = bits.to_bytes((bits.bit_length() + 7) // 8, "little")
    found: list[int] = []
    for match in _NONZERO.finditer(data):
        base = match.start() << 3
        found.extend(base + bit for bit in _BITS_OF_BYTE[data[match.start()]])
    return found


@dataclass
class SegmentTable:
    """The columns of one segment's documents (deleted ones included), by local number, and
    the docsets of the terms asked for so far: a segment never changes its documents, so a
    term's docset stays right as long as the segment lives, however often the index changes."""

    size: int
    product_ids: list[int]
    facets: dict[str, dict[str, int]]
    sort_values: dict[str, list]
    term_docsets: dict[tuple[str, str], int] = field(default_factory=dict)


def read_segment(reader) -> SegmentTable:
    """Read one segment's columns (``reader`` is a leaf reader of the index)."""
    size = reader.doc_count_all()
    columns = {name: list(reader.column_reader(name)) for name in
               ("product_id", *FACET_FIELDS, PRICING_FIELD, *SORT_FIELDS)}
    facets: dict[str, dict[str, int]] = {}
    for name in ALL_FACETS:
        positions: dict[str, list[int]] = {}
        for docnum, value in enumerate(columns[name]):
            if isinstance(value, bytes):
                value = value.decode("utf-8")
            values = value.split(",") if name == PRICING_FIELD else [value]
            for one in values:
                if one:
                    positions.setdefault(one, []).append(docnum)
        facets[name] = {value: docset(docnums, size) for value, docnums in positions.items()}
    product_ids = [int(pid) if pid else 0 for pid in columns["product_id"]]
    return SegmentTable(size=size, product_ids=product_ids,
                        facets=facets, sort_values={name: columns[name] for name in SORT_FIELDS})


@dataclass
class DocTable:
    """Every document of one generation of the index, by global document number."""

    generation: int
    size: int
    live: int
    product_ids: list[int]
    facets: dict[str, dict[str, int]]
    sort_values: dict[str, list]
    docnum_of: dict[int, int] = field(default_factory=dict)
    #: The segments, with the global number of their first document, in the reader's order.
    segments: list[tuple[SegmentTable, int]] = field(default_factory=list)
    #: Document numbers sorted by a column, made on first use (see ``query._order``).
    orders: dict[str, list[int]] = field(default_factory=dict)
    #: Docsets of single terms, made on first use (see ``query._docset``).
    term_docsets: dict[tuple[str, str], int] = field(default_factory=dict)

    def facet_bits(self, facet: str, value: str) -> int:
        return self.facets.get(facet, {}).get(value, 0)


def compose(generation: int, parts: list[tuple[SegmentTable, int, Iterable[int]]]) -> DocTable:
    """Join the segments' tables; ``parts`` holds (table, offset, deleted local numbers)."""
    size = sum(table.size for table, _offset, _deleted in parts)
    live = 0
    product_ids: list[int] = []
    facets: dict[str, dict[str, int]] = {name: {} for name in ALL_FACETS}
    sort_values: dict[str, list] = {name: [] for name in SORT_FIELDS}
    for table, offset, deleted in parts:
        dead = docset(deleted, table.size)
        alive = ((1 << table.size) - 1) & ~dead
        live |= alive << offset
        product_ids.extend(table.product_ids)
        for name, values in table.facets.items():
            merged = facets[name]
            for value, bits in values.items():
                merged[value] = merged.get(value, 0) | ((bits & alive) << offset)
        for name, values in table.sort_values.items():
            sort_values[name].extend(values)
    docnum_of = {product_ids[docnum]: docnum for docnum in members(live)}
    return DocTable(generation=generation, size=size, live=live, product_ids=product_ids,
                    facets=facets, sort_values=sort_values, docnum_of=docnum_of,
                    segments=[(table, offset) for table, offset, _deleted in parts])


class DocTables:
    """The table of the newest generation a searcher has seen, and the segments it is made of."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._segments: dict[str, SegmentTable] = {}
        self._current: DocTable | None = None

    def for_searcher(self, searcher: Searcher) -> DocTable:
        reader = searcher.reader()
        generation = reader.generation()
        current = self._current
        if current is not None and current.generation == generation and generation is not None:
            return current
        with self._lock:
            current = self._current
            if current is not None and current.generation == generation:
                return current
            parts = []
            seen = set()
            for leaf, offset in reader.leaf_readers():
                if leaf.segment() is None:  # an index without segments yet
                    continue
                segment_id = leaf.segment().segment_id()
                seen.add(segment_id)
                table = self._segments.get(segment_id)
                if table is None:
                    table = self._segments[segment_id] = read_segment(leaf)
                deleted = leaf.segment().deleted_docs() if leaf.has_deletions() else ()
                parts.append((table, offset, deleted))
            for gone in set(self._segments) - seen:
                del self._segments[gone]
            table = compose(generation if generation is not None else -1, parts)
            if generation is not None and (self._current is None
                                           or generation >= self._current.generation):
                self._current = table
            return table
