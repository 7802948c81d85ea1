"""Merchant organizations: verifying them, or refusing with a reason."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from marketplace.accounts import services as accounts
from marketplace.accounts.models import MerchantOrganization
from marketplace.admin import services
from marketplace.admin.forms import ReasonForm
from marketplace.admin.views import blp, get_or_404
from marketplace.db import get_session
from marketplace.errors import DomainError
from marketplace.policy import authorize, current_actor
from marketplace.web.forms import errors_text


def _render_organizations(failed: dict[str, Any] | None = None):
    """The organizations page; ``failed`` names a refused rejection to show beside its form."""
    return (
        render_template(
            "admin/organizations.html",
            organizations=services.organizations_for_review(get_session()),
            failed=failed,
        ),
        422 if failed else 200,
    )


@blp.route("/organizations")
def organizations():
    authorize("organization.verify")
    return _render_organizations()


@blp.route("/organizations/<int:organization_id>/verify", methods=["POST"])
def verify_organization(organization_id: int):
    organization = get_or_404(MerchantOrganization, organization_id)
    authorize("organization.verify", organization)
    db = get_session()
    try:
        accounts.verify_organization(db, current_actor(), organization)
        db.commit()
    except DomainError as exc:
        db.rollback()
        flash(str(exc), "error")
    else:
        flash(_("%(name)s is verified; its members are told and can now publish.",
                name=organization.name), "success")
    return redirect(url_for("admin.organizations"))


@blp.route("/organizations/<int:organization_id>/reject", methods=["POST"])
def reject_organization(organization_id: int):
    organization = get_or_404(MerchantOrganization, organization_id)
    authorize("organization.verify", organization)
    form = ReasonForm()
    reason = form.reason.data or ""
    failed = {"organization_id": organization.id, "reason": reason}
    if not form.validate_on_submit():
        return _render_organizations({**failed, "message": errors_text(form.reason)})
    db = get_session()
    try:
        accounts.reject_organization(db, current_actor(), organization, reason)
        db.commit()
    except DomainError as exc:
        db.rollback()
        return _render_organizations({**failed, "message": str(exc)})
    flash(_("Verification of %(name)s is refused; its members are told why.",
            name=organization.name), "success")
    return redirect(url_for("admin.organizations"))
