"""``/api/v1/refund-requests`` and ``/api/v1/invoice-requests``: a buyer asks for a refund of
an order line or for an invoice (发票); the merchant (or, for a refund after three working
days, an admin) decides. As the signed-in user, with ``X-CSRFToken`` on writes; the policy is
asked before the body is parsed wherever the URL names the record.
"""

from __future__ import annotations

from copy import deepcopy
from functools import wraps

from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint, abort

from marketplace.api.problems import (
    PROBLEM_JSON,
    ProblemSchema,
    domain_error_problem,
    refusals_422,
)
from marketplace.commerce.buyer_requests import invoices, refund_requests
from marketplace.commerce.buyer_requests.models import InvoiceRequest, RefundRequest
from marketplace.commerce.buyer_requests.schemas import (
    InvoiceRequestArgsSchema,
    InvoiceRequestSchema,
    RefundDecisionArgsSchema,
    RefundRequestArgsSchema,
    RefundRequestQueryArgsSchema,
    RefundRequestSchema,
    RequestQueryArgsSchema,
)
from marketplace.commerce.models import Order, OrderLine
from marketplace.commerce.orders import queries
from marketplace.commerce.orders.access import order_access
from marketplace.commerce.payments import get_payments
from marketplace.commerce.request_pages import invoice_document, refund_request_document
from marketplace.db import get_session
from marketplace.errors import DomainError
from marketplace.policy import authorize, current_actor
from marketplace.web.bounds import api_page

refunds_blp = Blueprint("refund_requests", __name__, description=(
    "Buyers' refund requests on order lines: asked with a reason, decided by the line's "
    "merchant (or by a platform admin once three working days have passed); an approved "
    "request is refunded at once."))
invoices_blp = Blueprint("invoice_requests", __name__, description=(
    "Invoice (发票) requests: a buyer asks each merchant of a paid order for a 增值税普通发票; "
    "the merchant issues it with its PDF."))

BLUEPRINTS = ((refunds_blp, "/api/v1/refund-requests"),
              (invoices_blp, "/api/v1/invoice-requests"))
PROBLEM = {"schema": ProblemSchema, "content_type": PROBLEM_JSON}
SIGNED_IN = {"sessionCookie": []}
WRITES = frozenset({"post", "put", "patch", "delete"})
for _blueprint, _prefix in BLUEPRINTS:
    _blueprint.register_error_handler(DomainError, domain_error_problem)


