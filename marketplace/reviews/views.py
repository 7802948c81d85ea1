"""Writing a review from the product page (admins moderate reviews in the admin area:
:mod:`marketplace.admin.views.product_reviews`)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _

from marketplace.catalog import queries
from marketplace.db import get_session
from marketplace.errors import DomainError, ValidationFailed
from marketplace.policy import authorize, current_actor
from marketplace.reviews import services as reviews
from marketplace.storefront.product_page import render_product

blp = Blueprint("reviews", __name__)


@blp.route("/products/<int:product_id>/reviews", methods=["POST"])
def write_review(product_id: int):
    db = get_session()
    listing = queries.live_listing(db, product_id)
    if listing is None:
        abort(404)
    actor = current_actor()
    authorize("review.write", reviews.standing(db, actor, product_id))
    rating, body = request.form.get("rating"), request.form.get("body", "")
    try:
        reviews.write(db, actor, product_id, rating, body)
        db.commit()
    except ValidationFailed as exc:
        db.rollback()
        return render_product(listing, status=422, review_form={
            "rating": rating, "body": body, "errors": exc.field_errors})
    except DomainError as exc:
        db.rollback()
        return render_product(listing, status=exc.status_code, review_form={
            "rating": rating, "body": body, "errors": {"form": [str(exc)]}})
    flash(_("Thank you: your review is published."), "success")
    return redirect(url_for("storefront.product", product_id=product_id, _anchor="reviews"))
