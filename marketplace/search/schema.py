"""The fields of a product's search document.

Text fields hold every language version of their text (joined with
:data:`~marketplace.search.analysis.TEXT_SEPARATOR`); the facet and sort values are per-document
columns only (not indexed terms: a 64-bit NUMERIC field indexes sixteen terms per value, for
range queries this index never runs), which :mod:`marketplace.search.doctable` reads once per
index segment.

Whoosh pickles the schema, analyzers included, into the index: a change here bumps
:data:`SCHEMA_VERSION`, which puts the index in a folder of its own that ``datamarket reindex``
(or the first start) fills.
"""

from __future__ import annotations

from whoosh.columns import NumericColumn, VarBytesColumn
from whoosh.fields import COLUMN, ID, STORED, TEXT, Schema
from whoosh.query import Phrase

from marketplace.search.analysis import plain_analyzer, text_analyzer

SCHEMA_VERSION = 1

#: Full-text fields and how much a match in each counts. ``content`` holds every text of the
#: product (titles, tags, summaries, descriptions, the merchant's name, the names of its
#: categories in every language, and the pinyin of its Chinese titles and tags): a query is
#: *matched* against it alone, then *ranked* with ``title`` (titles and tags) counting more.
#: One field to match keeps a word one posting list, where seven fields made it seven.
TEXT_FIELDS: dict[str, float] = {"title": 3.0, "content": 1.0}
MATCH_FIELD = "content"

#: Single-valued facets, as the columns that hold them.
FACET_FIELDS = ("scenario", "product_type", "delivery_form", "classification_level",
                "merchant_id", "price_range")
#: The multi-valued facet: a product sells through one or more pricing models.
PRICING_FIELD = "pricing_models"
#: Numbers results can be sorted by.
SORT_FIELDS = ("price", "rating", "rating_count", "sales", "published", "title_key")


def _text(boost: float) -> TEXT:
    field = TEXT(analyzer=text_analyzer(), phrase=True, field_boost=boost)
    # A query word that analyses to several terms (a Chinese compound, "three-element") is a
    # phrase of them, allowing a word or two between (失信人 finds 失信被执行人).
    field.multitoken_query = "phrase"
    return field


class TextColumn(COLUMN):
    """A text kept per document for facets and sorting, not searched (see ``doctable``)."""

    def __init__(self) -> None:
        super().__init__(VarBytesColumn())

    def to_bytes(self, value):
        return value.encode("utf-8") if isinstance(value, str) else value

    def from_bytes(self, value):
        return value.decode("utf-8") if isinstance(value, bytes) else value


def _column(kind: str = "text") -> COLUMN:
    return COLUMN(NumericColumn("q", default=0)) if kind == "number" else TextColumn()


def build_schema() -> Schema:
    return Schema(
        product_id=ID(stored=True, unique=True, sortable=True),
        listing_id=STORED(),
        **{name: _text(boost) for name, boost in TEXT_FIELDS.items()},
        # Unstemmed words of titles and tags: what "did you mean" suggests from.
        spelling=TEXT(analyzer=plain_analyzer(), phrase=False, spelling=True),
        # Searched as well as counted, for "similar products" to prefer the same scenario.
        scenario=ID(sortable=True),
        product_type=_column(),
        delivery_form=_column(),
        classification_level=_column(),
        merchant_id=_column(),
        price_range=_column(),
        pricing_models=_column(),
        price=_column("number"),
        rating=_column("number"),
        rating_count=_column("number"),
        sales=_column("number"),
        published=_column("number"),
        title_key=_column(),
    )


class SloppyPhrase(Phrase):
    """The phrase a multi-term query word becomes: its terms in order, at most two apart."""

    def __init__(self, fieldname, words, slop=3, boost=1.0, char_ranges=None):
        super().__init__(fieldname, words, slop=slop, boost=boost, char_ranges=char_ranges)
