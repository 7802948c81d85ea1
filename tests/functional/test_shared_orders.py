"""In an order with two merchants, each merchant sees only its own lines and their sum, and the
buyer as sellers see it: its organization or name, its e-mail only if it agreed (issue 14)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from marketplace.accounts.models import MerchantOrganization, Role, User
from marketplace.commerce.models import Order
from marketplace.commerce.orders import fulfilment
from tests.commerce_factories import quick_line, quick_order
from tests.factories import logged_in_client, make_organization, make_user, page_text


@dataclass
class SharedOrder:
    order: Order
    receipt: str
    buyer: User
    alpha: tuple[User, MerchantOrganization]
    beta: tuple[User, MerchantOrganization]


@pytest.fixture
def shared(db) -> SharedOrder:
    buyer = make_user(db, name="Banker")
    alpha_org, beta_org = make_organization(db, name="Alpha Data"), make_organization(
        db, name="Beta Scores")
    alpha = make_user(db, Role.MERCHANT, organization=alpha_org), alpha_org
    beta = make_user(db, Role.MERCHANT, organization=beta_org), beta_org
    order, (first, second) = quick_order(
        db, quick_line("one_time", 300_00, organization=alpha_org),
        quick_line("one_time", 700_00, organization=beta_org), buyer=buyer)
    first.title, second.title = "Alpha registry extract", "Beta credit scores"
    db.add_all([first, second])
    fulfilment.record_charge(db, order, amount=1000_00, provider_ref="pi_shared_order_test")
    db.commit()
    receipt = fulfilment.receipts_for(db, order.id)[0].number
    return SharedOrder(order, receipt, buyer, alpha, beta)


def test_a_merchant_sees_only_its_lines_of_a_shared_order_in_the_api(app, shared):
    client = logged_in_client(app, shared.alpha[0])
    body = client.get(f"/api/v1/orders/{shared.order.number}").get_json()
    assert body["seller_part"] is True
    assert [line["title"] for line in body["lines"]] == ["Alpha registry extract"]
    assert body["total"] == 300_00
    assert body["paid"] is None and body["refunded"] is None and body["receipts"] == []
    assert len(body["entitlements"]) == 1
    assert "Beta credit scores" not in str(body)
    assert 700_00 not in [line["amount"] for line in body["lines"]] + [body["total"]]

    receipt = client.get(f"/api/v1/receipts/{shared.receipt}").get_json()
    assert [line["title"] for line in receipt["lines"]] == ["Alpha registry extract"]
    assert receipt["amount"] == 300_00
    assert [seller["name"] for seller in receipt["sellers"]] == ["Alpha Data"]
    assert receipt["buyer"] == "Banker" and receipt["payment_reference"] == ""


def test_a_merchant_sees_only_its_lines_on_the_order_and_receipt_pages(app, shared):
    client = logged_in_client(app, shared.beta[0])
    for path in (f"/orders/{shared.order.number}", f"/receipts/{shared.receipt}"):
        page = page_text(client.get(path))
        assert "Beta credit scores" in page, path
        assert "¥700.00" in page
        assert "Alpha registry extract" not in page and "¥300.00" not in page, path
        assert "¥1,000.00" not in page, path
        assert shared.buyer.email not in page, path
        assert "pi_shared_order_test" not in page, path


def test_the_buyer_and_an_admin_see_the_whole_order(app, db, shared):
    for user in (shared.buyer, make_user(db, Role.ADMIN)):
        client = logged_in_client(app, user)
        body = client.get(f"/api/v1/orders/{shared.order.number}").get_json()
        assert body["seller_part"] is False
        assert len(body["lines"]) == 2 and body["total"] == 1000_00
        assert body["paid"] == 1000_00
        page = page_text(client.get(f"/receipts/{shared.receipt}"))
        assert "Alpha registry extract" in page and "Beta credit scores" in page
        assert shared.buyer.email in page


def test_sellers_see_the_buyers_email_only_if_it_agreed(app, db, shared):
    buyer_client = logged_in_client(app, shared.buyer)
    assert 'name="share_email_with_sellers"' in page_text(buyer_client.get("/account"))
    response = buyer_client.post("/account/privacy", data={"share_email_with_sellers": "y"})
    assert response.status_code == 302

    page = page_text(logged_in_client(app, shared.alpha[0]).get(f"/receipts/{shared.receipt}"))
    assert shared.buyer.email in page
    assert "Beta credit scores" not in page

    buyer_client.post("/account/privacy", data={})
    page = page_text(logged_in_client(app, shared.alpha[0]).get(f"/receipts/{shared.receipt}"))
    assert shared.buyer.email not in page


def test_a_merchant_of_neither_seller_still_cannot_read_it(app, db, shared):
    outsider = make_user(db, Role.MERCHANT, organization=make_organization(db))
    client = logged_in_client(app, outsider)
    assert client.get(f"/api/v1/orders/{shared.order.number}").status_code == 403
    assert client.get(f"/orders/{shared.order.number}").status_code == 403
