"""``/api/v1/products``: search the products on sale, and read one, as JSON.

The list is the storefront's search: the same words, filters, sorts and facet counts as the
browse page. Facet counts and a corrected query travel in the ``X-Search`` header (JSON), beside
flask-smorest's ``X-Pagination``, so the body stays the list of products it always was. The list
is serialized once per index generation and query (see :mod:`marketplace.storefront.cache`),
so the view returns the JSON itself, with both headers.
"""

from __future__ import annotations

import json

from flask import current_app, request, url_for
from flask.views import MethodView
from flask_babel import get_locale
from flask_smorest import Blueprint, abort

from marketplace.api.problems import PROBLEM_JSON, ProblemSchema
from marketplace.authorization import grants as authorization
from marketplace.catalog import operations
from marketplace.catalog.localized import BILINGUAL_FIELDS, CHINESE, ENGLISH, listing_text
from marketplace.db import get_session
from marketplace.plugins.services import states as plugin_states
from marketplace.policy import authorize, public
from marketplace.search import get_index
from marketplace.search.documents import ProductFacts, live_facts, lowest_price
from marketplace.search.query import SearchRequest
from marketplace.search.services import find, resolve
from marketplace.storefront.cache import page_part
from marketplace.storefront.facets import FACET_PARAMS
from marketplace.storefront.schemas import (
    ListedProductSchema,
    ProductQueryArgsSchema,
    SearchMetadataSchema,
)
from marketplace.web.bounds import api_page

blp = Blueprint(
    "products", __name__, description="Published data products: find them, read what they are "
                                      "and what they cost."
)

SEARCH_HEADER = {
    "description": (
        "Search metadata as a JSON object written in the header's text (SearchMetadata): "
        'facet counts and the corrected query, if any, e.g. {"facets": {"scenario": '
        '{"finance": 4}, ...}, "corrected_query": null}; parse it with a JSON parser.'),
    "schema": {"type": "string", "contentMediaType": "application/json",
               "contentSchema": {"$ref": "#/components/schemas/SearchMetadata"}},
}


def register_schemas(spec) -> None:
    """Components that only the headers' documentation names (by ``$ref``)."""
    spec.components.schema("SearchMetadata", schema=SearchMetadataSchema)


def product_document(facts: ProductFacts,
                     attached: operations.AttachedOperation | None) -> dict:
    """A product on sale as the API presents it."""
    listing = facts.listing
    merchant = facts.merchant
    return {
        **listing.model_dump(),
        "id": listing.product_id,
        "listing_id": listing.id,
        "pricing_plans": facts.plans,
        "merchant": {"id": merchant.id, "name": merchant.name, "verified": merchant.is_verified},
        "operation": attached.document() if attached is not None else None,
        "localized": _localized(listing),
        "rating": {"average": facts.rating_average, "count": facts.rating_count},
        "sales": facts.sales,
        "lowest_price": lowest_price(facts.plans),
        "needs_application": authorization.required(listing),
        "application_url": (url_for("authorization.apply", product_id=listing.product_id)
                            if authorization.required(listing) else None),
    }


def _localized(listing) -> dict:
    """Title, summary and description in the request's language, and the language of each."""
    locale = get_locale()
    texts = {field: listing_text(listing, field, locale) for field in BILINGUAL_FIELDS}
    default = ENGLISH if str(locale).startswith("en") else CHINESE
    return {**{field: text.text for field, text in texts.items()},
            "languages": {field: text.lang or default for field, text in texts.items()}}


def _documents(facts: list[ProductFacts]) -> list[dict]:
    attached = operations.attached_operations(item.listing for item in facts)
    return [product_document(item, attached.get(item.listing.id)) for item in facts]


@blp.route("")
class Products(MethodView):
    @public
    @blp.arguments(ProductQueryArgsSchema, location="query")
    @blp.response(200, ListedProductSchema(many=True), headers={"X-Search": SEARCH_HEADER})
    @blp.paginate(page_size=24, max_page_size=100)
    def get(self, args, pagination_parameters):
        """Search the products on sale: words, filters and sort, with facet counts."""
        page, size = api_page(pagination_parameters.page), pagination_parameters.page_size
        # The answer is kept like the storefront's page parts (storefront/cache.py), also by
        # which plugins are switched on: the documents say whether each operation answers.
        plugins = plugin_states(get_session())
        body, total, metadata = page_part(
            ("api-products", request.query_string, plugins),
            lambda: _search_answer(args, page, size))
        pagination_parameters.item_count = total
        response = current_app.response_class(body, mimetype="application/json")
        response.headers["X-Search"] = metadata
        response.headers[blp.PAGINATION_HEADER_NAME] = json.dumps(
            blp._make_pagination_metadata(page, size, total))
        return response


def _search_answer(args: dict, page: int, size: int) -> tuple[str, int, str]:
    """(the JSON list, the number of matches, the X-Search header) of one search."""
    filters = {index_field: str(args[param]) for param, index_field in FACET_PARAMS.items()
               if args.get(param) not in (None, "")}
    hits, _request = find(get_index(), SearchRequest(
        q=args["q"], filters=filters, min_price=args["min_price"], max_price=args["max_price"],
        sort=args["sort"], page=page, per_page=size))
    facts = resolve(get_session(), [hits])
    metadata = {
        "facets": {param: hits.facets.get(index_field, {})
                   for param, index_field in FACET_PARAMS.items()},
        "corrected_query": hits.corrected_q,
    }
    found = [facts[pid] for pid in hits.product_ids if pid in facts]
    body = current_app.json.dumps(ListedProductSchema(many=True).dump(_documents(found)))
    return body, hits.total, json.dumps(metadata)


@blp.route("/<int(max=2147483647):product_id>")
class ProductItem(MethodView):
    @blp.response(200, ListedProductSchema)
    @blp.alt_response(404, description="No published product has this id.",
                      schema=ProblemSchema, content_type=PROBLEM_JSON)
    def get(self, product_id: int):
        """Read one published product: description, data dictionary, sample, pricing, rating,
        and the plugin operation it sells with its input and output JSON Schema."""
        facts = live_facts(get_session(), [product_id]).get(product_id)
        if facts is None:
            abort(404, message="No published product has this id.")
        authorize("listing.view", facts.listing)
        return _documents([facts])[0]
