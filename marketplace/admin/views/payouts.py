"""Payouts: what each merchant is owed, and the payouts recorded against it."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlmodel import Session

from marketplace.accounts.models import MerchantOrganization
from marketplace.accounts.services import organizations_by_id, users_by_id
from marketplace.admin.views import commerce_blp, get_or_404
from marketplace.commerce import ledger
from marketplace.commerce.ledger import reports
from marketplace.commerce.merchant_admin_forms import (
    PayoutForm,
    amount_in_fen,
)
from marketplace.db import get_session
from marketplace.errors import DomainError, ValidationFailed
from marketplace.policy import authorize, current_actor
from marketplace.web.forms import apply_field_errors


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
        "admin/payouts.html",
        books=books,
        history=history,
        organizations=organizations_by_id(db, (p.organization_id for p in history)),
        recorders=users_by_id(db, (p.recorded_by for p in history)),
        form=form or _payout_form(db, books, formdata=False),
    ), status


@commerce_blp.route("/payouts")
def payouts():
    authorize("payout.manage")
    return _render_payouts()


@commerce_blp.route("/payouts", methods=["POST"])
def record_payout():
    authorize("payout.manage")
    db = get_session()
    form = _payout_form(db, reports.merchant_books(db))
    if not form.validate_on_submit() or not form.organization.data:
        if not form.organization.data and not form.organization.errors:
            form.organization.errors = [*form.organization.errors,
                                        _("Choose the merchant you paid.")]
        return _render_payouts(form, 422)
    organization = get_or_404(MerchantOrganization, form.organization.data)
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
    return redirect(url_for("commerce_admin.payouts"))
