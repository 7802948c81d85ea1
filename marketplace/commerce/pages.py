"""Parts of commerce pages that more than one blueprint shows, so that no view module imports
another: the buyer's purchases on the account page, the buy forms' way back to the product page,
the refund form's handling on the merchant's and the admin's order pages, and the names of
commerce values in their templates.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from sqlmodel import Session

from marketplace.accounts.models import User
from marketplace.catalog.models import Listing, ListingState, PricingPlan
from marketplace.commerce import orders
from marketplace.commerce.ledger import reports
from marketplace.commerce.merchant_admin_forms import (
    AMOUNT_HINT,
    RefundForm,
    amount_in_fen,
    rate_label,
)
from marketplace.commerce.models import Order, OrderLine
from marketplace.commerce.orders import cart, queries
from marketplace.commerce.orders.access import OrderAccess, SellerPart, seller_part
from marketplace.commerce.payments import get_payments, subscriptions
from marketplace.commerce.payments.refunds import refund
from marketplace.db import get_session
from marketplace.delivery import downloads, entitlements
from marketplace.errors import Conflict, DomainError, ValidationFailed
from marketplace.policy import check, current_actor
from marketplace.storefront.product_page import render_product
from marketplace.web.forms import apply_field_errors

# ---------------------------------------------------------------------------- orders


def seller_view(access: OrderAccess, lines: list[OrderLine]) -> SellerPart | None:
    """``None`` when the signed-in user sees the whole order (its buyer, an admin); for a
    merchant of a seller, its own part. Call after ``authorize("order.view", access)``."""
    if check("order.view_whole", access):
        return None
    return seller_part(lines, actor().organization_id)


# ---------------------------------------------------------------------------- buying


def actor() -> User:
    """The signed-in user of a view that has already asked the policy."""
    user = current_actor()
    assert user is not None, "called after authorize()"
    return user


def plan_from(form) -> tuple[PricingPlan, Listing] | None:
    """The plan a buy form names (None when it names none); 404 if it does not exist."""
    if not form.plan_id.data:
        return None
    if form.plan_id.errors:  # out of the range of ids: no such plan
        abort(404)
    db = get_session()
    plan = db.get(PricingPlan, form.plan_id.data)
    listing = db.get(Listing, plan.listing_id) if plan else None
    if plan is None or listing is None:
        abort(404)
    return plan, listing


def product_again(listing: Listing, plan: PricingPlan, errors: list[str], *,
                   quote_text: str | None = None):
    """Show a buy form's errors under its plan on the product page (or, if the product is no
    longer on sale, on the page the product has now)."""
    if listing.state == ListingState.PUBLISHED and check("listing.view", listing):
        drafts = {plan.id: quote_text} if quote_text is not None else None
        return render_product(listing, status=422, plan_errors={plan.id: errors},
                              quote_drafts=drafts)
    for error in errors:
        flash(error, "error")
    return redirect(url_for("storefront.product", product_id=listing.product_id))


# ---------------------------------------------------------------------------- account page


def purchases(db: Session, user: User) -> dict[str, Any]:
    """What the account page shows of a user's purchases: entitlements and memberships."""
    granted = entitlements.for_buyer(db, user.id)
    memberships = subscriptions.subscriptions_for_buyer(db, user.id)
    lines = cart.lines_by_id(db, [e.order_line_id for e in granted]
                               + [s.order_line_id for s in memberships])
    return {
        "entitlements": [(entitlement, lines.get(entitlement.order_line_id))
                         for entitlement in granted],
        "downloadable": downloads.downloadable_ids(db, granted),
        "memberships": [(subscription, lines.get(subscription.order_line_id),
                         entitlements.for_line(db, subscription.order_line_id))
                        for subscription in memberships],
    }


# ---------------------------------------------------------------------------- merchant and admin


def commerce_labels() -> dict:
    """Names of commerce values for the merchant's and the admin's commerce pages (order and
    entitlement states are app-wide template globals, from :mod:`commerce.views`)."""
    return {
        "quote_state_label": lambda state: reports.QUOTE_STATE_LABELS.get(state, state),
        "ledger_kind_label": lambda kind: reports.LEDGER_KIND_LABELS.get(kind, kind),
        "ledger_account_label": lambda account: reports.LEDGER_ACCOUNT_LABELS.get(account,
                                                                                   account),
        "payment_event_label": lambda kind: reports.PAYMENT_EVENT_LABELS.get(kind, kind),
        "rate_label": rate_label,
        "amount_hint": AMOUNT_HINT,
    }


def order_or_404(db: Session, number: str) -> Order:
    order = queries.order_by_number(db, number)
    if order is None:
        abort(404)
    return order


def submit_refund(order: Order, render: Callable[[RefundForm, int], object], done_url: str):
    """Handle a posted refund form for ``order`` (already authorized).

    ``render(form, status)`` shows the page again with the form; ``done_url`` is where a
    successful refund, or a repeated submission, leads.
    """
    db = get_session()
    form = RefundForm()
    if not form.validate_on_submit():
        form.renew_key()
        return render(form, 422)
    try:
        refund(db, get_payments(), current_actor(), order, amount=amount_in_fen(form.amount),
               reason=form.reason.data, request_key=form.request_key.data)
    except ValidationFailed as exc:
        db.rollback()
        apply_field_errors(form, exc.field_errors)
        form.renew_key()
        return render(form, 422)
    except Conflict as exc:
        db.rollback()
        flash(str(exc), "error")
        return redirect(done_url)
    except DomainError as exc:  # PaymentError: the provider refused; its sentence says why
        db.rollback()
        form.form_errors.append(str(exc))
        form.renew_key()
        return render(form, 422)
    db.refresh(order)
    if order.state == orders.OrderState.REFUNDED:
        flash(_("Order %(number)s is refunded in full; the buyer's access is revoked.",
                number=order.number), "success")
    else:
        flash(_("Part of order %(number)s is refunded; the buyer keeps access.",
                number=order.number), "success")
    return redirect(done_url)
