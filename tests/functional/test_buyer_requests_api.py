"""``/api/v1/refund-requests`` and ``/api/v1/invoice-requests``: the same rules as the pages,
answered as JSON, refusals as application/problem+json."""

from __future__ import annotations

from datetime import timedelta

from marketplace.commerce.buyer_requests.models import RefundRequest
from marketplace.commerce.orders import fulfilment
from tests.factories import forget, logged_in_client, make_user
from tests.functional.test_invoice_requests import GOOD_CODE
from tests.functional.test_refund_requests import provider_refunded, world  # noqa: F401

PROBLEM = "application/problem+json"


def test_refund_requests_over_the_api(app, db, world, localstripe):  # noqa: F811
    order, (line_a, line_b) = world["order"], world["lines"]
    buyer = logged_in_client(app, world["buyer"])
    body = {"order_number": order.number, "line_id": line_a.id, "amount": 100_00,
            "reason": "Records missing."}

    assert logged_in_client(app, make_user(db)).post(
        "/api/v1/refund-requests", json=body).status_code == 403
    response = buyer.post("/api/v1/refund-requests", json={**body, "amount": 500_01})
    assert response.status_code == 422 and response.mimetype == PROBLEM
    assert "At most 500.00 CNY can still be refunded on this line." in response.json["detail"]
    response = buyer.post("/api/v1/refund-requests", json={**body, "line_id": 2_000_000})
    assert response.status_code == 422
    response = buyer.post("/api/v1/refund-requests", json=body)
    assert response.status_code == 201
    created = response.json
    assert (created["amount"], created["state"], created["line_id"]) == (
        100_00, "open", line_a.id)
    again = buyer.post("/api/v1/refund-requests", json=body)
    assert again.status_code == 409 and again.mimetype == PROBLEM

    listed = buyer.get("/api/v1/refund-requests").json
    assert [r["id"] for r in listed] == [created["id"]]
    merchant_a = logged_in_client(app, world["merchants"][0])
    merchant_b = logged_in_client(app, world["merchants"][1])
    assert [r["id"] for r in merchant_a.get("/api/v1/refund-requests?scope=merchant").json] \
        == [created["id"]]
    assert merchant_b.get("/api/v1/refund-requests?scope=merchant").json == []
    assert buyer.get("/api/v1/refund-requests?scope=all").status_code == 403

    url = f"/api/v1/refund-requests/{created['id']}/decision"
    assert merchant_b.post(url, json={"decision": "approve"}).status_code == 403
    admin = logged_in_client(app, world["admin"])
    assert admin.post(url, json={"decision": "approve"}).status_code == 403
    response = merchant_a.post(url, json={"decision": "reject"})
    assert response.status_code == 422 and "Say why the refund is refused." in response.json[
        "detail"]
    response = merchant_a.post(url, json={"decision": "approve", "amount": 60_00})
    assert response.status_code == 200
    assert (response.json["state"], response.json["approved_amount"]) == ("approved", 60_00)
    assert provider_refunded(localstripe, order.payment_intent_id) == 60_00
    assert merchant_a.post(url, json={"decision": "approve"}).status_code == 409

    # Three working days later an admin decides the other merchant's request.
    response = buyer.post("/api/v1/refund-requests", json={**body, "line_id": line_b.id})
    request = db.get(RefundRequest, response.json["id"])
    request.created_at -= timedelta(days=7)
    db.add(request)
    db.commit()
    response = admin.post(f"/api/v1/refund-requests/{request.id}/decision",
                          json={"decision": "reject", "reason": "Usage shows every call."})
    assert response.status_code == 200 and response.json["state"] == "rejected"
    forget(db)
    assert fulfilment.refunded_amount(db, order.id) == 60_00


def test_invoice_requests_over_the_api(app, db, world):  # noqa: F811
    order, org = world["order"], world["orgs"][1]
    buyer = logged_in_client(app, world["buyer"])
    body = {"order_number": order.number, "organization_id": org.id,
            "company_name": "示例科技有限公司", "taxpayer_id": GOOD_CODE}
    response = buyer.post("/api/v1/invoice-requests",
                          json={**body, "taxpayer_id": GOOD_CODE[:-1] + "0"})
    assert response.status_code == 422 and response.mimetype == PROBLEM
    assert "check digit" in response.json["errors"]["json"]["taxpayer_id"][0]
    assert logged_in_client(app, make_user(db)).post(
        "/api/v1/invoice-requests", json=body).status_code == 403
    response = buyer.post("/api/v1/invoice-requests", json=body)
    assert response.status_code == 201
    invoice = response.json
    assert (invoice["amount"], invoice["state"], invoice["pdf_url"]) == (500_00, "requested",
                                                                         None)
    assert buyer.post("/api/v1/invoice-requests", json=body).status_code == 409
    url = f"/api/v1/invoice-requests/{invoice['id']}"
    assert buyer.get(url).json["taxpayer_id"] == GOOD_CODE
    assert logged_in_client(app, world["merchants"][1]).get(url).status_code == 200
    assert logged_in_client(app, world["merchants"][0]).get(url).status_code == 403
