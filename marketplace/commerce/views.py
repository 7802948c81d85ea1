"""The buyer's side of commerce: cart, checkout, orders, the payment step and receipts
(memberships and quotes: :mod:`~marketplace.commerce.account_views`; the provider's webhook:
:mod:`~marketplace.commerce.webhook_view`).

Views parse the form, ask the policy, call the commerce services and commit; the services in
:mod:`~marketplace.commerce.payments.flow` call the provider and commit themselves.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from marketplace.accounts.confirmation import EmailNotConfirmed
from marketplace.accounts.models import MerchantOrganization, User
from marketplace.accounts.services import organizations_by_id
from marketplace.base import utcnow
from marketplace.catalog.models import PricingModel
from marketplace.commerce import orders
from marketplace.commerce.buyer_forms import (
    AddToCartForm,
    CheckoutForm,
    ConfirmForm,
    TestPaymentForm,
)
from marketplace.commerce.ledger import reports
from marketplace.commerce.models import (
    Order,
    OrderState,
    PaymentEvent,
    PaymentEventKind,
)
from marketplace.commerce.orders import cart, fulfilment, queries
from marketplace.commerce.orders.access import OrderAccess, buyer_shown_to_sellers, order_access
from marketplace.commerce.pages import actor, plan_from, product_again, seller_view
from marketplace.commerce.payments import (
    TEST_CARDS,
    PaymentError,
    get_payments,
    subscriptions,
)
from marketplace.commerce.payments import flow as payment_flow
from marketplace.commerce.wording import purchase_option, quote_terms
from marketplace.db import get_session
from marketplace.delivery import entitlements
from marketplace.errors import DomainError, ValidationFailed
from marketplace.policy import authorize, check, current_actor
from marketplace.web.bounds import page_arg
from marketplace.web.forms import apply_field_errors

blp = Blueprint("commerce", __name__, template_folder="templates")
log = logging.getLogger(__name__)

ORDERS_PER_PAGE = 20


# ---------------------------------------------------------------------------- template helpers


@blp.app_template_global()
def order_state_label(state: str) -> str:
    return str(orders.STATE_LABELS.get(state, state))


@blp.app_template_global()
def entitlement_state_label(state: str) -> str:
    return str(entitlements.STATE_LABELS.get(state, state))


blp.add_app_template_global(purchase_option)
blp.add_app_template_global(quote_terms)


@blp.app_context_processor
def _cart_badge() -> dict[str, int]:
    """The number of items in the signed-in user's cart, for the site header."""
    user = current_actor()
    shops = user is not None and not user.is_admin  # admins have no cart in the menu
    return {"cart_count": len(cart.items(get_session(), user.id)) if shops else 0}


# ---------------------------------------------------------------------------- loading


def _order_or_404(number: str) -> tuple[Order, OrderAccess]:
    db = get_session()
    order = queries.order_by_number(db, number)
    if order is None:
        abort(404)
    return order, order_access(db, order)


# ---------------------------------------------------------------------------- cart


def _cart_terms(line: cart.CartLine) -> dict[str, Any]:
    return {"model": line.plan.model, "billing_period": line.plan.billing_period,
            "quota": line.price.quota, "postpaid": line.price.postpaid,
            "pack_calls": line.price.quota if line.plan.model == PricingModel.PER_CALL else None}


def _render_cart(form: CheckoutForm, status: int = 200):
    db = get_session()
    lines = cart.lines(db, actor().id)
    db.commit()  # lines() drops items whose product left the store
    if not form.attempt.data:
        form.attempt.data = secrets.token_urlsafe(16)
    return render_template(
        "commerce/cart.html", form=form, lines=lines,
        terms={line.item.id: _cart_terms(line) for line in lines},
        total=sum(line.price.amount for line in lines),
        currency=lines[0].plan.currency if lines else "CNY",
        has_membership=any(line.plan.model == PricingModel.MEMBERSHIP for line in lines),
    ), status


@blp.route("/cart")
def show_cart():
    authorize("cart.use")
    return _render_cart(CheckoutForm(formdata=None))


