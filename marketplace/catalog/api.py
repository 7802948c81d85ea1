"""``/api/v1/products``: the published catalog, as JSON."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint, abort

from marketplace.accounts.models import MerchantOrganization
from marketplace.catalog import operations, queries, services
from marketplace.catalog.models import Listing
from marketplace.catalog.schemas import ProductQueryArgsSchema, ProductSchema
from marketplace.db import get_session
from marketplace.policy import authorize, public

blp = Blueprint(
    "products", __name__, description="Published data products: what they are and what they cost."
)


def product_document(listing: Listing,
                     attached: operations.AttachedOperation | None = None) -> dict:
    """A published listing as the API presents it (``attached``: its operation, when the
    caller looked it up already)."""
    db = get_session()
    org = db.get(MerchantOrganization, listing.organization_id)
    if attached is None:
        attached = operations.attached_operation(listing)
    return {
        **listing.model_dump(),
        "id": listing.product_id,
        "listing_id": listing.id,
        "pricing_plans": services.plans_for(db, listing.id),
        "merchant": {"id": org.id, "name": org.name, "verified": org.is_verified},
        "operation": attached.document() if attached is not None else None,
    }


@blp.route("")
class Products(MethodView):
    @public
    @blp.arguments(ProductQueryArgsSchema, location="query")
    @blp.response(200, ProductSchema(many=True))
    @blp.paginate(page_size=24, max_page_size=100)
    def get(self, args, pagination_parameters):
        """List published products, newest first, with optional filters."""
        filters = queries.BrowseFilters(
            **args, page=pagination_parameters.page, per_page=pagination_parameters.page_size
        )
        rows, pagination_parameters.item_count = queries.browse(get_session(), filters)
        attached = operations.attached_operations(rows)  # each distinct operation asked once
        return [product_document(row, attached.get(row.id)) for row in rows]


@blp.route("/<int:product_id>")
class ProductItem(MethodView):
    @blp.response(200, ProductSchema)
    @blp.alt_response(404, description="No published product has this id.")
    def get(self, product_id: int):
        """Read one published product: description, data dictionary, sample, pricing, and the
        plugin operation it sells with its input and output JSON Schema."""
        listing = services.live_listing(get_session(), product_id)
        if listing is None:
            abort(404, message="No published product has this id.")
        authorize("listing.view", listing)
        return product_document(listing)
