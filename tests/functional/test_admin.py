"""The platform admin area: reviews, listings, organizations, users, audit, and who may see it."""

from __future__ import annotations

import html
import random
import re
from pathlib import Path

import pytest
from flask import url_for
from sqlmodel import col, select

from marketplace.accounts.models import MerchantOrganization, OrganizationStatus, Role, User
from marketplace.audit.models import AuditEntry
from marketplace.catalog import services as catalog
from marketplace.catalog.models import Listing, ListingState, Product, ReviewDecision
from marketplace.db import get_engine
from marketplace.demo.synthetic import unified_social_credit_code
from marketplace.notifications.models import Notification
from tests.audit_support import tamper
from tests.factories import (
    forget,
    listing_content,
    logged_in_client,
    make_listing,
    make_merchant,
    make_organization,
    make_user,
    plans,
)


@pytest.fixture
def admin(db) -> User:
    return make_user(db, Role.ADMIN, name="Reviewer")


@pytest.fixture
def admin_client(app, admin):
    return logged_in_client(app, admin)


def notifications_of(db, user: User, kind: str) -> list[Notification]:
    return list(db.exec(select(Notification).where(Notification.user_id == user.id,
                                                   Notification.kind == kind)))


# ---------------------------------------------------------------------------- access


def _admin_requests(app, listing: Listing, org: MerchantOrganization, user: User):
    """Every admin route with every method it answers, on existing objects."""
    ids = {"listing_id": listing.id, "organization_id": org.id, "user_id": user.id,
           "plugin_name": "any_plugin", "alert_id": 1,  # the area's gate answers before a 404
           "job_id": 1}
    found = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith("admin."):
                continue
            url = url_for(rule.endpoint, **{name: ids[name] for name in rule.arguments})
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                found.append((method, url))
    return found