@blp.route("/cart/items", methods=["POST"])
def add_to_cart():
    authorize("cart.use")
    form = AddToCartForm()
    form.validate_on_submit()
    found = plan_from(form)
    if found is None:
        flash(_("Choose a plan on a product's page to put it in your cart."), "error")
        return redirect(url_for("storefront.browse"))
    plan, listing = found
    if form.errors:
        return product_again(listing, plan, [e for errs in form.errors.values() for e in errs])
    db = get_session()
    try:
        cart.add(db, actor(), plan.id, pack_calls=form.pack_calls.data)
        db.commit()
    except EmailNotConfirmed as exc:  # the account page has the button that sends a new link
        db.rollback()
        flash(str(exc), "error")
        return redirect(url_for("accounts.account"))
    except ValidationFailed as exc:
        db.rollback()
        return product_again(listing, plan,
                              [e for errs in exc.field_errors.values() for e in errs])
    flash(_("“%(title)s” (%(plan)s) is in your cart.", title=listing.title, plan=plan.name),
          "success")
    if plan.model == PricingModel.ONE_TIME and any(
            e.plan_id == plan.id for e in entitlements.held(db, actor().id, listing.product_id)):
        flash(_("You already own this plan: checking it out again is a second purchase at the "
                "full price. Remove it from your cart if you did not mean to buy it twice."),
              "warning")
    return redirect(url_for("commerce.show_cart"))


@blp.route("/cart/items/<int:item_id>/remove", methods=["POST"])
def remove_from_cart(item_id: int):
    authorize("cart.use")
    db = get_session()
    item = queries.cart_item(db, actor().id, item_id)
    if item is None:
        abort(404)
    cart.remove(db, actor(), item.id)
    db.commit()
    flash(_("The item is out of your cart."), "info")
    return redirect(url_for("commerce.show_cart"))


@blp.route("/checkout", methods=["POST"])
def checkout():
    authorize("cart.use")
    form = CheckoutForm()
    if form.validate_on_submit():
        db = get_session()
        try:
            order = cart.checkout(db, actor(), attempt=form.attempt.data)
            db.commit()
        except ValidationFailed as exc:
            db.rollback()
            apply_field_errors(form, exc.field_errors)
        except DomainError as exc:
            db.rollback()
            form.form_errors.append(str(exc))
        else:
            return redirect(url_for("commerce.pay", order_number=order.number))
    else:
        form.form_errors.append(_("This checkout form is out of date: check your cart and "
                                  "check out again."))
        form.attempt.data = ""
    return _render_cart(form, status=422)


# ---------------------------------------------------------------------------- orders


