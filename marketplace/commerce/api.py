"""``/api/v1/cart``, ``/api/v1/orders``, ``/api/v1/entitlements``, ``/api/v1/receipts``: buying
over JSON, as the signed-in user (the session cookie; API keys come with the delivery gateway).

Every method asks the policy through :func:`authorized` *before* flask-smorest parses its
arguments, so an anonymous caller gets 401 and a stranger 403 before learning anything from
validation errors. Services' refusals become ``application/problem+json`` with their status and
sentence (:func:`marketplace.api.problems.domain_error_problem`). Writes carry the
``X-CSRFToken`` header (``GET /api/v1/csrf-token``), like every form.
"""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import url_for
from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint, abort
from sqlmodel import Session

from marketplace.api.problems import (
    PROBLEM_JSON,
    ProblemSchema,
    domain_error_problem,
    refusals_422,
)
from marketplace.authorization.grants import ApplicationRequired
from marketplace.commerce.api_documents import (
    CART_ADD_FORBIDDEN,
    CART_ADD_REFUSALS,
    cart_document,
    cart_line_document,
    entitlement_documents,
    order_document,
    order_summary,
    receipt_document,
)
from marketplace.commerce.models import Order, Receipt, ServiceQuote
from marketplace.commerce.orders import cart, queries
from marketplace.commerce.orders.access import SellerPart, order_access
from marketplace.commerce.pages import seller_view
from marketplace.commerce.payments import flow as payment_flow
from marketplace.commerce.payments import get_payments
from marketplace.commerce.schemas import (
    CartItemArgsSchema,
    CartLineSchema,
    CartSchema,
    CheckoutArgsSchema,
    EntitlementQueryArgsSchema,
    EntitlementSchema,
    OrderQueryArgsSchema,
    OrderSchema,
    OrderSummarySchema,
    PaymentArgsSchema,
    ReceiptSchema,
)
from marketplace.db import get_session
from marketplace.delivery import entitlements
from marketplace.delivery.models import Entitlement
from marketplace.errors import DomainError
from marketplace.policy import authorize, current_actor
from marketplace.web.bounds import api_page

cart_blp = Blueprint("cart", __name__, description=(
    "The signed-in buyer's cart: plans chosen, with the option and price of each, before "
    "checkout."))
orders_blp = Blueprint("orders", __name__, description=(
    "The signed-in buyer's orders: checkout, payment (test cards in test mode), cancellation, "
    "and what each order paid, refunded and granted."))
entitlements_blp = Blueprint("entitlements", __name__, description=(
    "What the signed-in buyer may use: product, plan, scope, validity, quota and state."))
receipts_blp = Blueprint("receipts", __name__, description="Receipts of payments.")

#: The blueprints and their URL prefixes, registered by :func:`marketplace.api.init_api`.
BLUEPRINTS = ((cart_blp, "/api/v1/cart"), (orders_blp, "/api/v1/orders"),
              (entitlements_blp, "/api/v1/entitlements"), (receipts_blp, "/api/v1/receipts"))

# The services name some fields after the form; the API calls them by their JSON names.
FIELD_NAMES = {"plan": "plan_id"}
PROBLEM = {"schema": ProblemSchema, "content_type": PROBLEM_JSON}
SIGNED_IN = {"sessionCookie": []}
WRITES = frozenset({"post", "put", "patch", "delete"})


def _problem(error: DomainError):
    if isinstance(error, ApplicationRequired):  # say where to apply
        error.problem_extra = {"application_url": url_for(
            "authorization.apply", product_id=error.product_id)}
    return domain_error_problem(error, field_names=FIELD_NAMES)


for _blueprint, _prefix in BLUEPRINTS:
    _blueprint.register_error_handler(DomainError, _problem)


# -- authorization before parsing ------------------------------------------------------------


@dataclass(frozen=True)
class UrlResource:
    """A record named in the URL: how to load it and what the policy is asked about."""

    url_arg: str  # the URL variable, e.g. ``order_number``
    keyword: str  # what the view receives, e.g. ``order``
    load: Callable[[Session, Any], tuple[Any, Any]]  # -> (the record, the policy's resource)


