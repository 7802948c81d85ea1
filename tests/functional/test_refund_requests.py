"""Buyers' refund requests on order lines: asked on the order page (or the API), decided by the
line's merchant or, three working days later, by an admin; an approval refunds through the one
refund path, at localstripe, from that line alone.

The order buys the products of two merchants with a test card through localstripe, so each
approval is a real provider refund and each merchant's books can be compared.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from sqlmodel import select

from marketplace.accounts.models import Role, User
from marketplace.audit.models import AuditEntry
from marketplace.catalog import services as catalog
from marketplace.catalog.models import ListingState, PricingModel
from marketplace.commerce import ledger
from marketplace.commerce.buyer_requests import refund_requests
from marketplace.commerce.buyer_requests.models import RefundRequest, RefundRequestState
from marketplace.commerce.models import Order, OrderLine, OrderState
from marketplace.commerce.orders import cart, fulfilment
from marketplace.commerce.payments.flow import pay_with_test_card
from marketplace.delivery import entitlements
from marketplace.delivery.models import EntitlementState
from marketplace.notifications.models import Notification, OutboundEmail
from tests.factories import (
    forget,
    logged_in_client,
    make_listing,
    make_merchant,
    make_user,
    page_text,
)

PACK = 1_000  # calls: the factory's per-call tiers price a pack of 1,000 at 500.00 yuan


@pytest.fixture
def world(db, localstripe, payments):
    """Two merchants, an admin, and a buyer's order of one pack of each merchant's product,
    paid with a test card at localstripe (500.00 yuan a line)."""
    admin = make_user(db, Role.ADMIN)
    sellers = [make_merchant(db) for _ in range(2)]
    listings = [make_listing(db, merchant, org, state=ListingState.PUBLISHED, admin=admin)
                for merchant, org in sellers]
    buyer = make_user(db)
    for listing in listings:
        plan = next(p for p in catalog.plans_for(db, listing.id)
                    if p.model == PricingModel.PER_CALL)
        cart.add(db, buyer, plan.id, pack_calls=PACK)
    order = cart.checkout(db, buyer, attempt=uuid.uuid4().hex)
    db.commit()
    pay_with_test_card(db, payments, buyer, order, "visa_ok")
    assert order.state == OrderState.FULFILLED
    lines = cart.order_lines(db, order.id)
    return {"admin": admin, "buyer": buyer, "order": order, "lines": lines,
            "merchants": [m for m, _ in sellers], "orgs": [o for _, o in sellers]}


def provider_refunded(localstripe, intent_id: str) -> int:
    listed = localstripe.request("GET", f"/v1/refunds?payment_intent={intent_id}&limit=100")
    return sum(r["amount"] for r in listed["data"] if r["status"] == "succeeded")


def ask(app, buyer: User, order: Order, line: OrderLine, amount: str, reason: str):
    client = logged_in_client(app, buyer)
    return client.post(f"/orders/{order.number}/lines/{line.id}/refund-request",
                       data={"amount": amount, "reason": reason})


def the_request(db, line: OrderLine) -> RefundRequest:
    forget(db)
    return db.exec(select(RefundRequest).where(RefundRequest.order_line_id == line.id)
                   .order_by(RefundRequest.id.desc())).first()


def audited(db, request: RefundRequest) -> list[str]:
    return [e.action for e in db.exec(select(AuditEntry).where(
        AuditEntry.subject_type == "refund_request",
        AuditEntry.subject_id == str(request.id)).order_by(AuditEntry.id))]


def notified(db, user: User, kind: str) -> bool:
    forget(db)
    return db.exec(select(Notification).where(Notification.user_id == user.id,
                                              Notification.kind == kind)).first() is not None


def test_the_merchant_approves_part_and_the_refund_is_made_at_the_provider(
        app, db, world, localstripe):
    order, (line_a, line_b) = world["order"], world["lines"]
    merchant_a, merchant_b = world["merchants"]
    org_a, org_b = world["orgs"]
    before_a, before_b = ledger.balance(db, org_a.id), ledger.balance(db, org_b.id)

    page = page_text(logged_in_client(app, world["buyer"]).get(f"/orders/{order.number}"))
    assert f"/orders/{order.number}/lines/{line_a.id}/refund-request" in page
    response = ask(app, world["buyer"], order, line_a, "300", "Half the records were empty.")
    assert response.status_code == 302
    request = the_request(db, line_a)
    assert (request.amount, request.state, request.organization_id) == (
        300_00, RefundRequestState.OPEN, org_a.id)
    assert notified(db, merchant_a, "refund_request.created")
    assert not notified(db, merchant_b, "refund_request.created")
    mail = db.exec(select(OutboundEmail).where(OutboundEmail.to_address == merchant_a.email)
                   ).all()
    assert any("300.00 CNY" in m.body for m in mail)

    # The other merchant may neither see nor decide it; an admin may not decide it yet.
    url = f"/refund-requests/{request.id}"
    other = logged_in_client(app, merchant_b)
    assert other.get(url).status_code == 403
    assert other.post(f"{url}/decision", data={"decision": "approve"}).status_code == 403
    admin = logged_in_client(app, world["admin"])
    assert "Confirm the decision" not in page_text(admin.get(url))
    assert admin.post(f"{url}/decision", data={"decision": "approve"}).status_code == 403
    url = f"{url}/decision"

    merchant = logged_in_client(app, merchant_a)
    assert f"/refund-requests/{request.id}" in page_text(
        merchant.get("/merchant/refund-requests"))
    # More than asked is refused; 200.00 of the 300.00 asked is approved and refunded.
    response = merchant.post(url, data={"decision": "approve", "amount": "300.01"})
    assert response.status_code == 422
    assert "The buyer asked for 300.00 CNY" in page_text(response)
    response = merchant.post(url, data={"decision": "approve", "amount": "200",
                                        "reason": "The empty half of the pack."})
    assert response.status_code == 302
    forget(db)
    request = db.get(RefundRequest, request.id)
    assert (request.state, request.approved_amount) == (RefundRequestState.APPROVED, 200_00)
    assert request.open_line_id is None
    order = db.get(Order, order.id)
    assert order.state == OrderState.PARTLY_REFUNDED
    assert fulfilment.refunded_amount(db, order.id) == 200_00
    assert provider_refunded(localstripe, order.payment_intent_id) == 200_00
    # Only the first merchant's books carry the refund (its 10 % commission is returned too).
    assert ledger.balance(db, org_a.id) == before_a - 180_00
    assert ledger.balance(db, org_b.id) == before_b
    assert entitlements.for_line(db, line_a.id).state == EntitlementState.ACTIVE
    assert notified(db, world["buyer"], "refund_request.approved")
    assert audited(db, request) == ["refund_request.create", "refund_request.approve"]

    # A second decision is refused; the line keeps 300.00 refundable.
    response = merchant.post(url, data={"decision": "reject", "reason": "Changed my mind."},
                             follow_redirects=True)
    assert "This refund request was decided already." in page_text(response)
    assert db.get(RefundRequest, request.id).state == RefundRequestState.APPROVED
    assert fulfilment.line_refundable(db, order, line_a) == 300_00

    # Over the line's remainder, a new request is refused; all of it revokes that line only.
    response = ask(app, world["buyer"], order, line_a, "300.01", "The rest.")
    assert response.status_code == 422
    assert "At most 300.00 CNY can still be refunded on this line." in page_text(response)
    assert ask(app, world["buyer"], order, line_a, "300", "The rest.").status_code == 302
    rest = the_request(db, line_a)
    assert merchant.post(f"/refund-requests/{rest.id}/decision",
                         data={"decision": "approve"}).status_code == 302
    forget(db)
    assert entitlements.for_line(db, line_a.id).state == EntitlementState.REVOKED
    assert entitlements.for_line(db, line_b.id).state == EntitlementState.ACTIVE
    assert db.get(Order, order.id).state == OrderState.PARTLY_REFUNDED
    assert provider_refunded(localstripe, order.payment_intent_id) == 500_00
    assert ledger.balance(db, org_a.id) == before_a - 450_00
    assert ledger.balance(db, org_b.id) == before_b
    page = page_text(logged_in_client(app, world["buyer"]).get(f"/orders/{order.number}"))
    assert f"/lines/{line_a.id}/refund-request" not in page  # nothing left on that line


def test_one_open_request_per_line_and_a_reason_is_required(app, db, world):
    order, (line_a, _line_b) = world["order"], world["lines"]
    response = ask(app, world["buyer"], order, line_a, "100", "   ")
    assert response.status_code == 422
    assert "Say why you ask for a refund." in page_text(response)
    assert ask(app, world["buyer"], order, line_a, "100", "Late delivery.").status_code == 302
    response = ask(app, world["buyer"], order, line_a, "50", "Again.")
    assert response.status_code == 302
    forget(db)
    assert len(refund_requests.for_order(db, order.id)) == 1
    # The service refuses it too, not only the page.
    with pytest.raises(Exception, match="already open"):
        refund_requests.request_refund(db, db.merge(world["buyer"]), db.get(Order, order.id),
                                       db.get(OrderLine, line_a.id), amount=50_00,
                                       reason="Again.")
    db.rollback()


def test_only_the_orders_buyer_may_ask(app, db, world):
    order, line = world["order"], world["lines"][0]
    stranger = make_user(db)
    assert ask(app, stranger, order, line, "10", "Not mine.").status_code == 403
    assert ask(app, world["merchants"][0], order, line, "10", "Seller.").status_code == 403
    # An admin reads the buyer's order page, without the buyer's links to ask.
    page = page_text(logged_in_client(app, world["admin"]).get(f"/orders/{order.number}"))
    assert "/refund-request" not in page and "/invoice-requests/" not in page


def test_the_merchant_refuses_with_a_reason_and_the_buyer_is_told(app, db, world):
    order, line = world["order"], world["lines"][1]
    ask(app, world["buyer"], order, line, "500", "Wrong product.")
    request = the_request(db, line)
    merchant = logged_in_client(app, world["merchants"][1])
    url = f"/refund-requests/{request.id}/decision"
    response = merchant.post(url, data={"decision": "reject", "reason": ""})
    assert response.status_code == 422
    assert "Say why the refund is refused." in page_text(response)
    assert merchant.post(url, data={"decision": "reject",
                                    "reason": "The calls were all made."}).status_code == 302
    forget(db)
    request = db.get(RefundRequest, request.id)
    assert request.state == RefundRequestState.REJECTED and request.open_line_id is None
    assert fulfilment.refunded_amount(db, order.id) == 0
    assert notified(db, world["buyer"], "refund_request.rejected")
    assert audited(db, request) == ["refund_request.create", "refund_request.reject"]
    page = page_text(logged_in_client(app, world["buyer"]).get(f"/orders/{order.number}"))
    assert "The calls were all made." in page
    assert re.search(r'data-testid="refund-request-state">Refused<', page)


def test_an_admin_decides_after_three_working_days_and_not_before(app, db, world, localstripe):
    order, line = world["order"], world["lines"][1]
    ask(app, world["buyer"], order, line, "500", "Never delivered.")
    request = the_request(db, line)
    admin = logged_in_client(app, world["admin"])
    url = f"/refund-requests/{request.id}"

    # Two calendar days are never three working days.
    request.created_at -= timedelta(days=2)
    db.add(request)
    db.commit()
    assert admin.post(f"{url}/decision", data={"decision": "approve"}).status_code == 403
    assert f"/refund-requests/{request.id}" in page_text(admin.get("/admin/refund-requests"))

    # A week always is.
    request.created_at -= timedelta(days=5)
    db.add(request)
    db.commit()
    assert "Confirm the decision" in page_text(admin.get(url))
    assert admin.post(f"{url}/decision", data={"decision": "approve"}).status_code == 302
    forget(db)
    request = db.get(RefundRequest, request.id)
    assert request.state == RefundRequestState.APPROVED
    assert request.decided_by == world["admin"].id
    assert provider_refunded(localstripe, order.payment_intent_id) == 500_00
    assert entitlements.for_line(db, line.id).state == EntitlementState.REVOKED
    assert entitlements.for_line(db, world["lines"][0].id).state == EntitlementState.ACTIVE
    # The buyer and the merchant who let it wait both hear of it.
    assert notified(db, world["buyer"], "refund_request.approved")
    assert notified(db, world["merchants"][1], "refund_request.approved")


def test_the_admins_are_told_once_when_a_request_becomes_theirs(app, db, world):
    order, line = world["order"], world["lines"][0]
    ask(app, world["buyer"], order, line, "100", "Late delivery.")
    request = the_request(db, line)
    # asked on a Thursday at noon: the merchant's three working days end on Tuesday at noon
    request.created_at = request.created_at.replace(year=2026, month=12, day=3, hour=12)
    db.add(request)
    db.commit()
    monday = request.created_at + timedelta(days=4)
    tuesday = request.created_at + timedelta(days=5)

    assert refund_requests.tell_admins_when_due(db, now=monday) == []
    assert not notified(db, world["admin"], "refund_request.admins_turn")
    assert refund_requests.tell_admins_when_due(db, now=tuesday) == [request.id]
    db.commit()
    assert refund_requests.tell_admins_when_due(db, now=tuesday + timedelta(hours=1)) == []
    db.commit()
    told = db.exec(select(Notification).where(Notification.kind == "refund_request.admins_turn")
                   ).all()
    assert [(n.user_id, n.link) for n in told] == [(world["admin"].id,
                                                    f"/refund-requests/{request.id}")]
    assert "three working days" in page_text(
        logged_in_client(app, world["admin"]).get("/notifications"))

    # a request the merchant decided in time is never announced
    other = world["lines"][1]
    ask(app, world["buyer"], order, other, "100", "Late delivery.")
    decided = the_request(db, other)
    decided.created_at = request.created_at
    decided.state = RefundRequestState.REJECTED
    db.add(decided)
    db.commit()
    assert refund_requests.tell_admins_when_due(db, now=tuesday + timedelta(days=7)) == []
