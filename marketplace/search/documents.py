"""A product's search document, built from its live listing and what surrounds it.

One document per product, keyed by the stable ``Product.id``; only a *published* version has one
(a product that is suspended, retired or not yet on sale has none). Everything is read in a fixed
number of queries however many products are asked for.

Text fields are lists of texts, one per language version: a listing's field ``title`` and, when
the listing has them, ``title_en`` / ``title_zh`` (and so on for ``summary``,
``description_md``), so that bilingual listings are searchable in both languages with no change
here. The names of scenarios, product types, delivery forms and pricing models are indexed in
every language the platform speaks, so ``医疗`` finds the medical scenario.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import force_locale
from sqlmodel import Session, col, select

from marketplace.accounts.models import MerchantOrganization
from marketplace.catalog.labels import label
from marketplace.catalog.models import Listing, ListingState, PricingModel, PricingPlan
from marketplace.catalog.queries import plans_for_listings
from marketplace.commerce.orders.queries import sales_by_product
from marketplace.reviews.services import rating_summaries
from marketplace.search.analysis import TEXT_SEPARATOR, pinyin_text

#: The language versions a listing's text may have besides the field itself.
LANGUAGE_SUFFIXES = ("_zh", "_en")
#: The platform's languages, for the names of catalog values.
LOCALES = ("en", "zh_Hans")

#: Price ranges buyers filter by: (key, lowest fen, highest fen or None), in order.
PRICE_RANGES: tuple[tuple[str, int, int | None], ...] = (
    ("free", 0, 0),
    ("under_100", 1, 100_00),
    ("100_1000", 100_01, 1_000_00),
    ("1000_10000", 1_000_01, 10_000_00),
    ("over_10000", 10_000_01, None),
)

#: A rating is sorted by its mean pulled towards this many votes of 3 stars, so that one
#: five-star review does not outrank a hundred at 4.8.
RATING_PRIOR_VOTES = 3
RATING_PRIOR_MEAN = 3.0


def price_range(price: int) -> str:
    """The key of the price range ``price`` (fen) falls in."""
    for key, low, high in PRICE_RANGES:
        if price >= low and (high is None or price <= high):
            return key
    return PRICE_RANGES[-1][0]


def entry_price(plan: PricingPlan) -> int:
    """What starting to use a plan costs, in fen: the price of one paid call for per-call
    plans, the price (per period, or the service fee's starting price) otherwise."""
    if plan.model == PricingModel.FREE:
        return 0
    if plan.model == PricingModel.PER_CALL:
        unit_prices = [int(tier.get("unit_price") or 0) for tier in plan.tiers]
        return min(unit_prices) if unit_prices else 0
    return plan.price


def lowest_price(plans: Sequence[PricingPlan]) -> int:
    return min((entry_price(plan) for plan in plans), default=0)


def rating_key(average: float, count: int) -> int:
    """The sort key of a rating: the damped mean, in thousandths of a star."""
    damped = ((average * count + RATING_PRIOR_MEAN * RATING_PRIOR_VOTES)
              / (count + RATING_PRIOR_VOTES)) if count else 0.0
    return round(damped * 1000)


def texts(listing: Listing, field: str) -> list[str]:
    """Every language version of one of ``listing``'s text fields, non-empty, in order."""
    found = [getattr(listing, field, None)]
    found += [getattr(listing, field + suffix, None) for suffix in LANGUAGE_SUFFIXES]
    return [text for text in dict.fromkeys(found) if isinstance(text, str) and text.strip()]


_label_cache: dict[tuple[str, str], tuple[str, ...]] = {}


def label_texts(kind: str, value: str) -> tuple[str, ...]:
    """The name of a catalog value in every language of the platform (needs an app context)."""
    key = (kind, str(value))
    if key not in _label_cache:
        names = []
        for locale in LOCALES:
            with force_locale(locale):
                names.append(str(label(kind, value)))
        _label_cache[key] = tuple(dict.fromkeys(names))
    return _label_cache[key]


def _joined(values: Iterable[str]) -> str:
    return TEXT_SEPARATOR.join(values)


@dataclass(frozen=True)
class ProductFacts:
    """What is known about one product on sale, besides its listing: for documents and pages."""

    listing: Listing
    plans: list[PricingPlan]
    merchant: MerchantOrganization
    rating_average: float
    rating_count: int
    sales: int


def live_facts(session: Session, product_ids: Iterable[int]) -> dict[int, ProductFacts]:
    """The facts of each product in ``product_ids`` that is on sale now, in six queries."""
    ids = list(dict.fromkeys(product_ids))
    if not ids:
        return {}
    listings = session.exec(
        select(Listing).where(col(Listing.product_id).in_(ids),
                              Listing.state == ListingState.PUBLISHED)
    ).all()
    plans = plans_for_listings(session, [listing.id for listing in listings])
    org_ids = {listing.organization_id for listing in listings}
    merchants = {org.id: org for org in session.exec(
        select(MerchantOrganization).where(col(MerchantOrganization.id).in_(org_ids)))}
    live_ids = [listing.product_id for listing in listings]
    ratings = rating_summaries(session, live_ids)
    sales = sales_by_product(session, live_ids)
    facts = {}
    for listing in listings:
        rating = ratings.get(listing.product_id)
        facts[listing.product_id] = ProductFacts(
            listing=listing, plans=plans[listing.id],
            merchant=merchants[listing.organization_id],
            rating_average=rating.average if rating else 0.0,
            rating_count=rating.count if rating else 0,
            sales=sales.get(listing.product_id, 0))
    return facts


def _epoch(moment: datetime | None) -> int:
    return int(moment.timestamp()) if moment else 0


def document(facts: ProductFacts) -> dict[str, Any]:
    """The search document of one product on sale (needs an app context for the labels)."""
    listing = facts.listing
    models = sorted({plan.model for plan in facts.plans})
    labels = [
        *label_texts("scenario", listing.scenario),
        *label_texts("product_type", listing.product_type),
        *label_texts("delivery_form", listing.delivery_form),
        *(name for model in models for name in label_texts("pricing_model", model)),
    ]
    titles = texts(listing, "title")
    tags = [tag for tag in listing.tags if isinstance(tag, str)]
    price = lowest_price(facts.plans)
    return {
        "product_id": str(listing.product_id),
        "listing_id": listing.id,
        "title": _joined([*titles, *tags]),
        "content": _joined([*titles, *tags, *texts(listing, "summary"),
                            *texts(listing, "description_md"), facts.merchant.name, *labels,
                            pinyin_text([*titles, *tags, facts.merchant.name])]),
        "spelling": _joined([*titles, *tags]),
        "scenario": listing.scenario,
        "product_type": listing.product_type,
        "delivery_form": listing.delivery_form,
        "classification_level": str(listing.classification_level),
        "merchant_id": str(listing.organization_id),
        "price_range": price_range(price),
        "pricing_models": ",".join(models),
        "price": price,
        "rating": rating_key(facts.rating_average, facts.rating_count),
        "rating_count": facts.rating_count,
        "sales": facts.sales,
        "published": _epoch(listing.published_at),
        "title_key": (titles[0] if titles else "").casefold()[:100],
    }