def _load_order(db: Session, number: str) -> tuple[Order, Any]:
    order = queries.order_by_number(db, number)
    if order is None:
        abort(404, message=_("No order has the number %(number)s.", number=number))
    return order, order_access(db, order)


def _load_entitlement(db: Session, entitlement_id: int) -> tuple[Entitlement, Entitlement]:
    entitlement = db.get(Entitlement, entitlement_id)
    if entitlement is None:
        abort(404, message=_("No entitlement has this id."))
    return entitlement, entitlement


def _load_receipt(db: Session, number: str) -> tuple[Receipt, Any]:
    receipt = queries.receipt_by_number(db, number)
    if receipt is None:
        abort(404, message=_("No receipt has the number %(number)s.", number=number))
    return receipt, order_access(db, db.get(Order, receipt.order_id))


ORDER = UrlResource("order_number", "order", _load_order)
ENTITLEMENT = UrlResource("entitlement_id", "entitlement", _load_entitlement)
RECEIPT = UrlResource("receipt_number", "receipt", _load_receipt)


def authorized(action: str, resource: UrlResource | None = None):
    """Load the URL's record (404 if missing) and authorize ``action`` on it, before anything
    else runs; the view gets the record as a keyword argument.

    Put it above ``@blp.arguments``: flask-smorest parses the body in the decorators below.
    It also documents the method's security (the session cookie; the CSRF header for writes).
    """

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if resource is None:
                authorize(action)
            else:
                record, subject = resource.load(get_session(), kwargs.pop(resource.url_arg))
                authorize(action, subject)
                kwargs[resource.keyword] = record
            return view(*args, **kwargs)

        wrapper._apidoc = deepcopy(getattr(view, "_apidoc", {}))
        security = {**SIGNED_IN, "csrfToken": []} if view.__name__ in WRITES else SIGNED_IN
        wrapper._apidoc.setdefault("manual_doc", {})["security"] = [security]
        return wrapper

    return decorator


# -- /api/v1/cart ----------------------------------------------------------------------------


@cart_blp.route("")
class Cart(MethodView):
    @authorized("cart.use")
    @cart_blp.response(200, CartSchema)
    @cart_blp.alt_response(401, description="Not signed in.", **PROBLEM)
    def get(self):
        """Read your cart.

        Each plan with its option and price, and the total to pay at checkout.
        """
        db = get_session()
        document = cart_document(db, current_actor().id)
        db.commit()  # plans that left the store were dropped from the cart
        return document

    @authorized("cart.use")
    @cart_blp.arguments(CartItemArgsSchema)
    @cart_blp.response(201, CartLineSchema)
    @cart_blp.alt_response(401, description="Not signed in.", **PROBLEM)
    @cart_blp.alt_response(403, description=CART_ADD_FORBIDDEN, **PROBLEM)
    @cart_blp.doc(**CART_ADD_REFUSALS)
    def post(self, args):
        """Add a plan to your cart.

        A per-call plan is bought as a call pack (``pack_calls``) or pay as you go; a service
        fee through the merchant's quote (``quote_id``). Adding a plan already in the cart
        replaces its option.
        """
        db, buyer = get_session(), current_actor()
        quote = None
        if args["quote_id"] is not None:
            quote = db.get(ServiceQuote, args["quote_id"])
            if quote is None:
                message = _("No quote has this id.")
                abort(422, message=message, messages={"json": {"quote_id": [message]}})
            authorize("quote.accept", quote)
        item = cart.add(db, buyer, args["plan_id"], pack_calls=args["pack_calls"], quote=quote)
        db.commit()
        return next(cart_line_document(line) for line in cart.lines(db, buyer.id)
                    if line.item.id == item.id)


