"""The platform admin's side of commerce: every order, refunds, commission rates and payouts.

Like the rest of the admin area, these pages are for platform admins only; each view also asks
the policy for its own action (``order.list_all``, ``order.view``, ``order.refund``,
``commission.manage``, ``payout.manage``). Refunds share their form and handling with the
merchant's refund page.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlmodel import Session

from marketplace.accounts.models import MerchantOrganization
from marketplace.accounts.services import organizations_by_id, users_by_id
from marketplace.commerce import entitlements, fulfilment, ledger, orders, reports
from marketplace.commerce.access import order_access
from marketplace.commerce.cart import order_lines
from marketplace.commerce.merchant_admin_forms import (
    CommissionForm,
    ConfirmForm,
    OverrideForm,
    PayoutForm,
    RefundForm,
    amount_in_fen,
    bp_to_percent,
    percent_to_bp,
    rate_label,
)
from marketplace.commerce.models import Order
from marketplace.commerce.pages import commerce_labels, order_or_404, submit_refund
from marketplace.db import get_session
from marketplace.errors import DomainError, ValidationFailed
from marketplace.policy import authorize, check, current_actor
from marketplace.web.forms import apply_field_errors

blp = Blueprint("commerce_admin", __name__, template_folder="templates", url_prefix="/admin")
blp.context_processor(commerce_labels)

ORDERS_PER_PAGE = 50


@blp.before_request
def _admins_only():
    """The admin area is for platform admins, whatever a page's own action would allow
    (``order.refund`` also lets a merchant refund its own orders, from the merchant area)."""
    authorize("admin.dashboard")


def _organization_or_404(db: Session, organization_id: int) -> MerchantOrganization:
    organization = db.get(MerchantOrganization, organization_id)
    if organization is None:
        abort(404)
    return organization


# ---------------------------------------------------------------------------- orders


@blp.route("/orders")
def orders_list():
    authorize("order.list_all")
    db = get_session()
    state = request.args.get("state", "")
    if state not in reports.ORDER_STATES:
        state = ""
    search = request.args.get("q", "").strip()[:200]
    page = reports.orders_page(db, state=state or None, search=search,
                               page=request.args.get("page", 1, type=int) or 1,
                               per_page=ORDERS_PER_PAGE)
    return render_template(
        "commerce_admin/orders.html",
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
        "commerce_admin/order.html",
        order=order,
        lines=lines,
        titles={line.id: line.title for line in lines},
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
        form=form or RefundForm.for_order(refundable),
    ), status


@blp.route("/orders/<order_number>")
def order_detail(order_number: str):
    db = get_session()
    order = order_or_404(db, order_number)
    authorize("order.view", order_access(db, order))
    return _render_order(order)


@blp.route("/orders/<order_number>/refund", methods=["POST"])
def refund_order(order_number: str):
    db = get_session()
    order = order_or_404(db, order_number)
    authorize("order.refund", order_access(db, order))
    return submit_refund(order, lambda form, status: _render_order(order, form, status),
                         url_for(".order_detail", order_number=order.number))


# ---------------------------------------------------------------------------- commission


def _override_form(db: Session, formdata: bool = True) -> OverrideForm:
    form = OverrideForm() if formdata else OverrideForm(formdata=None)
    form.organization.choices = [(0, _("Choose a merchant"))] + [
        (org.id, org.name) for org in reports.merchant_organizations(db)]
    return form


def _render_commission(default_form: CommissionForm | None = None,
                       override_form: OverrideForm | None = None, status: int = 200):
    db = get_session()
    rate = ledger.default_rate(db)
    return render_template(
        "commerce_admin/commission.html",
        default_rate=rate,
        default_updated=reports.default_rate_updated(db),
        overrides=reports.commission_overrides(db),
        default_form=default_form or CommissionForm(formdata=None, rate=bp_to_percent(rate)),
        override_form=override_form or _override_form(db, formdata=False),
        clear_form=ConfirmForm(formdata=None),
    ), status


@blp.route("/commission")
def commission():
    authorize("commission.manage")
    return _render_commission()


@blp.route("/commission/default", methods=["POST"])
def set_default_rate():
    authorize("commission.manage")
    form = CommissionForm()
    if not form.validate_on_submit():
        return _render_commission(default_form=form, status=422)
    db = get_session()
    rate_bp = percent_to_bp(form.rate.data)
    try:
        ledger.set_rate(db, current_actor(), rate_bp)
        db.commit()
    except ValidationFailed as exc:
        db.rollback()
        apply_field_errors(form, exc.field_errors)
        return _render_commission(default_form=form, status=422)
    flash(_("The default commission is now %(rate)s. It applies to payments from now on.",
            rate=rate_label(rate_bp)), "success")
    return redirect(url_for(".commission"))


@blp.route("/commission/overrides", methods=["POST"])
def set_override():
    authorize("commission.manage")
    db = get_session()
    form = _override_form(db)
    if not form.validate_on_submit() or not form.organization.data:
        if not form.organization.data and not form.organization.errors:
            form.organization.errors = [*form.organization.errors,
                                        _("Choose the merchant this rate is for.")]
        return _render_commission(override_form=form, status=422)
    organization = _organization_or_404(db, form.organization.data)
    authorize("commission.manage", organization)
    try:
        ledger.set_rate(db, current_actor(), percent_to_bp(form.rate.data), organization)
        db.commit()
    except ValidationFailed as exc:
        db.rollback()
        apply_field_errors(form, exc.field_errors)
        return _render_commission(override_form=form, status=422)
    flash(_("%(name)s now pays its own commission rate on new payments.",
            name=organization.name), "success")
    return redirect(url_for(".commission"))


@blp.route("/commission/<int:organization_id>/clear", methods=["POST"])
def clear_override(organization_id: int):
    db = get_session()
    organization = _organization_or_404(db, organization_id)
    authorize("commission.manage", organization)
    if not ConfirmForm().validate_on_submit():
        flash(_("The form expired. Try again."), "error")
        return redirect(url_for(".commission"))
    ledger.clear_override(db, current_actor(), organization)
    db.commit()
    flash(_("%(name)s pays the default commission again.", name=organization.name), "success")
    return redirect(url_for(".commission"))


# ---------------------------------------------------------------------------- payouts


def _payout_form(db: Session, books: list[reports.MerchantBooks],
                 formdata: bool = True) -> PayoutForm:
    form = PayoutForm() if formdata else PayoutForm(formdata=None)
    form.organization.choices = [(0, _("Choose a merchant"))] + [
        (row.organization.id, row.organization.name) for row in books]
    if not formdata:
        form.organization.data = request.args.get("organization", 0, type=int) or 0
    return form


def _render_payouts(form: PayoutForm | None = None, status: int = 200):
    db = get_session()
    books = reports.merchant_books(db)
    history = reports.payout_history(db)
    return render_template(
        "commerce_admin/payouts.html",
        books=books,
        history=history,
        organizations=organizations_by_id(db, (p.organization_id for p in history)),
        recorders=users_by_id(db, (p.recorded_by for p in history)),
        form=form or _payout_form(db, books, formdata=False),
    ), status


@blp.route("/payouts")
def payouts():
    authorize("payout.manage")
    return _render_payouts()


@blp.route("/payouts", methods=["POST"])
def record_payout():
    authorize("payout.manage")
    db = get_session()
    form = _payout_form(db, reports.merchant_books(db))
    if not form.validate_on_submit() or not form.organization.data:
        if not form.organization.data and not form.organization.errors:
            form.organization.errors = [*form.organization.errors,
                                        _("Choose the merchant you paid.")]
        return _render_payouts(form, 422)
    organization = _organization_or_404(db, form.organization.data)
    authorize("payout.manage", organization)
    try:
        ledger.record_payout(db, current_actor(), organization,
                             amount=amount_in_fen(form.amount), reference=form.reference.data,
                             note=form.note.data or "")
        db.commit()
    except ValidationFailed as exc:
        db.rollback()
        apply_field_errors(form, exc.field_errors)
        return _render_payouts(form, 422)
    except DomainError as exc:
        db.rollback()
        form.form_errors.append(str(exc))
        return _render_payouts(form, 422)
    flash(_("The payout to %(name)s is recorded; its balance is lower by that amount.",
            name=organization.name), "success")
    return redirect(url_for(".payouts"))
