"""Every order on the marketplace, one order's money in detail, and refunds.

An admin refunds from here with the same form and handling as a merchant on its own orders
(:func:`marketplace.commerce.pages.submit_refund`); ``order.refund`` is asked per order.
"""

from __future__ import annotations

from flask import render_template, request, url_for

from marketplace.accounts.services import organizations_by_id, users_by_id
from marketplace.admin.views import commerce_blp
from marketplace.commerce import orders
from marketplace.commerce.ledger import reports
from marketplace.commerce.merchant_admin_forms import RefundForm
from marketplace.commerce.models import Order
from marketplace.commerce.orders import fulfilment
from marketplace.commerce.orders.access import order_access
from marketplace.commerce.orders.cart import order_lines
from marketplace.commerce.pages import order_or_404, submit_refund
from marketplace.db import get_session
from marketplace.delivery import entitlements
from marketplace.policy import authorize, check
from marketplace.web.bounds import page_arg

ORDERS_PER_PAGE = 50


@commerce_blp.route("/orders")
def orders_list():
    authorize("order.list_all")
    db = get_session()
    state = request.args.get("state", "")
    if state not in reports.ORDER_STATES:
        state = ""
    search = request.args.get("q", "").strip()[:200]
    page = reports.orders_page(db, state=state or None, search=search,
                               page=page_arg(),
                               per_page=ORDERS_PER_PAGE)
    return render_template(
        "admin/orders.html",
        orders=page,
        state=state,
        search=search,
        states=reports.ORDER_STATES,
        buyers=users_by_id(db, (order.buyer_id for order in page.rows)),
    )


def _render_order(order: Order, form: RefundForm | None = None, status: int = 200):
    db = get_session()
    lines = order_lines(db, order.id)
    refundable = fulfilment.refundable(db, order)
    entries = reports.ledger_for_order(db, order.id)
    return render_template(
        "admin/order.html",
        order=order,
        lines=lines,
        lines_by_id={line.id: line for line in lines},
        buyer=users_by_id(db, [order.buyer_id]).get(order.buyer_id),
        organizations=organizations_by_id(
            db, [line.organization_id for line in lines]
            + [entry.organization_id for entry in entries]),
        events=fulfilment.events_for(db, order.id),
        receipts=fulfilment.receipts_for(db, order.id),
        entitlements=entitlements.for_order(db, order.id),
        ledger_entries=entries,
        paid=fulfilment.paid_amount(db, order.id),
        refunded=fulfilment.refunded_amount(db, order.id),
        refundable=refundable,
        can_refund=(order.state in orders.PAID_STATES and refundable > 0
                    and check("order.refund", order_access(db, order))),
        form=form or RefundForm.for_order(),
    ), status


@commerce_blp.route("/orders/<order_number>")
def order_detail(order_number: str):
    db = get_session()
    order = order_or_404(db, order_number)
    authorize("order.view", order_access(db, order))
    return _render_order(order)


@commerce_blp.route("/orders/<order_number>/refund", methods=["POST"])
def refund_order(order_number: str):
    db = get_session()
    order = order_or_404(db, order_number)
    authorize("order.refund", order_access(db, order))
    return submit_refund(order, lambda form, status: _render_order(order, form, status),
                         url_for("commerce_admin.order_detail", order_number=order.number))
