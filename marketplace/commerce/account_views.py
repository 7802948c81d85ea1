"""The buyer's memberships and quotes: cancelling a membership at the end of its period, asking
a merchant for a quote on a service fee, and accepting or withdrawing it.

Views parse the form, ask the policy, call the commerce services and commit; the services in
:mod:`~marketplace.commerce.payments.flow` call the provider and commit themselves.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from marketplace.catalog.models import Listing, PricingPlan
from marketplace.commerce.buyer_forms import (
    QuoteRequestForm,
)
from marketplace.commerce.models import (
    QuoteState,
    ServiceQuote,
    Subscription,
)
from marketplace.commerce.orders import cart, quotes
from marketplace.commerce.pages import actor, plan_from, product_again
from marketplace.commerce.payments import (
    get_payments,
    subscriptions,
)
from marketplace.db import get_session
from marketplace.errors import DomainError, ValidationFailed
from marketplace.i18n import day
from marketplace.policy import authorize

blp = Blueprint("commerce_account", __name__, template_folder="templates")

# A quote as its buyer sees it (the merchant's pages word it from their side).
QUOTE_STATE_LABELS = {
    QuoteState.REQUESTED: _l("Waiting for the merchant's quote"),
    QuoteState.QUOTED: _l("Quote received"),
    QuoteState.ACCEPTED: _l("Accepted"),
    QuoteState.DECLINED: _l("Declined by the merchant"),
    QuoteState.WITHDRAWN: _l("Withdrawn"),
}


# ---------------------------------------------------------------------------- memberships


@blp.route("/subscriptions/<int:subscription_id>/cancel", methods=["POST"])
def cancel_subscription(subscription_id: int):
    db = get_session()
    subscription = db.get(Subscription, subscription_id)
    if subscription is None:
        abort(404)
    authorize("subscription.cancel", subscription)
    try:
        subscriptions.cancel_at_period_end(db, get_payments(), actor(), subscription)
    except DomainError as exc:
        db.rollback()
        flash(str(exc), "error")
    else:
        if subscription.current_period_end:
            flash(_("Your membership will not renew; you can use it until %(date)s.",
                    date=day(subscription.current_period_end)), "success")
        else:
            flash(_("Your membership will not renew."), "success")
    return redirect(url_for("accounts.account", _anchor="memberships"))


# ---------------------------------------------------------------------------- quotes


@blp.route("/account/quotes")
def quote_list():
    authorize("quote.list")
    db = get_session()
    found = quotes.for_buyer(db, actor().id)
    return render_template(
        "commerce/quotes.html", quotes=found, state_labels=QUOTE_STATE_LABELS,
        listings={q.listing_id: db.get(Listing, q.listing_id) for q in found},
        plans={q.plan_id: db.get(PricingPlan, q.plan_id) for q in found},
    )


@blp.route("/quotes", methods=["POST"])
def request_quote():
    authorize("quote.request")
    form = QuoteRequestForm()
    form.validate_on_submit()
    found = plan_from(form)
    if found is None:
        flash(_("Request a quote from a product's page."), "error")
        return redirect(url_for("storefront.browse"))
    plan, listing = found
    text = form.request.data or ""
    if form.errors:
        return product_again(listing, plan, [e for errs in form.errors.values() for e in errs],
                              quote_text=text)
    db = get_session()
    try:
        quotes.request_quote(db, actor(), plan, text)
        db.commit()
    except ValidationFailed as exc:
        db.rollback()
        return product_again(listing, plan,
                              [e for errs in exc.field_errors.values() for e in errs],
                              quote_text=text)
    flash(_("Your request is with the merchant. You will be notified when they send a quote."),
          "success")
    return redirect(url_for("commerce_account.quote_list"))


def _quote_or_404(quote_id: int) -> ServiceQuote:
    quote = get_session().get(ServiceQuote, quote_id)
    if quote is None:
        abort(404)
    return quote


@blp.route("/quotes/<int:quote_id>/accept", methods=["POST"])
def accept_quote(quote_id: int):
    quote = _quote_or_404(quote_id)
    authorize("quote.accept", quote)
    db = get_session()
    try:
        cart.add(db, actor(), quote.plan_id, quote=quote)
        db.commit()
    except DomainError as exc:
        db.rollback()
        flash(str(exc), "error")
        return redirect(url_for("commerce_account.quote_list"))
    flash(_("The quote is in your cart: check out to pay it."), "success")
    return redirect(url_for("commerce.show_cart"))


@blp.route("/quotes/<int:quote_id>/withdraw", methods=["POST"])
def withdraw_quote(quote_id: int):
    quote = _quote_or_404(quote_id)
    authorize("quote.withdraw", quote)
    db = get_session()
    try:
        quotes.decline(db, actor(), quote)
        db.commit()
    except DomainError as exc:
        db.rollback()
        flash(str(exc), "error")
    else:
        flash(_("Your quote request is withdrawn."), "info")
    return redirect(url_for("commerce_account.quote_list"))
