"""The buyer-facing storefront: home page, browsing, product pages and merchant pages.

Only published versions are ever shown here; merchants preview their drafts in the dashboard.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from math import ceil

from flask import Blueprint, abort, render_template, request
from flask_babel import lazy_gettext as _l

from marketplace.accounts.models import MerchantOrganization
from marketplace.accounts.services import organizations_by_id
from marketplace.catalog import operations, queries
from marketplace.catalog import services as catalog
from marketplace.catalog.models import Listing, PricingModel, PricingPlan, Scenario
from marketplace.catalog.queries import BrowseFilters
from marketplace.commerce import cart, pricing
from marketplace.db import get_session
from marketplace.policy import authorize, public
from marketplace.storefront.forms import BrowseForm

blp = Blueprint("storefront", __name__, template_folder="templates")

PER_PAGE = 24
HOME_CARDS_PER_SCENARIO = 4

SCENARIO_BLURBS = {
    Scenario.FINANCE: _l(
        "Blacklist checks, credit risk and risk level models, and credit profiles for lending "
        "and onboarding."
    ),
    Scenario.TRANSPORT: _l(
        "Driver identity and licence verification, driver credit checks and traffic violation "
        "queries."
    ),
    Scenario.MEDICAL: _l(
        "Epidemiology statistics, hospital operations indicators and health assessment models."
    ),
    Scenario.SOCIAL_GOVERNANCE: _l(
        "Tax and social-security payment verification, enterprise four-element checks and "
        "dishonest-person verification."
    ),
}


@dataclass(frozen=True)
class ScenarioSection:
    scenario: Scenario
    blurb: str
    listings: list[Listing]
    total: int


def _card_context(listings: list[Listing]) -> dict:
    """Plans and merchants for a set of cards, in two queries however many cards there are."""
    db = get_session()
    return {
        "plans": queries.plans_for_listings(db, [listing.id for listing in listings]),
        "merchants": organizations_by_id(db, [listing.organization_id for listing in listings]),
    }


def _browse_page(filters: BrowseFilters) -> tuple[list[Listing], int, BrowseFilters]:
    """One page of results; a page past the end shows the last page instead of nothing."""
    db = get_session()
    listings, total = queries.browse(db, filters)
    last_page = max(1, ceil(total / filters.per_page))
    if filters.page > last_page:
        filters = replace(filters, page=last_page)
        listings, total = queries.browse(db, filters)
    return listings, total, filters


@blp.route("/")
@public
def home():
    db = get_session()
    sections = []
    for scenario in Scenario:
        listings, total = queries.browse(
            db, BrowseFilters(scenario=scenario.value, per_page=HOME_CARDS_PER_SCENARIO)
        )
        sections.append(ScenarioSection(scenario, str(SCENARIO_BLURBS[scenario]), listings, total))
    shown = [listing for section in sections for listing in section.listings]
    return render_template(
        "storefront/home.html", sections=sections,
        **_card_context(shown),
    )


@blp.route("/products")
@public
def browse():
    form = BrowseForm(formdata=request.args)
    ignored = form.read()
    listings, total, filters = _browse_page(form.filters(PER_PAGE))
    return render_template(
        "storefront/browse.html",
        form=form,
        ignored=ignored,
        listings=listings,
        total=total,
        page=filters.page,
        pages=max(1, ceil(total / PER_PAGE)),
        per_page=PER_PAGE,
        query_args=form.query_args(),
        **_card_context(listings),
    )


@blp.route("/products/<int:product_id>")
def product(product_id: int):
    db = get_session()
    listing = catalog.live_listing(db, product_id)
    if listing is None:
        abort(404)
    authorize("listing.view", listing)
    return render_product(listing)


def render_product(listing: Listing, *, status: int = 200,
                   plan_errors: dict[int, list[str]] | None = None,
                   quote_drafts: dict[int, str] | None = None):
    """The product page of ``listing``, with its buy forms.

    The commerce views render it again when a buy form fails: ``plan_errors`` are shown under
    the plan they concern and ``quote_drafts`` keep what the buyer wrote in a quote request.
    """
    db = get_session()
    plans: list[PricingPlan] = catalog.plans_for(db, listing.id)
    merchant = db.get(MerchantOrganization, listing.organization_id)
    columns = [field["name"] for field in listing.data_dictionary]
    call_packs = {
        plan.id: [(calls, pricing.price_line(plan, pack_calls=calls).amount)
                  for calls in pricing.CALL_PACKS]
        for plan in plans if plan.model == PricingModel.PER_CALL
    }
    return render_template(
        "storefront/product.html",
        listing=listing,
        plans=plans,
        merchant=merchant,
        columns=columns,
        needs_authorization=cart.needs_authorization(listing),
        operation=operations.attached_operation(listing),
        call_packs=call_packs,
        plan_errors=plan_errors or {},
        quote_drafts=quote_drafts or {},
    ), status


@blp.route("/merchants/<int:organization_id>")
@public
def merchant_page(organization_id: int):
    db = get_session()
    organization = db.get(MerchantOrganization, organization_id)
    if organization is None or not organization.is_verified:
        abort(404)
    page = request.args.get("page", 1, type=int) or 1
    listings, total, filters = _browse_page(
        BrowseFilters(organization_id=organization.id, page=max(page, 1), per_page=PER_PAGE)
    )
    return render_template(
        "storefront/merchant.html",
        organization=organization,
        listings=listings,
        total=total,
        page=filters.page,
        pages=max(1, ceil(total / PER_PAGE)),
        **_card_context(listings),
    )
