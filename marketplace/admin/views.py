"""The platform admin area: review listings, verify merchants, manage listings, users and audit."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlmodel import Session

from marketplace.accounts import services as accounts
from marketplace.accounts.models import MerchantOrganization, Role, User
from marketplace.admin import services
from marketplace.admin.forms import (
    ROLE_CHOICES,
    PluginStateForm,
    PluginTrustForm,
    ReasonForm,
    ReviewDecisionForm,
    RoleForm,
)
from marketplace.audit import services as audit
from marketplace.catalog import compliance, operations, queries
from marketplace.catalog import services as catalog
from marketplace.catalog.lifecycle import Transition
from marketplace.catalog.models import Listing, ListingState
from marketplace.db import get_session
from marketplace.errors import DomainError, ValidationFailed
from marketplace.plugins import get_runtime
from marketplace.plugins import services as plugin_services
from marketplace.plugins.models import InstalledPlugin, PluginState
from marketplace.policy import authorize, current_actor
from marketplace.web.forms import apply_field_errors

blp = Blueprint("admin", __name__, template_folder="templates", url_prefix="/admin")

AUDIT_PAGE_SIZE = 200
USERS_PER_PAGE = 50


@blp.before_request
def _admins_only():
    """The whole area is for platform admins, whatever a page's own action would allow.

    Some actions used here (``listing.retire``) are also granted to the owning merchant in the
    merchant area; this gate keeps the admin URLs from becoming a second way in.
    """
    authorize("admin.dashboard")


def _errors_text(field: Any) -> str:
    """A form field's validation errors as one sentence (they may be lazy strings)."""
    return " ".join(str(error) for error in field.errors)


def _get_or_404(model: type, object_id: int) -> Any:
    found = get_session().get(model, object_id)
    if found is None:
        abort(404)
    return found


# ---------------------------------------------------------------------------- dashboard


@blp.route("")
def dashboard():
    authorize("admin.dashboard")
    db = get_session()
    oldest = queries.review_queue(db)[:5]
    return render_template(
        "admin/dashboard.html",
        counts=services.dashboard_counts(db),
        oldest=oldest,
        organizations=accounts.organizations_by_id(db, (item.organization_id for item in oldest)),
        waiting_time=services.waiting_time,
    )


# ---------------------------------------------------------------------------- listing review


@blp.route("/reviews")
def review_queue():
    authorize("listing.review")
    db = get_session()
    queue = queries.review_queue(db)
    return render_template(
        "admin/review_queue.html",
        queue=queue,
        organizations=accounts.organizations_by_id(db, (item.organization_id for item in queue)),
        waiting_time=services.waiting_time,
    )


def _render_review(listing: Listing, form: ReviewDecisionForm, status: int = 200):
    db = get_session()
    organization = db.get(MerchantOrganization, listing.organization_id)
    plans = catalog.plans_for(db, listing.id)
    previous = catalog.live_listing(db, listing.product_id, include_suspended=True)
    changes = []
    # Compare only a newer version with the one on sale, not the live one or an older one.
    if previous is not None and previous.id < listing.id:
        changes = services.version_changes(
            previous,
            listing,
            catalog.plan_dicts(db, previous.id),
            catalog.plan_dicts(db, listing.id),
        )
    else:
        previous = None
    decisions = queries.decisions_for(db, listing.id)
    return (
        render_template(
            "admin/review_listing.html",
            listing=listing,
            organization=organization,
            plans=plans,
            previous=previous,
            changes=changes,
            decisions=decisions,
            reviewers=accounts.users_by_id(db, (d.reviewer_id for d in decisions)),
            form=form,
            can_decide=listing.state == ListingState.SUBMITTED,
            waiting_time=services.waiting_time,
            operation=operations.attached_operation(listing),
            report=compliance.latest_report(db, listing.id),
            finding_message=compliance.finding_message,
        ),
        status,
    )


@blp.route("/reviews/<int:listing_id>")
def review_listing(listing_id: int):
    listing = _get_or_404(Listing, listing_id)
    authorize("listing.review", listing)
    return _render_review(listing, ReviewDecisionForm())