@blp.route("/orders")
def order_list():
    authorize("order.list")
    db = get_session()
    page = page_arg()
    found, total = queries.buyer_orders(db, actor().id, page=page, per_page=ORDERS_PER_PAGE)
    return render_template(
        "commerce/orders.html", orders=found, total=total, page=page,
        pages=max(1, -(-total // ORDERS_PER_PAGE)),
        lines=cart.lines_for_orders(db, [order.id for order in found]),
    )


@blp.route("/orders/<order_number>")
def order_detail(order_number: str):
    order, access = _order_or_404(order_number)
    authorize("order.view", access)
    db = get_session()
    lines = cart.order_lines(db, order.id)
    granted = entitlements.for_order(db, order.id)
    part = seller_view(access, lines)
    if part is not None:  # a merchant: its own lines only, nothing of the others' payments
        return render_template(
            "commerce/order.html", order=order, lines=part.lines, part=part, subscriptions={},
            entitlements=[e for e in granted if e.order_line_id in part.line_ids],
            events=[], event_labels={}, receipts=[], paid=None, refunded=None,
            can_pay=False, can_cancel=False)
    return render_template(
        "commerce/order.html", order=order, lines=lines, part=None,
        events=fulfilment.events_for(db, order.id),
        event_labels=reports.PAYMENT_EVENT_LABELS,
        entitlements=granted,
        receipts=fulfilment.receipts_for(db, order.id),
        paid=fulfilment.paid_amount(db, order.id),
        refunded=fulfilment.refunded_amount(db, order.id),
        subscriptions={line.id: subscriptions.subscription_for_line(db, line.id)
                       for line in lines if line.pricing_model == PricingModel.MEMBERSHIP},
        can_pay=orders.can_move(order, OrderState.PAID) and check("order.pay", access),
        can_cancel=orders.can_move(order, OrderState.CANCELLED)
        and check("order.cancel", access),
    )


@blp.route("/orders/<order_number>/cancel", methods=["POST"])
def cancel_order(order_number: str):
    order, access = _order_or_404(order_number)
    authorize("order.cancel", access)
    db = get_session()
    try:
        cart.cancel(db, actor(), order)
        db.commit()
    except DomainError as exc:
        db.rollback()
        flash(str(exc), "error")
    else:
        flash(_("Order %(number)s is cancelled; nothing was charged.", number=order.number),
              "info")
    return redirect(url_for("commerce.order_detail", order_number=order.number))


# ---------------------------------------------------------------------------- paying


def _render_pay(order: Order, needs: payment_flow.PaymentNeeds, form, *, status: int = 200,
                error: str = ""):
    gateway = get_payments()
    membership = needs.membership
    next_renewal = None
    if membership is not None:
        next_renewal = entitlements.period_end(utcnow(),
                                               membership.plan_terms.get("billing_period"))
    return render_template(
        "commerce/pay.html", order=order, form=form, error=error,
        lines=needs.lines, membership=membership,
        next_renewal=next_renewal, needs_payment=needs.provider,
        # Pay-as-you-go only: the provider keeps a card for the monthly bill, nothing is due.
        card_only=needs.provider and order.total == 0 and membership is None,
        hosted=needs.provider and gateway.supports_hosted_checkout,
        test_cards=TEST_CARDS,
    ), status


def _pay_form(needs: payment_flow.PaymentNeeds):
    gateway = get_payments()
    if needs.provider and not gateway.supports_hosted_checkout:
        return TestPaymentForm()
    return ConfirmForm()


@blp.route("/orders/<order_number>/pay", methods=["GET", "POST"])
def pay(order_number: str):
    order, access = _order_or_404(order_number)
    authorize("order.pay", access)
    if not orders.can_move(order, OrderState.PAID):
        flash(_("Order %(number)s is not awaiting payment.", number=order.number), "info")
        return redirect(url_for("commerce.order_detail", order_number=order.number))
    db = get_session()
    needs = payment_flow.payment_needs(db, order)  # read once for the whole request
    form = _pay_form(needs)
    if request.method == "GET":
        if isinstance(form, TestPaymentForm) and not form.card.data:
            form.card.data = "visa_ok"
        return _render_pay(order, needs, form)
    if not form.validate_on_submit():
        return _render_pay(order, needs, form, status=422)
    gateway = get_payments()
    try:
        if needs.provider and gateway.supports_hosted_checkout:
            back = url_for("commerce.order_detail", order_number=order.number, _external=True)
            address = payment_flow.start_hosted_checkout(
                db, gateway, actor(), order, success_url=back,
                cancel_url=url_for("commerce.pay", order_number=order.number, _external=True),
                needs=needs)
            return redirect(address, 303)
        card = form.card.data if isinstance(form, TestPaymentForm) else ""
        payment_flow.pay_with_test_card(db, gateway, actor(), order, card, needs)
    except PaymentError as exc:
        db.rollback()
        return _render_pay(order, needs, form, status=422, error=str(exc))
    except DomainError as exc:
        db.rollback()
        flash(str(exc), "error")
        return redirect(url_for("commerce.order_detail", order_number=order.number))
    db.refresh(order)
    if order.state in orders.PAID_STATES:
        flash(_("Payment received; your entitlement is active.") if needs.provider
              else _("Your order is complete; your entitlement is active."), "success")
    else:
        flash(_("Your payment is being processed; this order updates as soon as the bank "
                "confirms it."), "info")
    return redirect(url_for("commerce.order_detail", order_number=order.number))


# ---------------------------------------------------------------------------- receipts


@blp.route("/receipts/<receipt_number>")
def receipt(receipt_number: str):
    db = get_session()
    found = queries.receipt_by_number(db, receipt_number)
    order = db.get(Order, found.order_id) if found else None
    if found is None or order is None:
        abort(404)
    access = order_access(db, order)
    authorize("receipt.view", access)
    lines = cart.order_lines(db, order.id)
    buyer = db.get(User, order.buyer_id)
    part = seller_view(access, lines)
    if part is not None:  # a merchant: its own lines and sum, the buyer as sellers see it
        buyer_name, buyer_email = buyer_shown_to_sellers(
            buyer, db.get(MerchantOrganization, buyer.organization_id)
            if buyer.organization_id else None)
        return render_template(
            "commerce/receipt.html", receipt=found, order=order, lines=part.lines, part=part,
            buyer_name=buyer_name, buyer_email=buyer_email,
            sellers=organizations_by_id(db, [part.organization_id]).values(),
            payment=None, refunds=[], refunded=None)
    refunds = [event for event in fulfilment.events_for(db, order.id)
               if event.kind == PaymentEventKind.REFUND_SUCCEEDED]
    return render_template(
        "commerce/receipt.html", receipt=found, order=order, lines=lines, part=None,
        buyer_name=buyer.display_name, buyer_email=buyer.email,
        sellers=organizations_by_id(db, sorted(access.organization_ids)).values(),
        payment=db.get(PaymentEvent, found.payment_event_id), refunds=refunds,
        refunded=sum(event.amount for event in refunds),
    )
