"""The product page: everything a buyer decides on, from what the product is to who liked it.

A page part, not a view: the storefront's product route renders it, and so do the commerce views
when a buy form fails (with the form's errors under its plan). Its number of queries does not
depend on the number of plans, reviews or similar products.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import render_template
from markupsafe import Markup

from marketplace.accounts.models import MerchantOrganization
from marketplace.authorization import grants as authorization
from marketplace.catalog import api_document, listing_operations, operations, preview
from marketplace.catalog.models import Listing, PricingModel
from marketplace.catalog.services import plans_for
from marketplace.commerce.orders import pricing
from marketplace.db import get_session
from marketplace.delivery import entitlements, trials
from marketplace.plugins import get_runtime
from marketplace.policy import check, current_actor
from marketplace.reviews import services as reviews
from marketplace.search import get_index
from marketplace.search.documents import ProductFacts, live_facts
from marketplace.search.services import similar_products
from marketplace.storefront.cache import page_part, rendered

SIMILAR_SHOWN = 4
REVIEWS_SHOWN = 20


@dataclass(frozen=True)
class Authorization:
    """What buying the product authorizes, and what it takes (DESIGN.md §2.3)."""

    level: int
    needs_application: bool
    operations: list[str]
    fields: list[str] | None  # None: every field of the data dictionary


def authorization_of(listing: Listing) -> Authorization:
    scope = entitlements.scope_for(get_session(), listing)
    return Authorization(level=listing.classification_level,
                         needs_application=authorization.required(listing),
                         operations=list(scope.get("operations") or []), fields=None)


def further_operations(listing: Listing) -> list[operations.AttachedOperation]:
    """The operations ``listing`` sells after its main one, described for the page."""
    pairs = listing_operations.operations_of(get_session(), listing)[1:]
    infos = get_runtime().operations_by_ref(pairs) if pairs else {}
    return [operations.AttachedOperation(plugin, name, infos[(plugin, name)])
            for plugin, name in pairs]


def on_sale(product_id: int) -> ProductFacts | None:
    """The product's facts if it is on sale, kept like a page part (see :mod:`.cache`)."""
    return page_part(("facts", product_id),
                     lambda: live_facts(get_session(), [product_id]).get(product_id))


def _facts(listing: Listing) -> ProductFacts:
    found = on_sale(listing.product_id)
    if found is not None and found.listing.id == listing.id:
        return found
    db = get_session()
    # The version was taken off sale while the page was being made: show it as it was.
    return ProductFacts(listing=listing, plans=plans_for(db, listing.id),
                        merchant=db.get(MerchantOrganization, listing.organization_id),
                        rating_average=0.0, rating_count=0, sales=0)


def render_product(listing: Listing, *, status: int = 200,
                   plan_errors: dict[int, list[str]] | None = None,
                   quote_drafts: dict[int, str] | None = None,
                   review_form: dict[str, Any] | None = None,
                   facts: ProductFacts | None = None):
    """The product page of ``listing``, with its buy forms.

    The commerce views render it again when a buy form fails: ``plan_errors`` are shown under
    the plan they concern and ``quote_drafts`` keep what the buyer wrote in a quote request;
    ``review_form`` keeps a refused review (its ``rating``, ``body`` and ``errors``);
    ``facts`` are the product's, when the caller has them already.
    """
    db = get_session()
    facts = facts or _facts(listing)
    plans = facts.plans
    call_packs = {
        plan.id: [(calls, pricing.price_line(plan, pack_calls=calls).amount)
                  for calls in pricing.CALL_PACKS]
        for plan in plans if plan.model == PricingModel.PER_CALL
    }
    actor = current_actor()
    standing = reviews.standing(db, actor, listing.product_id)
    operation = operations.attached_operation(listing)
    sample = preview.masked_sample(get_runtime(), listing)
    moderator = check("review.hide")
    sections, more = page_part(
        ("product", listing.id, operation.available if operation else None, sample.available),
        lambda: _sections(listing, facts, operation, sample))
    # An admin's list carries hide forms with the admin's own form token: never kept.
    review_list = page_part(None if moderator else ("product-reviews", listing.id),
                            lambda: rendered("storefront/_product_reviews.html", reviews=(
                                reviews.shown_for_product(db, listing.product_id,
                                                          REVIEWS_SHOWN))))
    needs_application = authorization.required(listing)
    application = (authorization.open_application(db, actor.id, listing.product_id)
                   if actor is not None and needs_application else None)
    owned = entitlements.held(db, actor.id, listing.product_id) if actor is not None else []
    summary_context = {
        "listing": listing, "facts": facts, "plans": plans, "merchant": facts.merchant,
        "needs_authorization": needs_application, "application": application,
        "approved_now": application is not None and application.state == "approved"
        and authorization.in_period(application), "operation": operation,
        "call_packs": call_packs, "plan_errors": plan_errors or {},
        "quote_drafts": quote_drafts or {},
        "owned": owned, "owned_plan_ids": {entitlement.plan_id for entitlement in owned},
    }
    # Signed-in visitors' buy forms carry their own form tokens: kept for anonymous ones only.
    anonymous = actor is None and not plan_errors and not quote_drafts
    summary = page_part(
        ("product-summary", listing.id, operation.available if operation else None)
        if anonymous else None,
        lambda: rendered("storefront/_product_summary.html", **summary_context))
    return render_template(
        "storefront/product.html",
        listing=listing,
        facts=facts,
        trial=trial_of(listing, actor),
        standing=standing,
        may_review=standing.may_write and check("review.write", standing),
        review_form=review_form or {},
        summary=summary, sections=sections, review_list=review_list, more=more,
    ), status


@dataclass(frozen=True)
class Trial:
    """The free sandbox calls the product offers, and those the visitor has left."""

    calls: int
    left: int
    started: bool


def trial_of(listing: Listing, actor: Any) -> Trial | None:
    """The product's trial as the visitor sees it (None: it offers none)."""
    calls = trials.offered(listing)
    if calls == 0:
        return None
    trial = (trials.trial_of(get_session(), actor.id, listing.product_id)
             if actor is not None else None)
    return Trial(calls, trials.remaining(trial, listing), trial is not None)


def _sections(listing: Listing, facts: ProductFacts, operation, sample) -> tuple[Markup, Markup]:
    """The parts of the page every visitor sees alike: from the description to the sample, and
    the similar products and versions after the reviews."""
    similar = similar_products(get_session(), get_index(), facts, SIMILAR_SHOWN)
    context = {
        "listing": listing, "operation": operation, "sample": sample, "similar": similar,
        "columns": [field["name"] for field in listing.data_dictionary],
        "authorization": authorization_of(listing),
        "further_operations": further_operations(listing),
        "model_cards": operations.model_cards(listing),
        "masking_labels": preview.MASKING_LABELS,
        "api_endpoints": api_document.endpoints(api_document.product_document(
            listing, api_document.operations_sold(get_session(), listing), "/")),
    }
    return (rendered("storefront/_product_sections.html", **context),
            rendered("storefront/_product_more.html", **context))
