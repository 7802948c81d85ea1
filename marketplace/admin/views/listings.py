"""Listings on sale: suspending, reinstating and retiring them, each with a reason."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlmodel import Session

from marketplace.accounts import services as accounts
from marketplace.accounts.models import User
from marketplace.admin.forms import ReasonForm
from marketplace.admin.views import blp, get_or_404
from marketplace.catalog import queries
from marketplace.catalog import services as catalog
from marketplace.catalog.models import Listing, ListingState
from marketplace.db import get_session
from marketplace.errors import DomainError
from marketplace.policy import authorize, current_actor
from marketplace.web.forms import errors_text


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
    listing = get_or_404(Listing, listing_id)
    authorize(action, listing)
    form = ReasonForm()
    reason = form.reason.data or ""
    failed = {"listing_id": listing.id, "action": form_name, "reason": reason}
    if not form.validate_on_submit():
        return _render_listings({**failed, "message": errors_text(form.reason)})
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