def test_admin_area_has_every_page_the_brief_names(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert {
        "admin.dashboard", "admin.review_queue", "admin.review_listing", "admin.decide_listing",
        "admin.listings", "admin.suspend_listing", "admin.reinstate_listing",
        "admin.retire_listing", "admin.organizations", "admin.verify_organization",
        "admin.reject_organization", "admin.users", "admin.change_role", "admin.audit_log",
        "admin.verify_audit", "admin.plugins", "admin.plugin_state", "admin.plugin_trust",
    } <= endpoints


@pytest.mark.parametrize("role", [Role.BUYER, Role.MERCHANT])
def test_buyers_and_merchants_are_refused_every_admin_page(app, db, admin, role):
    merchant, org = make_merchant(db)
    listing = make_listing(db, merchant, org, state=ListingState.PUBLISHED, admin=admin)
    someone = merchant if role == Role.MERCHANT else make_user(db)
    client = logged_in_client(app, someone)
    requests = _admin_requests(app, listing, org, someone)
    assert len(requests) == 25  # every admin route: "sign out everywhere", jobs and alerts too
    for method, url in requests:
        data = {"reason": "x", "decision": "approve", "role": "admin"}
        response = client.open(url, method=method, data=data if method == "POST" else None)
        assert response.status_code == 403, (method, url)
    forget(db)
    assert db.get(Listing, listing.id).state == ListingState.PUBLISHED
    assert db.get(User, someone.id).role == role


def test_anonymous_visitors_are_sent_to_log_in(app, db, admin):
    merchant, org = make_merchant(db)
    listing = make_listing(db, merchant, org, state=ListingState.SUBMITTED, admin=admin)
    client = app.test_client()
    for method, url in _admin_requests(app, listing, org, merchant):
        response = client.open(url, method=method)
        assert response.status_code == 302, (method, url)
        assert response.headers["Location"].startswith("/login?next="), (method, url)


def test_missing_objects_are_404(admin_client):
    assert admin_client.get("/admin/reviews/999").status_code == 404
    assert admin_client.post("/admin/reviews/999/decision").status_code == 404
    assert admin_client.post("/admin/listings/999/suspend").status_code == 404
    assert admin_client.post("/admin/organizations/999/verify").status_code == 404
    assert admin_client.post("/admin/users/999/role").status_code == 404


def test_every_admin_page_renders_for_an_admin(app, db, admin, admin_client):
    merchant, org = make_merchant(db)
    listing = make_listing(db, merchant, org, state=ListingState.SUBMITTED, admin=admin)
    for url in ("/admin", "/admin/reviews", f"/admin/reviews/{listing.id}", "/admin/listings",
                "/admin/organizations", "/admin/users", "/admin/audit"):
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert 'aria-current="page"' in response.get_data(as_text=True), url


# ---------------------------------------------------------------------------- dashboard


def test_dashboard_counts_what_waits(app, db, admin, admin_client):
    merchant, org = make_merchant(db)
    make_listing(db, merchant, org, state=ListingState.SUBMITTED, admin=admin)
    make_listing(db, merchant, org, state=ListingState.PUBLISHED, admin=admin, title="Live one")
    make_organization(db, verified=False)
    page = admin_client.get("/admin").get_data(as_text=True)
    total_users = len(db.exec(select(User)).all())
    assert 'data-testid="count-reviews">\n    <span class="stat">1</span>' in page
    assert 'data-testid="count-organizations">\n    <span class="stat">1</span>' in page
    assert 'data-testid="count-published">\n    <span class="stat">1</span>' in page
    assert f'data-testid="count-users">\n    <span class="stat">{total_users}</span>' in page
    assert 'href="/admin/reviews"' in page and 'href="/admin/organizations"' in page


# ---------------------------------------------------------------------------- organizations


def test_admin_verifies_a_new_merchant_who_is_notified_by_mail(app, db, admin, admin_client):
    buyer = make_user(db, name="founder")
    merchant_client = logged_in_client(app, buyer)
    code = unified_social_credit_code(random.Random(2026))
    response = merchant_client.post("/account/organization/new", data={
        "name": "Xiamen Open Data Ltd.", "credit_code": code,
        "contact_email": "ops@xod.example",
    })
    assert response.status_code == 302
    forget(db)
    org = db.exec(
        select(MerchantOrganization).where(MerchantOrganization.credit_code == code)
    ).one()

    page = admin_client.get("/admin/organizations").get_data(as_text=True)
    assert "Xiamen Open Data Ltd." in page and code in page and "ops@xod.example" in page
    assert page.index("Waiting for verification") < page.index("Xiamen Open Data Ltd.")

    response = admin_client.post(f"/admin/organizations/{org.id}/verify")
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/organizations"
    forget(db)
    assert db.get(MerchantOrganization, org.id).status == OrganizationStatus.VERIFIED
    [note] = notifications_of(db, buyer, "organization.verified")
    assert note.params == {"name": "Xiamen Open Data Ltd."}
    mails = [p.read_text() for p in Path(app.config["MAIL_FOLDER"]).glob("*.eml")]
    assert any(f"To: {buyer.email}" in m and "is verified" in m for m in mails)
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "organization.verify")).one()
    assert entry.actor_id == admin.id

    # Verifying twice is refused with a message, not an error page.
    again = admin_client.post(f"/admin/organizations/{org.id}/verify", follow_redirects=True)
    assert "already verified" in again.get_data(as_text=True)


def test_refusing_an_organization_needs_a_reason(app, db, admin, admin_client):
    merchant, org = make_merchant(db, verified=False)
    response = admin_client.post(f"/admin/organizations/{org.id}/reject", data={"reason": " "})
    assert response.status_code == 422
    assert "Write the reason the merchant will read." in response.get_data(as_text=True)
    forget(db)
    assert db.get(MerchantOrganization, org.id).status == OrganizationStatus.PENDING

    response = admin_client.post(f"/admin/organizations/{org.id}/reject",
                                 data={"reason": "The licence scan is unreadable."})
    assert response.status_code == 302
    forget(db)
    refreshed = db.get(MerchantOrganization, org.id)
    assert refreshed.status == OrganizationStatus.REJECTED
    assert refreshed.status_reason == "The licence scan is unreadable."
    [note] = notifications_of(db, merchant, "organization.rejected")
    assert note.params["reason"] == "The licence scan is unreadable."