@blp.route("/reviews/<int:listing_id>/decision", methods=["POST"])
def decide_listing(listing_id: int):
    listing = _get_or_404(Listing, listing_id)
    authorize("listing.review", listing)
    form = ReviewDecisionForm()
    if not form.validate_on_submit():
        return _render_review(listing, form, 422)
    db = get_session()
    transition = Transition(form.decision.data)
    try:
        catalog.decide(db, current_actor(), listing, transition, form.reason.data or "")
        db.commit()
    except ValidationFailed as exc:
        db.rollback()
        apply_field_errors(form, exc.field_errors)
        return _render_review(listing, form, 422)
    except DomainError as exc:
        db.rollback()
        form.form_errors.append(str(exc))
        return _render_review(listing, form, 422)
    if listing.state == ListingState.PUBLISHED:
        message = _("“%(title)s” is approved and now published.", title=listing.title)
    elif transition == Transition.APPROVE:
        message = _("“%(title)s” is approved; it will be published once the merchant's "
                    "organization is verified.", title=listing.title)
    elif transition == Transition.REQUEST_CHANGES:
        message = _("Changes were requested on “%(title)s”; the merchant is told why.",
                    title=listing.title)
    else:
        message = _("“%(title)s” is rejected; the merchant is told why.", title=listing.title)
    flash(message, "success")
    return redirect(url_for("admin.review_queue"))


# ---------------------------------------------------------------------------- listings on sale


def _render_listings(failed: dict[str, Any] | None = None):
    """The listings page; ``failed`` names a refused action to show beside its form (422)."""
    db = get_session()
    rows = [
        *queries.listings_in_state(db, ListingState.PUBLISHED),
        *queries.listings_in_state(db, ListingState.SUSPENDED),
    ]
    rows.sort(key=lambda item: (item.title.lower(), item.id))
    return (
        render_template(
            "admin/listings.html",
            listings=rows,
            organizations=accounts.organizations_by_id(db, (item.organization_id for item in rows)),
            failed=failed,
        ),
        422 if failed else 200,
    )


@blp.route("/listings")
def listings():
    authorize("listing.suspend")
    return _render_listings()


def _listing_action(
    listing_id: int,
    action: str,
    form_name: str,
    apply: Callable[[Session, User, Listing, str], None],
    done: Callable[[str], str],
):
    """Run one lifecycle action from the listings page; a refused action re-renders the page."""
    listing = _get_or_404(Listing, listing_id)
    authorize(action, listing)
    form = ReasonForm()
    reason = form.reason.data or ""
    failed = {"listing_id": listing.id, "action": form_name, "reason": reason}
    if not form.validate_on_submit():
        return _render_listings({**failed, "message": _errors_text(form.reason)})
    db = get_session()
    try:
        apply(db, current_actor(), listing, reason)
        db.commit()
    except DomainError as exc:
        db.rollback()
        return _render_listings({**failed, "message": str(exc)})
    flash(done(listing.title), "success")
    return redirect(url_for("admin.listings"))


@blp.route("/listings/<int:listing_id>/suspend", methods=["POST"])
def suspend_listing(listing_id: int):
    return _listing_action(
        listing_id, "listing.suspend", "suspend", catalog.suspend,
        lambda title: _("“%(title)s” is suspended; buyers can no longer find or buy it.",
                        title=title),
    )


@blp.route("/listings/<int:listing_id>/reinstate", methods=["POST"])
def reinstate_listing(listing_id: int):
    return _listing_action(
        listing_id, "listing.reinstate", "reinstate",
        lambda db, actor, listing, _reason: catalog.reinstate(db, actor, listing),
        lambda title: _("“%(title)s” is on sale again.", title=title),
    )


@blp.route("/listings/<int:listing_id>/retire", methods=["POST"])
def retire_listing(listing_id: int):
    return _listing_action(
        listing_id, "listing.retire", "retire", catalog.retire,
        lambda title: _("“%(title)s” is retired.", title=title),
    )


# ---------------------------------------------------------------------------- organizations


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
    organization = _get_or_404(MerchantOrganization, organization_id)
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
    organization = _get_or_404(MerchantOrganization, organization_id)
    authorize("organization.verify", organization)
    form = ReasonForm()
    reason = form.reason.data or ""
    failed = {"organization_id": organization.id, "reason": reason}
    if not form.validate_on_submit():
        return _render_organizations({**failed, "message": _errors_text(form.reason)})
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


# ---------------------------------------------------------------------------- users


