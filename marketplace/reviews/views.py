"""Writing a review from the product page, and moderating reviews in the admin area."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from marketplace.catalog import services as catalog
from marketplace.db import get_session
from marketplace.errors import DomainError, ValidationFailed
from marketplace.policy import authorize, current_actor
from marketplace.reviews import services as reviews
from marketplace.reviews.models import ProductReview
from marketplace.storefront.product_page import render_product

blp = Blueprint("reviews", __name__, template_folder="templates")


@blp.route("/products/<int:product_id>/reviews", methods=["POST"])
def write_review(product_id: int):
    db = get_session()
    listing = catalog.live_listing(db, product_id)
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


@blp.route("/admin/product-reviews")
def moderation():
    authorize("review.moderate")
    show = request.args.get("show", "")
    hidden = {"hidden": True, "shown": False}.get(show)
    return render_template("reviews/moderation.html", section="product_reviews", show=show,
                           reviews=reviews.for_moderation(get_session(), hidden=hidden))


def _review(review_id: int) -> ProductReview:
    review = get_session().get(ProductReview, review_id)
    if review is None:
        abort(404)
    return review


@blp.route("/admin/product-reviews/<int:review_id>/hide", methods=["POST"])
def hide_review(review_id: int):
    review = _review(review_id)
    authorize("review.hide", review)
    db = get_session()
    try:
        reviews.hide(db, current_actor(), review, request.form.get("reason", ""))
        db.commit()
    except DomainError as exc:
        db.rollback()
        flash(str(exc), "error")
    else:
        flash(_("The review is hidden; its rating no longer counts."), "success")
    if request.form.get("return_to") == "product":
        return redirect(url_for("storefront.product", product_id=review.product_id,
                                _anchor="reviews"))
    return redirect(url_for("reviews.moderation"))


@blp.route("/admin/product-reviews/<int:review_id>/restore", methods=["POST"])
def restore_review(review_id: int):
    review = _review(review_id)
    authorize("review.hide", review)
    db = get_session()
    try:
        reviews.restore(db, current_actor(), review)
        db.commit()
    except DomainError as exc:
        db.rollback()
        flash(str(exc), "error")
    else:
        flash(_("The review is shown again."), "success")
    return redirect(url_for("reviews.moderation"))