# ---------------------------------------------------------------------------- reviews


def test_review_queue_lists_oldest_first(app, db, admin, admin_client):
    assert "The queue is empty" in admin_client.get("/admin/reviews").get_data(as_text=True)
    merchant, org = make_merchant(db)
    first = make_listing(db, merchant, org, state=ListingState.SUBMITTED, title="First in line")
    second = make_listing(db, merchant, org, state=ListingState.SUBMITTED, title="Second in line")
    page = admin_client.get("/admin/reviews").get_data(as_text=True)
    assert page.index("First in line") < page.index("Second in line")
    assert f'href="/admin/reviews/{first.id}"' in page
    assert f'href="/admin/reviews/{second.id}"' in page
    assert org.name in page


def test_review_page_shows_everything_needed_to_decide(app, db, admin, admin_client):
    merchant, org = make_merchant(db, verified=False)
    listing = make_listing(
        db, merchant, org, state=ListingState.SUBMITTED,
        data_dictionary=[
            {"name": "id_number", "type": "string", "description": "Resident ID",
             "sensitivity": "sensitive_personal"},
            {"name": "listed", "type": "boolean", "description": "On the list",
             "sensitivity": "none"},
        ],
        sample_rows=[{"id_number": "3501**********1234", "listed": True}],
    )
    page = admin_client.get(f"/admin/reviews/{listing.id}").get_data(as_text=True)
    assert "<strong>yes</strong>" in page  # the description, rendered from Markdown
    assert "Sensitive personal information" in page
    assert "3501**********1234" in page
    assert "Pay as you go" in page and "Monthly" in page  # the pricing plans
    assert "Level 2 · internal" in page
    assert org.name in page and org.credit_code in page
    assert "This organization is not verified." in page
    assert re.search(r'<input[^>]+type="radio" value="request_changes"', page)
    assert '<textarea' in page and 'name="reason"' in page


def test_approving_publishes_the_listing_of_a_verified_merchant(app, db, admin, admin_client):
    merchant, org = make_merchant(db)
    listing = make_listing(db, merchant, org, state=ListingState.SUBMITTED)
    response = admin_client.post(f"/admin/reviews/{listing.id}/decision",
                                 data={"decision": "approve", "reason": ""})
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/reviews"
    forget(db)
    assert db.get(Listing, listing.id).state == ListingState.PUBLISHED
    assert notifications_of(db, merchant, "listing.published")
    decision = db.exec(select(ReviewDecision).where(ReviewDecision.listing_id == listing.id)).one()
    assert (decision.decision, decision.reviewer_id) == ("approve", admin.id)
    flashed = admin_client.get("/admin/reviews").get_data(as_text=True)
    assert "is approved and now published" in flashed


def test_approving_for_an_unverified_merchant_does_not_publish(app, db, admin, admin_client):
    merchant, org = make_merchant(db, verified=False)
    listing = make_listing(db, merchant, org, state=ListingState.SUBMITTED)
    response = admin_client.post(f"/admin/reviews/{listing.id}/decision",
                                 data={"decision": "approve"})
    assert response.status_code == 302
    forget(db)
    assert db.get(Listing, listing.id).state == ListingState.APPROVED


def test_requesting_changes_without_a_reason_is_refused(app, db, admin, admin_client):
    merchant, org = make_merchant(db)
    listing = make_listing(db, merchant, org, state=ListingState.SUBMITTED)
    response = admin_client.post(f"/admin/reviews/{listing.id}/decision",
                                 data={"decision": "request_changes", "reason": "  "})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'class="field-error" role="alert">Write the reason the merchant will read.' in page
    assert re.search(r'<input checked[^>]+value="request_changes"', page)  # the choice is kept
    forget(db)
    assert db.get(Listing, listing.id).state == ListingState.SUBMITTED
    assert not db.exec(select(ReviewDecision)).all()