@cart_blp.route("/items/<int(max=2147483647):item_id>")
class CartItem(MethodView):
    @authorized("cart.use")
    @cart_blp.response(204)
    @cart_blp.alt_response(401, description="Not signed in.", **PROBLEM)
    @cart_blp.alt_response(404, description="Your cart has no item with this id.", **PROBLEM)
    def delete(self, item_id: int):
        """Remove an item from your cart."""
        db, buyer = get_session(), current_actor()
        if queries.cart_item(db, buyer.id, item_id) is None:
            abort(404, message=_("Your cart has no item with this id."))
        cart.remove(db, buyer, item_id)
        db.commit()


# -- /api/v1/orders --------------------------------------------------------------------------


@orders_blp.route("")
class Orders(MethodView):
    @authorized("order.list")
    @orders_blp.arguments(OrderQueryArgsSchema, location="query")
    @orders_blp.response(200, OrderSummarySchema(many=True))
    @orders_blp.alt_response(401, description="Not signed in.", **PROBLEM)
    @orders_blp.paginate(page_size=20, max_page_size=100)
    def get(self, args, pagination_parameters):
        """List your orders.

        Newest first, optionally only those in one state.
        """
        rows, pagination_parameters.item_count = queries.buyer_orders(
            get_session(), current_actor().id, state=args["state"],
            page=api_page(pagination_parameters.page),
            per_page=pagination_parameters.page_size)
        return [order_summary(order) for order in rows]

    @authorized("cart.use")
    @orders_blp.arguments(CheckoutArgsSchema)
    @orders_blp.response(201, OrderSchema, headers={"Location": {
        "description": "The order's URL.", "schema": {"type": "string"}}})
    @orders_blp.alt_response(200, schema=OrderSchema, success=True, description=(
        "This attempt was checked out before: the order it made, unchanged."))
    @orders_blp.alt_response(401, description="Not signed in.", **PROBLEM)
    @orders_blp.doc(**refusals_422(
        "the cart is empty", "a membership is in the cart with other items",
        "the items are in different currencies"))
    def post(self, args):
        """Check out your cart.

        Makes one order awaiting payment and empties the cart. Retrying with the same
        ``attempt`` token returns the order it made (200) instead of a second one.
        """
        db, buyer = get_session(), current_actor()
        existing = cart.find_checkout(db, buyer.id, args["attempt"])
        if existing is not None:
            return order_document(db, existing), 200
        order = cart.checkout(db, buyer, attempt=args["attempt"])
        db.commit()
        location = url_for("orders.OrderItem", order_number=order.number)
        return order_document(db, order), 201, {"Location": location}


@orders_blp.route("/<order_number>")
class OrderItem(MethodView):
    @authorized("order.view", ORDER)
    @orders_blp.response(200, OrderSchema)
    @orders_blp.alt_response(401, description="Not signed in.", **PROBLEM)
    @orders_blp.alt_response(403, description="Not your order.", **PROBLEM)
    @orders_blp.alt_response(404, description="No order has this number.", **PROBLEM)
    def get(self, order: Order):
        """Read an order.

        Its lines, state, amounts paid and refunded, receipt numbers and entitlement ids. A
        merchant reads only the lines its organization sold (``seller_part``).
        """
        db = get_session()
        return order_document(db, order, _seller_part(db, order))


