"""The buyer-facing storefront: home page, search results, product pages and merchant pages.

Lists come from the search index and are checked against the database before they are shown
(:mod:`marketplace.search.services`), so only products on sale ever appear; merchants preview
their drafts in the dashboard. Every page asks the database a fixed number of questions however
many products it lists.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, jsonify, render_template, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from marketplace.accounts.models import MerchantOrganization
from marketplace.accounts.services import organizations_by_id
from marketplace.catalog import api_document
from marketplace.catalog.models import Scenario
from marketplace.db import get_session
from marketplace.policy import authorize, public
from marketplace.search import get_index
from marketplace.search.documents import ProductFacts
from marketplace.search.query import SearchRequest
from marketplace.search.services import find, resolve, results_of
from marketplace.storefront import facets
from marketplace.storefront.cache import page_part, rendered
from marketplace.storefront.forms import BrowseForm
from marketplace.storefront.product_page import on_sale, render_product
from marketplace.web.bounds import page_arg

blp = Blueprint("storefront", __name__, template_folder="templates")

PER_PAGE = 24
HOME_CARDS_PER_SCENARIO = 4
HOME_CARDS_PER_LIST = 8

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
    products: list[ProductFacts]
    total: int


def _on_sale(product_ids: list[int], facts: dict[int, ProductFacts]) -> list[ProductFacts]:
    return [facts[pid] for pid in product_ids if pid in facts]


@blp.route("/")
@public
def home():
    # Merchants see an invitation to list a product under an empty scenario.
    is_merchant = bool(current_user.is_authenticated and current_user.is_merchant)
    content = page_part(("home", is_merchant), _home_content)
    return render_template("storefront/home.html", content=content)


def _home_content() -> Markup:
    index = get_index()
    everything, _request = find(index, SearchRequest(sort="newest", per_page=HOME_CARDS_PER_LIST))
    by_scenario = [find(index, SearchRequest(filters={"scenario": scenario.value},
                                             sort="newest", per_page=HOME_CARDS_PER_SCENARIO,
                                             count_facets=False))[0]
                   for scenario in Scenario]
    best_sellers, _request = find(index, SearchRequest(sort="sales", per_page=HOME_CARDS_PER_LIST,
                                                       count_facets=False))
    facts = resolve(get_session(), [everything, best_sellers, *by_scenario])
    scenario_totals = everything.facets.get("scenario", {})
    sections = [
        ScenarioSection(scenario, str(SCENARIO_BLURBS[scenario]),
                        _on_sale(hits.product_ids, facts), scenario_totals.get(scenario.value, 0))
        for scenario, hits in zip(Scenario, by_scenario, strict=True)
    ]
    most_bought = [item for item in _on_sale(best_sellers.product_ids, facts) if item.sales]
    return rendered(
        "storefront/_home.html", sections=sections,
        newest=_on_sale(everything.product_ids, facts), most_bought=most_bought,
        total=everything.total,
    )


@blp.route("/products")
@public
def browse():
    content, q = page_part(("browse", request.query_string), _browse_content)
    return render_template("storefront/browse.html", q=q, content=content)


def _browse_content() -> tuple[Markup, str]:
    """The results part of the page, and the words searched for (for the page's title)."""
    form = BrowseForm(formdata=request.args)
    ignored = form.read()
    hits, search_request = find(get_index(), form.search_request(PER_PAGE))
    db = get_session()
    results = results_of(hits, search_request, resolve(db, [hits]), str(get_locale()))
    args = form.query_args()
    names = {org.id: org.name for org in organizations_by_id(
        db, facets.merchant_ids(hits.facets, args.get("merchant", ""))).values()}
    return rendered(
        "storefront/_browse.html",
        form=form,
        ignored=ignored,
        results=results,
        sidebar=facets.sidebar(hits.facets, args, names),
        query_args=args,
    ), form.q.data or ""


@blp.route("/products/<int:product_id>")
def product(product_id: int):
    facts = on_sale(product_id)
    if facts is None:
        abort(404)
    authorize("listing.view", facts.listing)
    return render_product(facts.listing, facts=facts)


@blp.route("/products/<int:product_id>/openapi.json")
def product_openapi(product_id: int):
    """The product's API as an OpenAPI 3.1 document (:mod:`marketplace.catalog.api_document`)."""
    facts = on_sale(product_id)
    if facts is None:
        abort(404)
    authorize("listing.view", facts.listing)
    document = api_document.product_document(
        facts.listing, api_document.operations_sold(get_session(), facts.listing),
        request.url_root)
    response = jsonify(document)
    response.headers["Content-Disposition"] = (
        f'inline; filename="product-{product_id}-openapi.json"')
    return response


@blp.route("/merchants/<int:organization_id>")
@public
def merchant_page(organization_id: int):
    db = get_session()
    organization = db.get(MerchantOrganization, organization_id)
    if organization is None or not organization.is_verified:
        abort(404)
    page = page_arg()
    content = page_part(("merchant", organization.id, page),
                        lambda: _merchant_content(organization, page))
    return render_template("storefront/merchant.html", organization=organization,
                           content=content)


def _merchant_content(organization: MerchantOrganization, page: int) -> Markup:
    hits, search_request = find(get_index(), SearchRequest(
        filters={"merchant_id": str(organization.id)}, sort="newest", page=max(page, 1),
        per_page=PER_PAGE))
    results = results_of(hits, search_request, resolve(get_session(), [hits]),
                         str(get_locale()))
    return rendered(
        "storefront/_merchant.html",
        organization=organization,
        results=results,
        scenario_counts=hits.facets.get("scenario", {}),
    )