def authorized(action: str, model: type | None = None, url_arg: str = ""):
    """Authorize ``action`` (on the record of ``model`` whose id is the URL's ``url_arg``, 404
    if there is none) before flask-smorest parses anything; the view gets it as ``record``."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if model is None:
                authorize(action)
            else:
                record = get_session().get(model, kwargs.pop(url_arg))
                if record is None:
                    abort(404, message=_("No request has this id."))
                authorize(action, record)
                kwargs["record"] = record
            return view(*args, **kwargs)

        wrapper._apidoc = deepcopy(getattr(view, "_apidoc", {}))
        security = {**SIGNED_IN, "csrfToken": []} if view.__name__ in WRITES else SIGNED_IN
        wrapper._apidoc.setdefault("manual_doc", {})["security"] = [security]
        return wrapper

    return decorator


def _scope_filter(scope: str, list_actions: dict[str, str]) -> dict:
    """Who the list shows, after asking the policy for that scope."""
    authorize(list_actions[scope])
    actor = current_actor()
    if scope == "mine":
        return {"buyer_id": actor.id}
    if scope == "merchant":
        return {"organization_id": actor.organization_id}
    return {}


def _order_of(number: str, action: str) -> Order:
    db = get_session()
    order = queries.order_by_number(db, number)
    if order is None:
        abort(404, message=_("No order has the number %(number)s.", number=number))
    authorize(action, order_access(db, order))
    return order


# -- /api/v1/refund-requests ----------------------------------------------------------------


@refunds_blp.route("")
class RefundRequests(MethodView):
    @authorized("refund_request.list")
    @refunds_blp.arguments(RefundRequestQueryArgsSchema, location="query")
    @refunds_blp.response(200, RefundRequestSchema(many=True))
    @refunds_blp.alt_response(401, description="Not signed in.", **PROBLEM)
    @refunds_blp.alt_response(403, description="Not a merchant (merchant) or not an admin "
                                               "(all).", **PROBLEM)
    @refunds_blp.paginate(page_size=20, max_page_size=100)
    def get(self, args, pagination_parameters):
        """List refund requests.

        Newest first: yours as a buyer, those asked of your organization, or all (admins).
        """
        db = get_session()
        who = _scope_filter(args["scope"], {"mine": "refund_request.list",
                                            "merchant": "refund_request.list_merchant",
                                            "all": "refund_request.list_all"})
        rows, pagination_parameters.item_count = refund_requests.listed(
            db, state=args["state"], page=api_page(pagination_parameters.page),
            per_page=pagination_parameters.page_size, **who)
        return [refund_request_document(db, row) for row in rows]

    @authorized("refund_request.list")
    @refunds_blp.arguments(RefundRequestArgsSchema)
    @refunds_blp.response(201, RefundRequestSchema)
    @refunds_blp.alt_response(401, description="Not signed in.", **PROBLEM)
    @refunds_blp.alt_response(403, description="Not your order.", **PROBLEM)
    @refunds_blp.alt_response(404, description="No order has this number.", **PROBLEM)
    @refunds_blp.alt_response(409, description=(
        "The order is not paid, or the line has an open refund request already."), **PROBLEM)
    @refunds_blp.doc(**refusals_422(
        "no reason given", "the line is not part of the order",
        "the amount is more than is left to refund on the line"))
    def post(self, args):
        """Ask for a refund of an order line.

        The line's merchant decides; one open request per line.
        """
        db = get_session()
        order = _order_of(args["order_number"], "refund_request.create")
        line = db.get(OrderLine, args["line_id"])
        if line is None or line.order_id != order.id:
            message = _("This line is not part of the order.")
            abort(422, message=message, messages={"json": {"line_id": [message]}})
        request = refund_requests.request_refund(db, current_actor(), order, line,
                                                 amount=args["amount"], reason=args["reason"])
        db.commit()
        return refund_request_document(db, request)


@refunds_blp.route("/<int(max=2147483647):request_id>")
class RefundRequestItem(MethodView):
    @authorized("refund_request.view", RefundRequest, "request_id")
    @refunds_blp.response(200, RefundRequestSchema)
    @refunds_blp.alt_response(401, description="Not signed in.", **PROBLEM)
    @refunds_blp.alt_response(403, description="Not a party to this request.", **PROBLEM)
    @refunds_blp.alt_response(404, description="No request has this id.", **PROBLEM)
    def get(self, record: RefundRequest):
        """Read a refund request."""
        return refund_request_document(get_session(), record)


@refunds_blp.route("/<int(max=2147483647):request_id>/decision")
class RefundDecision(MethodView):
    @authorized("refund_request.decide", RefundRequest, "request_id")
    @refunds_blp.arguments(RefundDecisionArgsSchema)
    @refunds_blp.response(200, RefundRequestSchema)
    @refunds_blp.alt_response(401, description="Not signed in.", **PROBLEM)
    @refunds_blp.alt_response(402, description=(
        "The payment provider refused the refund; the request is open again."), **PROBLEM)
    @refunds_blp.alt_response(403, description=(
        "Not the line's merchant; or an admin before three working days have passed."),
        **PROBLEM)
    @refunds_blp.alt_response(404, description="No request has this id.", **PROBLEM)
    @refunds_blp.alt_response(409, description="The request was decided already.", **PROBLEM)
    @refunds_blp.doc(**refusals_422(
        "a rejection without a reason", "an amount above what was asked or left to refund"))
    def post(self, args, record: RefundRequest):
        """Decide a refund request.

        ``approve`` refunds the amount asked (or the smaller ``amount`` given) at once;
        ``reject`` needs a ``reason``, which the buyer reads.
        """
        db = get_session()
        try:
            if args["decision"] == "approve":
                refund_requests.approve(db, get_payments(), current_actor(), record,
                                        amount=args["amount"], note=args["reason"])
            else:
                refund_requests.reject(db, current_actor(), record, reason=args["reason"])
        except DomainError:
            db.rollback()
            raise
        db.commit()
        return refund_request_document(db, record)


# -- /api/v1/invoice-requests ---------------------------------------------------------------


@invoices_blp.route("")
class InvoiceRequests(MethodView):
    @authorized("invoice.list")
    @invoices_blp.arguments(RequestQueryArgsSchema, location="query")
    @invoices_blp.response(200, InvoiceRequestSchema(many=True))
    @invoices_blp.alt_response(401, description="Not signed in.", **PROBLEM)
    @invoices_blp.alt_response(403, description="Not a merchant (merchant) or not an admin "
                                                "(all).", **PROBLEM)
    @invoices_blp.paginate(page_size=20, max_page_size=100)
    def get(self, args, pagination_parameters):
        """List invoice requests.

        Newest first: yours as a buyer, those asked of your organization, or all (admins).
        """
        db = get_session()
        who = _scope_filter(args["scope"], {"mine": "invoice.list",
                                            "merchant": "invoice.list_merchant",
                                            "all": "invoice.list_all"})
        rows, pagination_parameters.item_count = invoices.listed(
            db, page=api_page(pagination_parameters.page),
            per_page=pagination_parameters.page_size, **who)
        return [invoice_document(db, row) for row in rows]

    @authorized("invoice.list")
    @invoices_blp.arguments(InvoiceRequestArgsSchema)
    @invoices_blp.response(201, InvoiceRequestSchema)
    @invoices_blp.alt_response(401, description="Not signed in.", **PROBLEM)
    @invoices_blp.alt_response(403, description="Not your order.", **PROBLEM)
    @invoices_blp.alt_response(404, description="No order has this number.", **PROBLEM)
    @invoices_blp.alt_response(409, description=(
        "The order is not paid, or this merchant was asked for its invoice already."),
        **PROBLEM)
    @invoices_blp.doc(**refusals_422(
        "no company name", "a taxpayer id that is not a valid unified social credit code",
        "a merchant that was paid nothing in this order"))
    def post(self, args):
        """Ask a merchant of a paid order for an invoice.

        One invoice per merchant of the order, for what it was paid less refunds.
        """
        db = get_session()
        order = _order_of(args.pop("order_number"), "invoice.request")
        invoice = invoices.request_invoice(db, current_actor(), order,
                                           args.pop("organization_id"), **args)
        db.commit()
        return invoice_document(db, invoice)


@invoices_blp.route("/<int(max=2147483647):invoice_id>")
class InvoiceRequestItem(MethodView):
    @authorized("invoice.view", InvoiceRequest, "invoice_id")
    @invoices_blp.response(200, InvoiceRequestSchema)
    @invoices_blp.alt_response(401, description="Not signed in.", **PROBLEM)
    @invoices_blp.alt_response(403, description="Not a party to this invoice.", **PROBLEM)
    @invoices_blp.alt_response(404, description="No request has this id.", **PROBLEM)
    def get(self, record: InvoiceRequest):
        """Read an invoice request (``pdf_url`` once issued)."""
        return invoice_document(get_session(), record)
