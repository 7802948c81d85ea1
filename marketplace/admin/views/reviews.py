"""Reviewing listings: the queue, a listing beside the version on sale, and the decision."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from marketplace.accounts import services as accounts
from marketplace.accounts.models import MerchantOrganization
from marketplace.admin import services
from marketplace.admin.forms import ReviewDecisionForm
from marketplace.admin.views import blp, get_or_404
from marketplace.catalog import compliance, dataset_grants, operations, queries
from marketplace.catalog import services as catalog
from marketplace.catalog.lifecycle import Transition
from marketplace.catalog.localized import title_for_page
from marketplace.catalog.models import Listing, ListingState
from marketplace.db import get_session
from marketplace.errors import DomainError, ValidationFailed
from marketplace.policy import authorize, current_actor
from marketplace.web.forms import apply_field_errors


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
    previous = queries.live_listing(db, listing.product_id, include_suspended=True)
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
            grants=dataset_grants.grants_of(db, listing.id),
            report=compliance.latest_report(db, listing.id),
            finding_message=compliance.finding_message,
        ),
        status,
    )


@blp.route("/reviews/<int:listing_id>")
def review_listing(listing_id: int):
    listing = get_or_404(Listing, listing_id)
    authorize("listing.review", listing)
    return _render_review(listing, ReviewDecisionForm())


@blp.route("/reviews/<int:listing_id>/decision", methods=["POST"])
def decide_listing(listing_id: int):
    listing = get_or_404(Listing, listing_id)
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
        message = _("“%(title)s” is approved and now published.", title=title_for_page(listing))
    elif transition == Transition.APPROVE:
        message = _("“%(title)s” is approved; it will be published once the merchant's "
                    "organization is verified.", title=title_for_page(listing))
    elif transition == Transition.REQUEST_CHANGES:
        message = _("Changes were requested on “%(title)s”; the merchant is told why.",
                    title=title_for_page(listing))
    else:
        message = _("“%(title)s” is rejected; the merchant is told why.",
                    title=title_for_page(listing))
    flash(message, "success")
    return redirect(url_for("admin.review_queue"))
