"""The facet sidebar: each facet's values with their counts, named for people, as links.

Every link is the current search with one choice changed, so the page works without JavaScript,
each step is an address the back button returns to, and a search can be shared as a link.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from marketplace.catalog.labels import label

#: Query-string parameter -> the index field it filters, in the order the sidebar shows them.
FACET_PARAMS: dict[str, str] = {
    "scenario": "scenario",
    "product_type": "product_type",
    "delivery_form": "delivery_form",
    "pricing_model": "pricing_models",
    "price": "price_range",
    "classification_level": "classification_level",
    "merchant": "merchant_id",
}

FACET_TITLES = {
    "scenario": _l("Scenario"),
    "product_type": _l("Product type"),
    "delivery_form": _l("Delivery"),
    "pricing_model": _l("Pricing"),
    "price": _l("Price"),
    "classification_level": _l("Classification level"),
    "merchant": _l("Merchant"),
}

PRICE_RANGE_LABELS = {
    "free": _l("Free"),
    "under_100": _l("Up to ¥100"),
    "100_1000": _l("¥100 to ¥1,000"),
    "1000_10000": _l("¥1,000 to ¥10,000"),
    "over_10000": _l("Over ¥10,000"),
}

SORT_LABELS = {
    "relevance": _l("Best match"),
    "newest": _l("Newest first"),
    "price_asc": _l("Price: low to high"),
    "price_desc": _l("Price: high to low"),
    "rating": _l("Best rated"),
    "sales": _l("Most bought"),
    "title": _l("Title, A to Z"),
}

#: How many merchants the sidebar lists (the busiest first).
MERCHANTS_SHOWN = 10


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool
    args: dict[str, str]  # the search with this value chosen (or, if chosen, cleared)


@dataclass(frozen=True)
class Facet:
    param: str
    title: str
    values: list[FacetValue]
    selected: bool


def _value_label(param: str, value: str, merchant_names: dict[int, str]) -> str:
    if param == "price":
        return str(PRICE_RANGE_LABELS.get(value, value))
    if param == "merchant":
        return merchant_names.get(int(value), value)
    if param == "classification_level":
        return str(label("level", int(value)))
    kind = "pricing_model" if param == "pricing_model" else param
    return str(label(kind, value))


def _order(param: str, counts: dict[str, int]) -> list[str]:
    if param == "price":
        return [key for key in PRICE_RANGE_LABELS if key in counts]
    if param == "classification_level":
        return sorted(counts)
    if param == "merchant":
        return sorted(counts, key=lambda value: (-counts[value], int(value)))[:MERCHANTS_SHOWN]
    return sorted(counts, key=lambda value: -counts[value])


def sidebar(counts: dict[str, dict[str, int]], args: dict[str, str],
            merchant_names: dict[int, str]) -> list[Facet]:
    """The facets to show for a search whose query-string arguments are ``args``."""
    facets = []
    for param, index_field in FACET_PARAMS.items():
        found = dict(counts.get(index_field, {}))
        chosen = args.get(param, "")
        if chosen and chosen not in found:
            found[chosen] = 0  # still shown, so that it can be cleared
        values = []
        for value in _order(param, found):
            changed = {key: item for key, item in args.items() if key not in (param, "page")}
            if value != chosen:
                changed[param] = value
            values.append(FacetValue(value, _value_label(param, value, merchant_names),
                                     found[value], value == chosen, changed))
        if values:
            facets.append(Facet(param, str(FACET_TITLES[param]), values, bool(chosen)))
    return facets


def merchant_ids(counts: dict[str, dict[str, int]], chosen: str = "") -> list[int]:
    """The merchants the sidebar will name (for one query of their names)."""
    found = dict(counts.get(FACET_PARAMS["merchant"], {}))
    if chosen:
        found.setdefault(chosen, 0)
    return [int(value) for value in _order("merchant", found)]