@orders_blp.route("/<order_number>/payment")
class OrderPayment(MethodView):
    @authorized("order.pay", ORDER)
    @orders_blp.arguments(PaymentArgsSchema)
    @orders_blp.response(200, OrderSchema)
    @orders_blp.alt_response(401, description="Not signed in.", **PROBLEM)
    @orders_blp.alt_response(402, description=(
        "The card was declined: the order is now failed and can be paid again. The detail is "
        "a sentence for the buyer; code is the provider's (card_declined, expired_card...)."),
        **PROBLEM)
    @orders_blp.alt_response(403, description="Not your order.", **PROBLEM)
    @orders_blp.alt_response(404, description="No order has this number.", **PROBLEM)
    @orders_blp.alt_response(409, description=(
        "The order is not awaiting payment, or payments are live: pay on the hosted payment "
        "page instead."), **PROBLEM)
    @orders_blp.doc(**refusals_422("the order has a price and no test card was chosen"))
    def post(self, args, order: Order):
        """Pay an order with a test card.

        Test mode only (live payments go through the hosted payment page); a free order
        needs no card. Answers the order after payment: fulfilled, with its entitlements,
        when the card is accepted.
        """
        if order.total > 0:
            if not get_payments().test_mode:
                abort(409, message=_("Payments on this marketplace are live: open the "
                                     "order in the browser and pay on the hosted payment "
                                     "page."))
            if args["card"] is None:
                message = _("Choose a test card to pay with.")
                abort(422, message=message, messages={"json": {"card": [message]}})
        db = get_session()
        payment_flow.pay_with_test_card(db, get_payments(), current_actor(), order,
                                        args["card"] or "")
        db.refresh(order)
        return order_document(db, order)


@orders_blp.route("/<order_number>/cancel")
class OrderCancellation(MethodView):
    @authorized("order.cancel", ORDER)
    @orders_blp.response(200, OrderSchema)
    @orders_blp.alt_response(401, description="Not signed in.", **PROBLEM)
    @orders_blp.alt_response(403, description="Not your order.", **PROBLEM)
    @orders_blp.alt_response(404, description="No order has this number.", **PROBLEM)
    @orders_blp.alt_response(409, description="The order was paid or closed already.", **PROBLEM)
    def post(self, order: Order):
        """Cancel an unpaid order."""
        db = get_session()
        cart.cancel(db, current_actor(), order)
        db.commit()
        return order_document(db, order)


# -- /api/v1/entitlements --------------------------------------------------------------------


@entitlements_blp.route("")
class Entitlements(MethodView):
    @authorized("entitlement.list")
    @entitlements_blp.arguments(EntitlementQueryArgsSchema, location="query")
    @entitlements_blp.response(200, EntitlementSchema(many=True))
    @entitlements_blp.alt_response(401, description="Not signed in.", **PROBLEM)
    def get(self, args):
        """List your entitlements.

        Newest first, optionally only those in one state.
        """
        db = get_session()
        rows = entitlements.for_buyer(db, current_actor().id, args["state"])
        return entitlement_documents(db, rows)


@entitlements_blp.route("/<int(max=2147483647):entitlement_id>")
class EntitlementItem(MethodView):
    @authorized("entitlement.view", ENTITLEMENT)
    @entitlements_blp.response(200, EntitlementSchema)
    @entitlements_blp.alt_response(401, description="Not signed in.", **PROBLEM)
    @entitlements_blp.alt_response(403, description="Not your entitlement.", **PROBLEM)
    @entitlements_blp.alt_response(404, description="No entitlement has this id.", **PROBLEM)
    def get(self, entitlement: Entitlement):
        """Read one of your entitlements.

        Its scope, validity, quota and state.
        """
        return entitlement_documents(get_session(), [entitlement])[0]


# -- /api/v1/receipts ------------------------------------------------------------------------


@receipts_blp.route("/<receipt_number>")
class ReceiptItem(MethodView):
    @authorized("receipt.view", RECEIPT)
    @receipts_blp.response(200, ReceiptSchema)
    @receipts_blp.alt_response(401, description="Not signed in.", **PROBLEM)
    @receipts_blp.alt_response(403, description="Not a receipt of your orders.", **PROBLEM)
    @receipts_blp.alt_response(404, description="No receipt has this number.", **PROBLEM)
    def get(self, receipt: Receipt):
        """Read a receipt.

        The amount paid, the payment reference, the sellers and the lines; a merchant reads
        only its own lines and their sum.
        """
        db = get_session()
        return receipt_document(db, receipt, _seller_part(db, db.get(Order, receipt.order_id)))


def _seller_part(db: Session, order: Order) -> SellerPart | None:
    """What the signed-in merchant may see of ``order``; None for its buyer or an admin."""
    return seller_view(order_access(db, order), cart.order_lines(db, order.id))