def test_a_decision_must_be_chosen(app, db, admin, admin_client):
    merchant, org = make_merchant(db)
    listing = make_listing(db, merchant, org, state=ListingState.SUBMITTED)
    response = admin_client.post(f"/admin/reviews/{listing.id}/decision",
                                 data={"reason": "Looks fine"})
    assert response.status_code == 422
    assert "Choose a decision." in response.get_data(as_text=True)
    assert "Looks fine" in response.get_data(as_text=True)


def test_rejecting_with_a_reason_tells_the_merchant_why(app, db, admin, admin_client):
    merchant, org = make_merchant(db)
    listing = make_listing(db, merchant, org, state=ListingState.SUBMITTED)
    reason = "The sample shows unmasked resident ID numbers."
    response = admin_client.post(f"/admin/reviews/{listing.id}/decision",
                                 data={"decision": "reject", "reason": reason})
    assert response.status_code == 302
    forget(db)
    assert db.get(Listing, listing.id).state == ListingState.REJECTED
    [note] = notifications_of(db, merchant, "listing.rejected")
    assert note.params["reason"] == reason
    assert note.link == f"/merchant/listings/{listing.id}"
    page = admin_client.get(f"/admin/reviews/{listing.id}").get_data(as_text=True)
    assert reason in page  # under "Earlier decisions"
    assert "there is nothing to decide" in page


def test_deciding_twice_is_refused_on_the_review_page(app, db, admin, admin_client):
    merchant, org = make_merchant(db)
    listing = make_listing(db, merchant, org, state=ListingState.SUBMITTED)
    admin_client.post(f"/admin/reviews/{listing.id}/decision", data={"decision": "approve"})
    response = admin_client.post(f"/admin/reviews/{listing.id}/decision",
                                 data={"decision": "reject", "reason": "Too late"})
    assert response.status_code == 422
    assert "cannot be moved" in response.get_data(as_text=True)
    forget(db)
    assert db.get(Listing, listing.id).state == ListingState.PUBLISHED


def test_new_version_is_compared_with_the_version_on_sale(app, db, admin, admin_client):
    merchant, org = make_merchant(db)
    live = make_listing(db, merchant, org, state=ListingState.PUBLISHED, admin=admin)
    product = db.get(Product, live.product_id)
    draft = catalog.start_new_version(db, merchant, product)
    catalog.update_listing(db, merchant, draft,
                           listing_content(version=draft.version, summary="Now with history."),
                           plans("per_call", "membership", "free"))
    catalog.submit(db, merchant, draft)
    db.commit()

    page = html.unescape(admin_client.get(f"/admin/reviews/{draft.id}").get_data(as_text=True))
    assert f"What changed since version {live.version}" in page
    assert 'data-field="summary"' in page
    assert "Now with history." in page and live.summary in page
    assert 'data-field="pricing_plans"' in page
    assert 'data-field="title"' not in page  # unchanged fields are left out


# ---------------------------------------------------------------------------- listings on sale


def test_suspending_needs_a_reason_and_reinstating_restores(app, db, admin, admin_client):
    merchant, org = make_merchant(db)
    listing = make_listing(db, merchant, org, state=ListingState.PUBLISHED, admin=admin)
    page = admin_client.get("/admin/listings").get_data(as_text=True)
    assert listing.title in page and f'action="/admin/listings/{listing.id}/suspend"' in page

    response = admin_client.post(f"/admin/listings/{listing.id}/suspend", data={"reason": ""})
    assert response.status_code == 422
    assert "Write the reason the merchant will read." in response.get_data(as_text=True)
    forget(db)
    assert db.get(Listing, listing.id).state == ListingState.PUBLISHED

    response = admin_client.post(f"/admin/listings/{listing.id}/suspend",
                                 data={"reason": "Complaint under investigation."})
    assert response.status_code == 302
    forget(db)
    assert db.get(Listing, listing.id).state == ListingState.SUSPENDED
    [note] = notifications_of(db, merchant, "listing.suspended")
    assert note.params["reason"] == "Complaint under investigation."
    assert f'action="/admin/listings/{listing.id}/reinstate"' in (
        admin_client.get("/admin/listings").get_data(as_text=True))

    response = admin_client.post(f"/admin/listings/{listing.id}/reinstate")
    assert response.status_code == 302
    forget(db)
    assert db.get(Listing, listing.id).state == ListingState.PUBLISHED
    assert notifications_of(db, merchant, "listing.reinstated")


