"""The fields of a product's search document.

Text fields hold every language version of their text (joined with
:data:`~marketplace.search.analysis.TEXT_SEPARATOR`); the facet and sort fields are sortable, so
Whoosh keeps them as per-document columns that :mod:`marketplace.search.doctable` reads once per
index segment.

Whoosh pickles the schema, analyzers included, into the index: a change here bumps
:data:`SCHEMA_VERSION`, which puts the index in a folder of its own that ``datamarket reindex``
(or the first start) fills.
"""

from __future__ import annotations

from whoosh.fields import ID, KEYWORD, NUMERIC, TEXT, Schema
from whoosh.query import Phrase

from marketplace.search.analysis import plain_analyzer, text_analyzer

SCHEMA_VERSION = 1

#: Full-text fields and how much a match in each counts.
TEXT_FIELDS: dict[str, float] = {
    "title": 4.0,
    "tags": 2.5,
    "summary": 2.0,
    "merchant": 1.5,
    "labels": 1.0,
    "description": 1.0,
    "pinyin": 0.8,
}

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


def build_schema() -> Schema:
    return Schema(
        product_id=NUMERIC(int, bits=64, stored=True, unique=True, sortable=True),
        listing_id=NUMERIC(int, bits=64, stored=True),
        **{name: _text(boost) for name, boost in TEXT_FIELDS.items() if name != "pinyin"},
        pinyin=TEXT(analyzer=plain_analyzer(), phrase=True,
                    field_boost=TEXT_FIELDS["pinyin"]),
        # Unstemmed words of titles, tags and summaries: what "did you mean" suggests from.
        spelling=TEXT(analyzer=plain_analyzer(), phrase=False, spelling=True),
        scenario=ID(sortable=True),
        product_type=ID(sortable=True),
        delivery_form=ID(sortable=True),
        classification_level=ID(sortable=True),
        merchant_id=ID(sortable=True),
        price_range=ID(sortable=True),
        pricing_models=KEYWORD(commas=True, sortable=True),
        price=NUMERIC(int, bits=64, sortable=True, default=0),
        rating=NUMERIC(int, bits=32, sortable=True, default=0),
        rating_count=NUMERIC(int, bits=32, sortable=True, default=0),
        sales=NUMERIC(int, bits=64, sortable=True, default=0),
        published=NUMERIC(int, bits=64, sortable=True, default=0),
        title_key=ID(sortable=True),
    )


class SloppyPhrase(Phrase):
    """The phrase a multi-term query word becomes: its terms in order, at most two apart."""

    def __init__(self, fieldname, words, slop=3, boost=1.0, char_ranges=None):
        super().__init__(fieldname, words, slop=slop, boost=boost, char_ranges=char_ranges)
