"""Authorization application pages: the buyer's form and list, one application's page (with
its history, and the decision forms of whoever may decide now), the merchant's list and the
platform admins' list of level 4 applications awaiting them.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlmodel import Session

from marketplace.accounts.services import users_by_id
from marketplace.authorization import grants, queries, requests, services
from marketplace.authorization.forms import (
    LEGAL_BASIS_LABELS,
    ApplicationForm,
    DecisionForm,
    chosen_masking,
    chosen_operations,
)
from marketplace.authorization.models import ApplicationState, AuthorizationApplication
from marketplace.authorization.workflow import (
    EVENT_LABELS,
    STATE_LABELS,
    Decision,
    allowed_decisions,
)
from marketplace.catalog.models import Listing
from marketplace.catalog.queries import live_listing
from marketplace.db import get_session
from marketplace.errors import DomainError, ValidationFailed
from marketplace.policy import authorize, check, current_actor
from marketplace.web.forms import apply_field_errors

blp = Blueprint("authorization", __name__, template_folder="templates")
PER_PAGE = 20


def _application_or_404(db: Session, application_id: int) -> AuthorizationApplication:
    application = db.get(AuthorizationApplication, application_id)
    if application is None:
        abort(404)
    return application


def _page() -> int:
    return max(request.args.get("page", 1, type=int) or 1, 1)


@blp.app_context_processor
def _labels():
    return {"application_state_labels": STATE_LABELS}


@blp.route("/products/<int:product_id>/apply", methods=["GET", "POST"])
def apply(product_id: int):
    db = get_session()
    listing = live_listing(db, product_id)
    if listing is None:
        abort(404)
    authorize("application.create", listing)
    operations = requests.requestable_operations(db, listing)
    form = ApplicationForm()
    chosen = {op.ref: list(op.fields) for op in operations}
    if request.method == "GET":
        form.starts_on.data = grants.today()
        form.ends_on.data = grants.today() + timedelta(days=364)
    elif form.validate():
        chosen = chosen_operations(request.form)
        given = services.ApplicationInput(
            purpose=form.purpose.data or "", scenario=form.scenario.data or "",
            legal_basis=form.legal_basis.data or "",
            legal_basis_detail=form.legal_basis_detail.data or "", operations=chosen,
            starts_on=form.starts_on.data, ends_on=form.ends_on.data)
        try:
            application = services.apply(db, current_actor(), listing, given)
            db.commit()
        except ValidationFailed as exc:
            db.rollback()
            apply_field_errors(form, exc.field_errors)
        except DomainError as exc:
            db.rollback()
            form.form_errors.append(str(exc))
        else:
            flash(_("Your application is sent: the merchant decides on it, and you are told "
                    "under the bell."), "success")
            return redirect(url_for(".application_detail", application_id=application.id))
    status = 422 if request.method == "POST" else 200
    return render_template("authorization/apply.html", form=form, listing=listing,
                           operations=operations, chosen=chosen), status


@blp.route("/applications")
def my_applications():
    authorize("application.list")
    db = get_session()
    rows, total = queries.for_buyer(db, current_actor().id, page=_page(), per_page=PER_PAGE)
    return render_template("authorization/list.html", applications=rows, total=total,
                           page=_page(), per_page=PER_PAGE, titles=queries.titles(db, rows),
                           heading=_("Your authorization applications"), side="buyer")


@blp.route("/merchant/applications")
def merchant_applications():
    authorize("application.review_list")
    db = get_session()
    state = request.args.get("state") or None
    rows, total = queries.for_organization(db, current_actor().organization_id, state=state,
                                           page=_page(), per_page=PER_PAGE)
    return render_template("authorization/list.html", applications=rows, total=total,
                           page=_page(), per_page=PER_PAGE, titles=queries.titles(db, rows),
                           heading=_("Authorization applications for your products"),
                           side="merchant", state=state,
                           buyers=users_by_id(db, (a.buyer_id for a in rows)))


@blp.route("/admin/applications")
def admin_applications():
    authorize("application.admin_list")
    db = get_session()
    state = request.args.get("state", ApplicationState.PENDING_ADMIN.value) or None
    rows, total = queries.for_admins(db, state=state, page=_page(), per_page=PER_PAGE)
    return render_template("authorization/list.html", applications=rows, total=total,
                           page=_page(), per_page=PER_PAGE, titles=queries.titles(db, rows),
                           heading=_("Authorization applications"), side="admin", state=state,
                           buyers=users_by_id(db, (a.buyer_id for a in rows)))


@blp.route("/applications/<int:application_id>")
def application_detail(application_id: int):
    db = get_session()
    application = _application_or_404(db, application_id)
    authorize("application.view", application)
    events = queries.history(db, application.id)
    listing = db.get(Listing, application.listing_id)
    moves = set(allowed_decisions(application.state))
    may = {
        "decide": bool(moves & {Decision.APPROVE, Decision.NARROW})
        and check("application.decide", application),
        "admin": Decision.ADMIN_APPROVE in moves and check("application.admin_decide",
                                                          application),
        "withdraw": Decision.WITHDRAW in moves and check("application.withdraw", application),
        "revoke": Decision.REVOKE in moves and check("application.revoke", application),
    }
    return render_template(
        "authorization/detail.html", application=application, listing=listing, events=events,
        people=users_by_id(db, [application.buyer_id, *(e.actor_id for e in events)]),
        operations=requests.requestable_operations(db, listing) if may["decide"] else [],
        strategies=requests.masking_strategies() if may["decide"] else [],
        may=may, form=DecisionForm(), event_labels=EVENT_LABELS,
        legal_basis_labels=LEGAL_BASIS_LABELS,
        approved_now=application.state == ApplicationState.APPROVED
        and grants.in_period(application))


def _decided(application: AuthorizationApplication, act) -> object:
    """Run a decision from a posted form; a refusal is flashed on the application's page."""
    db = get_session()
    form = DecisionForm()
    try:
        act(db, form.reason.data or "")
        db.commit()
    except DomainError as exc:
        db.rollback()
        flash(str(exc), "error")
    else:
        flash(_("Done: %(state)s.", state=STATE_LABELS[ApplicationState(application.state)]),
              "success")
    return redirect(url_for(".application_detail", application_id=application.id))


@blp.route("/applications/<int:application_id>/decision", methods=["POST"])
def decide_application(application_id: int):
    application = _application_or_404(get_session(), application_id)
    authorize("application.decide", application)
    decision = request.form.get("decision", "")
    chosen = chosen_operations(request.form)
    return _decided(application, lambda db, reason: services.decide(
        db, current_actor(), application, decision, reason=reason, chosen=chosen,
        masking=chosen_masking(request.form, chosen)))


@blp.route("/applications/<int:application_id>/admin-decision", methods=["POST"])
def admin_decide_application(application_id: int):
    application = _application_or_404(get_session(), application_id)
    authorize("application.admin_decide", application)
    decision = request.form.get("decision", "")
    return _decided(application, lambda db, reason: services.admin_decide(
        db, current_actor(), application, decision, reason=reason))


@blp.route("/applications/<int:application_id>/withdraw", methods=["POST"])
def withdraw_application(application_id: int):
    application = _application_or_404(get_session(), application_id)
    authorize("application.withdraw", application)
    return _decided(application, lambda db, reason: services.withdraw(
        db, current_actor(), application, reason))


@blp.route("/applications/<int:application_id>/revoke", methods=["POST"])
def revoke_application(application_id: int):
    application = _application_or_404(get_session(), application_id)
    authorize("application.revoke", application)
    return _decided(application, lambda db, reason: services.revoke(
        db, current_actor(), application, reason))