@blp.route("/users")
def users():
    authorize("user.list")
    db = get_session()
    page = request.args.get("page", 1, type=int) or 1
    rows, total = services.users_page(db, page, USERS_PER_PAGE)
    return render_template(
        "admin/users.html",
        users=rows,
        total=total,
        page=max(page, 1),
        pages=max((total + USERS_PER_PAGE - 1) // USERS_PER_PAGE, 1),
        organizations=accounts.organizations_by_id(db, (u.organization_id for u in rows)),
        roles=ROLE_CHOICES,
    )


def _role_name(role: str) -> str:
    return next(str(choice.label) for choice in ROLE_CHOICES if choice.value == role)


@blp.route("/users/<int:user_id>/role", methods=["POST"])
def change_role(user_id: int):
    user = _get_or_404(User, user_id)
    authorize("user.change_role", user)
    form = RoleForm()
    back = url_for("admin.users", page=request.form.get("page", type=int) or None)
    if not form.validate_on_submit():
        flash(_errors_text(form.role) or _("Choose a role from the list."), "error")
        return redirect(back)
    db = get_session()
    try:
        accounts.set_role(db, current_actor(), user, Role(form.role.data))
        db.commit()
    except DomainError as exc:
        db.rollback()
        flash(str(exc), "error")
    else:
        flash(_("%(name)s is now: %(role)s.", name=user.display_name,
                role=_role_name(form.role.data)), "success")
    return redirect(back)


# ---------------------------------------------------------------------------- audit log


def compact_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      default=str)


def _render_audit(report: audit.ChainReport | None = None):
    db = get_session()
    entries = audit.recent_entries(db, AUDIT_PAGE_SIZE)
    return render_template(
        "admin/audit.html",
        entries=entries,
        actors=accounts.users_by_id(db, (e.actor_id for e in entries)),
        report=report,
        compact_json=compact_json,
        page_size=AUDIT_PAGE_SIZE,
    )


@blp.route("/audit")
def audit_log():
    authorize("audit.view")
    return _render_audit()


@blp.route("/audit/verify", methods=["POST"])
def verify_audit():
    authorize("audit.view")
    # Verifying changes nothing, so the result is shown directly rather than after a redirect.
    return _render_audit(audit.verify_chain(get_session()))


# ---------------------------------------------------------------------------- plugins


@blp.route("/plugins")
def plugins():
    authorize("plugin.manage")
    runtime = get_runtime()
    runtime.sync()
    db = get_session()
    rows = plugin_services.installed(db)
    return render_template(
        "admin/plugins.html",
        plugins=rows,
        breakers={row.name: runtime.breaker_states(row.name) for row in rows},
        incidents=plugin_services.recent_incidents(db),
    )


def _plugin_or_404(plugin_name: str) -> InstalledPlugin:
    get_runtime().sync()
    plugin = plugin_services.find(get_session(), plugin_name)
    if plugin is None:
        abort(404)
    return plugin


@blp.route("/plugins/<plugin_name>/state", methods=["POST"])
def plugin_state(plugin_name: str):
    plugin = _plugin_or_404(plugin_name)
    authorize("plugin.manage", plugin)
    form = PluginStateForm()
    if not form.validate_on_submit():
        flash(_errors_text(form.state), "error")
        return redirect(url_for("admin.plugins"))
    db = get_session()
    try:
        plugin_services.set_state(db, current_actor(), plugin, form.state.data)
        db.commit()
    except DomainError as exc:
        db.rollback()
        flash(str(exc), "error")
        return redirect(url_for("admin.plugins"))
    if plugin.state == PluginState.ENABLED:
        flash(_("%(name)s is enabled; its operations are available again.", name=plugin.name),
              "success")
    else:
        get_runtime().release_worker(plugin.name)
        flash(_("%(name)s is disabled; its operations are unavailable until you enable it.",
                name=plugin.name), "success")
    return redirect(url_for("admin.plugins"))


@blp.route("/plugins/<plugin_name>/trust", methods=["POST"])
def plugin_trust(plugin_name: str):
    plugin = _plugin_or_404(plugin_name)
    authorize("plugin.manage", plugin)
    form = PluginTrustForm()
    if not form.validate_on_submit():
        flash(_errors_text(form.trusted), "error")
        return redirect(url_for("admin.plugins"))
    db = get_session()
    plugin_services.set_trusted(db, current_actor(), plugin, form.trusted.data == "yes")
    db.commit()
    if plugin.trusted:
        get_runtime().release_worker(plugin.name)
        flash(_("%(name)s is trusted: it now runs inside the platform.", name=plugin.name),
              "success")
    else:
        flash(_("%(name)s is no longer trusted: it now runs in a separate worker process with "
                "limited CPU time and memory.", name=plugin.name), "success")
    return redirect(url_for("admin.plugins"))
