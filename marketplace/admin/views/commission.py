"""The platform's commission: the default rate, and a merchant's own rate or its removal."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlmodel import Session

from marketplace.accounts.models import MerchantOrganization
from marketplace.admin.views import commerce_blp, get_or_404
from marketplace.commerce import ledger
from marketplace.commerce.ledger import reports
from marketplace.commerce.merchant_admin_forms import (
    CommissionForm,
    ConfirmForm,
    OverrideForm,
    bp_to_percent,
    percent_to_bp,
    rate_label,
)
from marketplace.db import get_session
from marketplace.errors import ValidationFailed
from marketplace.policy import authorize, current_actor
from marketplace.web.forms import apply_field_errors


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
        "admin/commission.html",
        default_rate=rate,
        default_updated=reports.default_rate_updated(db),
        overrides=reports.commission_overrides(db),
        default_form=default_form or CommissionForm(formdata=None, rate=bp_to_percent(rate)),
        override_form=override_form or _override_form(db, formdata=False),
        clear_form=ConfirmForm(formdata=None),
    ), status


@commerce_blp.route("/commission")
def commission():
    authorize("commission.manage")
    return _render_commission()


@commerce_blp.route("/commission/default", methods=["POST"])
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
    return redirect(url_for("commerce_admin.commission"))


@commerce_blp.route("/commission/overrides", methods=["POST"])
def set_override():
    authorize("commission.manage")
    db = get_session()
    form = _override_form(db)
    if not form.validate_on_submit() or not form.organization.data:
        if not form.organization.data and not form.organization.errors:
            form.organization.errors = [*form.organization.errors,
                                        _("Choose the merchant this rate is for.")]
        return _render_commission(override_form=form, status=422)
    organization = get_or_404(MerchantOrganization, form.organization.data)
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
    return redirect(url_for("commerce_admin.commission"))


@commerce_blp.route("/commission/<int:organization_id>/clear", methods=["POST"])
def clear_override(organization_id: int):
    db = get_session()
    organization = get_or_404(MerchantOrganization, organization_id)
    authorize("commission.manage", organization)
    if not ConfirmForm().validate_on_submit():
        flash(_("The form expired. Try again."), "error")
        return redirect(url_for("commerce_admin.commission"))
    ledger.clear_override(db, current_actor(), organization)
    db.commit()
    flash(_("%(name)s pays the default commission again.", name=organization.name), "success")
    return redirect(url_for("commerce_admin.commission"))