def test_retiring_takes_a_listing_off_the_page(app, db, admin, admin_client):
    merchant, org = make_merchant(db)
    listing = make_listing(db, merchant, org, state=ListingState.SUSPENDED, admin=admin,
                           title="Old traffic data")
    response = admin_client.post(f"/admin/listings/{listing.id}/retire", data={"reason": ""})
    assert response.status_code == 302
    forget(db)
    assert db.get(Listing, listing.id).state == ListingState.RETIRED
    page = admin_client.get("/admin/listings").get_data(as_text=True)
    assert f'id="listing-{listing.id}"' not in page
    assert "Nothing is on sale yet" in page

    # A stale form on a retired listing says why it failed.
    response = admin_client.post(f"/admin/listings/{listing.id}/reinstate")
    assert response.status_code == 422
    assert "cannot be moved" in response.get_data(as_text=True)


# ---------------------------------------------------------------------------- users


def test_role_change_is_audited_and_notified(app, db, admin, admin_client):
    user = make_user(db, name="promoted")
    response = admin_client.post(f"/admin/users/{user.id}/role", data={"role": "admin"})
    assert response.status_code == 302
    forget(db)
    assert db.get(User, user.id).role == Role.ADMIN
    entry = db.exec(
        select(AuditEntry)
        .where(AuditEntry.action == "user.role_change", AuditEntry.subject_id == str(user.id))
        .order_by(col(AuditEntry.seq).desc())
    ).first()
    assert entry.actor_id == admin.id
    assert entry.details == {"from": "buyer", "to": "admin"}
    assert notifications_of(db, user, "role.changed")
    page = admin_client.get("/admin/users").get_data(as_text=True)
    assert "promoted" in page and "is now: Admin" in page


def test_role_change_errors_are_flashed(app, db, admin, admin_client):
    buyer = make_user(db)
    response = admin_client.post(f"/admin/users/{buyer.id}/role", data={"role": "merchant"},
                                 follow_redirects=True)
    page = response.get_data(as_text=True)
    assert 'class="flash flash-error"' in page
    assert "A merchant must belong to a merchant organization first." in page

    response = admin_client.post(f"/admin/users/{admin.id}/role", data={"role": "buyer"},
                                 follow_redirects=True)
    assert "The last admin cannot lose the admin role." in response.get_data(as_text=True)

    response = admin_client.post(f"/admin/users/{buyer.id}/role", data={"role": "emperor"},
                                 follow_redirects=True)
    assert 'class="flash flash-error"' in response.get_data(as_text=True)
    forget(db)
    assert db.get(User, buyer.id).role == Role.BUYER
    assert db.get(User, admin.id).role == Role.ADMIN


# ---------------------------------------------------------------------------- audit


def test_audit_page_lists_entries_and_verifies_the_chain(app, db, admin, admin_client):
    merchant, org = make_merchant(db)
    make_listing(db, merchant, org, state=ListingState.PUBLISHED, admin=admin)
    page = html.unescape(admin_client.get("/admin/audit").get_data(as_text=True))
    assert "listing.publish" in page
    assert '"to":"published"' in page  # details as compact JSON
    assert "Reviewer" in page  # the actor's name

    response = admin_client.post("/admin/audit/verify")
    assert response.status_code == 200
    result = response.get_data(as_text=True)
    count = len(db.exec(select(AuditEntry)).all())
    assert f"The audit chain is intact: {count} entries checked." in result


def test_audit_verification_names_a_tampered_entry(app, db, admin, admin_client):
    make_user(db)
    tamper(get_engine(app), "UPDATE audit_entry SET action = 'user.nothing' WHERE seq = 1")
    page = admin_client.post("/admin/audit/verify").get_data(as_text=True)
    assert 'class="chain-result chain-broken"' in page
    assert "Entry #1 was altered" in page
