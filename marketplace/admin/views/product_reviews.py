"""Buyers' reviews of products: hiding one with a reason, or showing it again."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from marketplace.admin.views import get_or_404, reviews_blp
from marketplace.db import get_session
from marketplace.errors import DomainError
from marketplace.policy import authorize, current_actor
from marketplace.reviews import services as reviews
from marketplace.reviews.models import ProductReview


@reviews_blp.route("/product-reviews")
def moderation():
    authorize("review.moderate")
    show = request.args.get("show", "")
    hidden = {"hidden": True, "shown": False}.get(show)
    return render_template("admin/product_reviews.html", section="product_reviews", show=show,
                           reviews=reviews.for_moderation(get_session(), hidden=hidden))


@reviews_blp.route("/product-reviews/<int:review_id>/hide", methods=["POST"])
def hide_review(review_id: int):
    review = get_or_404(ProductReview, review_id)
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
    return redirect(url_for("reviews_admin.moderation"))


@reviews_blp.route("/product-reviews/<int:review_id>/restore", methods=["POST"])
def restore_review(review_id: int):
    review = get_or_404(ProductReview, review_id)
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
    return redirect(url_for("reviews_admin.moderation"))
