"""Ratings and reviews: written by buyers holding an entitlement, once; hidden by admins."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from marketplace.accounts.models import Role
from marketplace.audit.models import AuditEntry
from marketplace.catalog import services as catalog
from marketplace.catalog.models import ListingState
from marketplace.commerce.orders import cart, fulfilment
from marketplace.delivery import entitlements
from marketplace.delivery.models import EntitlementState
from marketplace.errors import Conflict, InvalidTransition, ValidationFailed
from marketplace.reviews import services as reviews
from marketplace.reviews.models import ProductReview
from marketplace.search import get_index
from marketplace.search.query import SearchRequest
from marketplace.search.services import search
from tests.factories import forget, logged_in_client, make_listing, make_merchant, make_user


@pytest.fixture
def product(db):
    merchant, org = make_merchant(db)
    admin = make_user(db, Role.ADMIN)
    listing = make_listing(db, merchant, org, state=ListingState.PUBLISHED, admin=admin,
                           title="Harbour crane telemetry")
    return listing, admin


def bought(db, listing, buyer=None):
    """A buyer who paid for the listing's first plan (a call pack), and their entitlement."""
    buyer = buyer or make_user(db)
    plan = catalog.plans_for(db, listing.id)[0]
    cart.add(db, buyer, plan.id, pack_calls=1000)
    order = cart.checkout(db, buyer, attempt=f"review-{buyer.id}")
    fulfilment.record_charge(db, order, amount=order.total, provider_ref=f"pi_rev_{buyer.id}")
    db.commit()
    return buyer, entitlements.for_order(db, order.id)[0]


def rating_in_search(app, db, listing):
    [item] = search(db, get_index(app), SearchRequest(q="crane")).items
    assert item.listing.id == listing.id
    return item.facts.rating_average, item.facts.rating_count


def test_a_buyer_who_bought_reviews_once_and_search_shows_the_average(app, db, client, product):
    listing, _admin = product
    first, _ = bought(db, listing)
    second, _ = bought(db, listing)
    page = logged_in_client(app, first).get(f"/products/{listing.product_id}").text
    assert "Review this product" in page

    answer = logged_in_client(app, first).post(
        f"/products/{listing.product_id}/reviews", data={"rating": "5", "body": "Fast, exact."})
    assert answer.status_code == 302 and answer.location.endswith("#reviews")
    reviews.write(db, second, listing.product_id, 2, "Slow at night.")
    db.commit()

    assert rating_in_search(app, db, listing) == (3.5, 2)
    results = client.get("/products?q=crane").text
    assert 'aria-label="Rated 3.5 out of 5 by 2 buyers"' in results
    page = client.get(f"/products/{listing.product_id}").text
    assert "Fast, exact." in page and "Slow at night." in page

    # Once per product: the form is gone, and a second review is refused with a sentence.
    again = logged_in_client(app, first)
    assert "Review this product" not in again.get(f"/products/{listing.product_id}").text
    refused = again.post(f"/products/{listing.product_id}/reviews", data={"rating": "1"})
    assert refused.status_code == 409
    assert "You have already reviewed this product" in refused.text
    with pytest.raises(Conflict):
        reviews.write(db, first, listing.product_id, 1)
    forget(db)
    assert len(db.exec(select(ProductReview)).all()) == 2


def test_only_entitlement_holders_may_review(app, db, product):
    listing, admin = product
    stranger = make_user(db)
    page = logged_in_client(app, stranger).get(f"/products/{listing.product_id}").text
    assert "Only buyers who bought this product can review it." in page
    assert "Review this product" not in page
    refused = logged_in_client(app, stranger).post(f"/products/{listing.product_id}/reviews",
                                                   data={"rating": "5"})
    assert refused.status_code == 403
    with pytest.raises(InvalidTransition):
        reviews.write(db, stranger, listing.product_id, 5)
    # A refunded purchase (a revoked entitlement) does not count either.
    buyer, entitlement = bought(db, listing)
    entitlements.change_state(db, entitlement, EntitlementState.REVOKED, reason="refunded")
    db.commit()
    assert not reviews.standing(db, buyer, listing.product_id).holds_entitlement
    with pytest.raises(InvalidTransition):
        reviews.write(db, buyer, listing.product_id, 5)


def test_a_bad_review_is_refused_beside_its_field_and_keeps_what_was_typed(app, db, product):
    listing, _admin = product
    buyer, _ = bought(db, listing)
    answer = logged_in_client(app, buyer).post(
        f"/products/{listing.product_id}/reviews",
        data={"rating": "9", "body": "Kept as typed <b>bold</b>"})
    assert answer.status_code == 422
    assert "Choose from 1 to 5 stars." in answer.text
    assert "Kept as typed &lt;b&gt;bold&lt;/b&gt;" in answer.text
    with pytest.raises(ValidationFailed) as too_long:
        reviews.write(db, buyer, listing.product_id, 4, "x" * 2001)
    assert "body" in too_long.value.field_errors
    assert db.exec(select(ProductReview)).all() == []


def test_an_admin_hides_an_abusive_review_with_an_audited_reason(app, db, client, product):
    listing, admin = product
    buyer, _ = bought(db, listing)
    review = reviews.write(db, buyer, listing.product_id, 1, "Call me on 13800138000!!!")
    kind, _ = bought(db, listing)
    reviews.write(db, kind, listing.product_id, 5, "Exactly as described.")
    db.commit()
    assert rating_in_search(app, db, listing) == (3.0, 2)

    moderation = logged_in_client(app, admin)
    assert "Call me on 13800138000!!!" in moderation.get("/admin/product-reviews").text
    refused = moderation.post(f"/admin/product-reviews/{review.id}/hide", data={"reason": " "},
                              follow_redirects=True)
    assert "Say why the review is hidden." in refused.text
    hidden = moderation.post(f"/admin/product-reviews/{review.id}/hide",
                             data={"reason": "Personal data in the text.",
                                   "return_to": "product"})
    assert hidden.status_code == 302
    assert hidden.location.endswith(f"/products/{listing.product_id}#reviews")

    page = client.get(f"/products/{listing.product_id}").text
    assert "13800138000" not in page and "Exactly as described." in page
    assert rating_in_search(app, db, listing) == (5.0, 1)
    forget(db)
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "review.hide")).one()
    assert entry.actor_id == admin.id and entry.subject_id == str(review.id)
    assert entry.details["reason"] == "Personal data in the text."

    assert moderation.post(f"/admin/product-reviews/{review.id}/restore").status_code == 302
    assert "13800138000" in client.get(f"/products/{listing.product_id}").text
    assert rating_in_search(app, db, listing) == (3.0, 2)
    assert db.exec(select(AuditEntry).where(AuditEntry.action == "review.restore")).one()


def test_admins_see_a_hide_button_on_the_product_page_and_buyers_do_not(app, db, client,
                                                                          product):
    listing, admin = product
    buyer, _ = bought(db, listing)
    reviews.write(db, buyer, listing.product_id, 3, "Fine.")
    db.commit()
    button = re.compile(r'action="/admin/product-reviews/\d+/hide"')
    assert button.search(logged_in_client(app, admin).get(
        f"/products/{listing.product_id}").text)
    assert not button.search(logged_in_client(app, buyer).get(
        f"/products/{listing.product_id}").text)
    assert not button.search(client.get(f"/products/{listing.product_id}").text)
