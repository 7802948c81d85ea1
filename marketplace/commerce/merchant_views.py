"""The merchant's side of commerce: sales, the statement and its CSV, quote requests, refunds.

Views read forms and call the commerce services; the policy decides who may open each page
(``ledger.view`` for the merchant's books, ``quote.answer`` per quote, ``order.refund`` per
order). The refund form's handling is shared with the admin's order page, through
:mod:`marketplace.commerce.pages`.
"""

from __future__ import annotations

from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlmodel import Session

from marketplace.accounts.models import MerchantOrganization
from marketplace.accounts.services import users_by_id
from marketplace.base import utcnow
from marketplace.catalog.models import Listing, PricingPlan
from marketplace.commerce import ledger, orders
from marketplace.commerce.ledger import reports
from marketplace.commerce.merchant_admin_forms import (
    ConfirmForm,
    QuoteAnswerForm,
    RefundForm,
    amount_in_fen,
    month_bounds,
    parse_month,
    shift_month,
)
from marketplace.commerce.models import Order, QuoteState, ServiceQuote
from marketplace.commerce.orders import fulfilment, quotes
from marketplace.commerce.orders.access import order_access
from marketplace.commerce.orders.cart import order_lines
from marketplace.commerce.pages import commerce_labels, order_or_404, submit_refund
from marketplace.db import get_session
from marketplace.errors import DomainError, ValidationFailed
from marketplace.money import amount_input
from marketplace.policy import authorize, check, current_actor
from marketplace.web.bounds import page_arg
from marketplace.web.forms import apply_field_errors

blp = Blueprint("commerce_merchant", __name__, template_folder="templates",
                url_prefix="/merchant")

SALES_PER_PAGE = 25
OPEN_QUOTE_STATES = (QuoteState.REQUESTED, QuoteState.QUOTED)


blp.context_processor(commerce_labels)


def _organization(db: Session) -> MerchantOrganization:
    organization = db.get(MerchantOrganization, current_actor().organization_id)
    if organization is None:
        abort(404)
    return organization


# ---------------------------------------------------------------------------- sales


@blp.route("/sales")
def sales():
    authorize("ledger.view")
    db = get_session()
    organization = _organization(db)
    state = request.args.get("state", "")
    if state not in reports.ORDER_STATES:
        state = ""
    page = reports.sales_for_organization(db, organization.id, state=state or None,
                                          page=page_arg(),
                                          per_page=SALES_PER_PAGE)
    refundable = {}
    for sale in page.rows:
        order = sale.order
        if order.state in orders.PAID_STATES and check("order.refund", order_access(db, order)):
            refundable[order.id] = fulfilment.refundable(db, order)
    return render_template(
        "commerce_merchant/sales.html",
        organization=organization,
        sales=page,
        state=state,
        states=reports.ORDER_STATES,
        refundable=refundable,
        buyers=users_by_id(db, (sale.order.buyer_id for sale in page.rows)),
    )


# ---------------------------------------------------------------------------- statement


def _statement_period(text: str | None) -> tuple[date, str | None]:
    return parse_month(text, utcnow().date())


@blp.route("/statement")
def statement():
    authorize("ledger.view")
    db = get_session()
    organization = _organization(db)
    month, month_error = _statement_period(request.args.get("month"))
    start, end = month_bounds(month)
    lines = ledger.statement(db, organization.id, start=start, end=end)
    entries = [line.entry for line in lines]
    this_month = utcnow().date().replace(day=1)
    return render_template(
        "commerce_merchant/statement.html",
        organization=organization,
        month=month,
        month_value=request.args.get("month", "") if month_error else f"{month:%Y-%m}",
        month_error=month_error,
        previous_month=shift_month(month, -1),
        next_month=shift_month(month, 1) if month < this_month else None,
        lines=lines,
        opening=lines[0].running_balance - lines[0].entry.amount if lines else None,
        totals=reports.period_totals(lines),
        commission_of=reports.platform_shares(db, organization.id, entries),
        balance=ledger.balance(db, organization.id),
        commission=ledger.commission_for(db, organization.id),
        rate_bp=ledger.rate_for(db, organization.id),
    ), 422 if month_error else 200


@blp.route("/statement.csv")
def statement_csv():
    authorize("ledger.view")
    db = get_session()
    organization = _organization(db)
    month, month_error = _statement_period(request.args.get("month"))
    if month_error:
        return statement()
    start, end = month_bounds(month)
    body = ledger.statement_csv(ledger.statement(db, organization.id, start=start, end=end))
    filename = f"datamarket-statement-{organization.id}-{month:%Y-%m}.csv"
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# ---------------------------------------------------------------------------- quotes


def _quote_or_404(db: Session, quote_id: int) -> ServiceQuote:
    quote = db.get(ServiceQuote, quote_id)
    if quote is None:
        abort(404)
    return quote


def _answer_form(quote: ServiceQuote, plan: PricingPlan | None) -> QuoteAnswerForm:
    amount = quote.amount if quote.amount is not None else (plan.price if plan else None)
    calls = quote.calls if quote.calls is not None else (plan.included_calls if plan else None)
    return QuoteAnswerForm(formdata=None, prefix=f"quote-{quote.id}",
                           amount=amount_input(amount), calls=calls or None,
                           valid_days=quote.valid_days, note=quote.merchant_note)


def _render_quotes(failed: ServiceQuote | None = None, failed_form: QuoteAnswerForm | None = None):
    db = get_session()
    organization = _organization(db)
    rows = quotes.for_organization(db, organization.id)
    listings = {q.listing_id: db.get(Listing, q.listing_id) for q in rows}
    plans = {q.plan_id: db.get(PricingPlan, q.plan_id) for q in rows}
    forms = {q.id: (failed_form if failed is not None and q.id == failed.id
                    else _answer_form(q, plans[q.plan_id]))
             for q in rows if q.state in OPEN_QUOTE_STATES}
    return render_template(
        "commerce_merchant/quotes.html",
        organization=organization,
        waiting=[q for q in rows if q.state == QuoteState.REQUESTED],
        quoted=[q for q in rows if q.state == QuoteState.QUOTED],
        closed=[q for q in rows if q.state not in OPEN_QUOTE_STATES],
        listings=listings,
        plans=plans,
        forms=forms,
        decline_form=ConfirmForm(formdata=None),
        buyers=users_by_id(db, (q.buyer_id for q in rows)),
    ), 422 if failed is not None else 200


@blp.route("/quotes")
def quote_requests():
    authorize("merchant.dashboard")
    return _render_quotes()


@blp.route("/quotes/<int:quote_id>/answer", methods=["POST"])
def answer_quote(quote_id: int):
    db = get_session()
    quote = _quote_or_404(db, quote_id)
    authorize("quote.answer", quote)
    form = QuoteAnswerForm(prefix=f"quote-{quote.id}")
    if not form.validate_on_submit():
        return _render_quotes(quote, form)
    try:
        quotes.send_quote(db, current_actor(), quote, amount=amount_in_fen(form.amount),
                          calls=form.calls.data, valid_days=form.valid_days.data,
                          note=form.note.data or "")
        db.commit()
    except ValidationFailed as exc:
        db.rollback()
        apply_field_errors(form, exc.field_errors)
        return _render_quotes(quote, form)
    except DomainError as exc:
        db.rollback()
        flash(str(exc), "error")
        return redirect(url_for(".quote_requests"))
    flash(_("Your quote was sent; the buyer is told and can accept it from their account."),
          "success")
    return redirect(url_for(".quote_requests"))


@blp.route("/quotes/<int:quote_id>/decline", methods=["POST"])
def decline_quote(quote_id: int):
    db = get_session()
    quote = _quote_or_404(db, quote_id)
    authorize("quote.answer", quote)
    if not ConfirmForm().validate_on_submit():
        flash(_("The form expired. Try again."), "error")
        return redirect(url_for(".quote_requests"))
    try:
        quotes.decline(db, current_actor(), quote)
        db.commit()
    except DomainError as exc:
        db.rollback()
        flash(str(exc), "error")
    else:
        flash(_("You declined the request."), "success")
    return redirect(url_for(".quote_requests"))


# ---------------------------------------------------------------------------- refunds


def _render_refund(order: Order, form: RefundForm | None = None, status: int = 200):
    db = get_session()
    refundable = fulfilment.refundable(db, order)
    actor = current_actor()
    return render_template(
        "commerce_merchant/refund.html",
        organization=db.get(MerchantOrganization, actor.organization_id)
        if actor.organization_id else None,
        order=order,
        lines=order_lines(db, order.id),
        buyer=users_by_id(db, [order.buyer_id]).get(order.buyer_id),
        paid=fulfilment.paid_amount(db, order.id),
        refunded=fulfilment.refunded_amount(db, order.id),
        refundable=refundable,
        form=form or RefundForm.for_order(),
        can_refund=order.state in orders.PAID_STATES and refundable > 0,
    ), status


@blp.route("/orders/<order_number>/refund", methods=["GET", "POST"])
def refund_order(order_number: str):
    db = get_session()
    order = order_or_404(db, order_number)
    authorize("order.refund", order_access(db, order))
    if request.method == "GET":
        return _render_refund(order)
    return submit_refund(order, lambda form, status: _render_refund(order, form, status),
                         url_for(".sales"))
