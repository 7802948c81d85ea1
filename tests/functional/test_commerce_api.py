"""The commerce REST API: cart, orders, payment, entitlements and receipts over JSON.

Payments go through a real localstripe (the ``localstripe`` fixture) where a card is charged;
other tests build paid orders through the services with a made-up provider reference.
"""

from __future__ import annotations

import uuid

import pytest
from sqlmodel import select

from marketplace import create_app
from marketplace.accounts.models import Role
from marketplace.catalog import services as catalog
from marketplace.catalog.models import ListingState
from marketplace.commerce import api_documents as documents
from marketplace.commerce import schemas
from marketplace.commerce.models import CartItem, Order, OrderState
from marketplace.commerce.orders import cart, fulfilment, quotes
from marketplace.commerce.orders.pricing import graduated_amount
from marketplace.db import get_engine
from marketplace.delivery import entitlements
from marketplace.delivery.models import Entitlement, EntitlementState
from tests.factories import forget, logged_in_client, make_listing, make_merchant, make_user, plans

PROBLEM = "application/problem+json"


@pytest.fixture
def shop(db):
    """A published listing selling every pricing model, its merchant, and a buyer."""
    merchant, org = make_merchant(db)
    listing = make_listing(db, merchant, org, state=ListingState.PUBLISHED,
                           plans=plans("one_time", "per_call", "free", "membership",
                                       "service_fee"))
    by_model = {plan.model: plan for plan in catalog.plans_for(db, listing.id)}
    return {"merchant": merchant, "org": org, "listing": listing, "plan": by_model,
            "buyer": make_user(db)}


def attempt() -> str:
    return uuid.uuid4().hex


def paid_order(db, buyer, plan, *, pack_calls=None) -> Order:
    """An order bought and paid through the services (no provider involved)."""
    cart.add(db, buyer, plan.id, pack_calls=pack_calls)
    order = cart.checkout(db, buyer, attempt=attempt())
    fulfilment.record_charge(db, order, amount=order.total, provider_ref=f"pi_{attempt()}")
    db.commit()
    return order


# -------------------------------------------------------------------------- the whole flow


def test_buy_pay_and_use_over_the_api(app, db, shop, localstripe):
    buyer, plan = shop["buyer"], shop["plan"]
    client = logged_in_client(app, buyer)
    assert client.get("/api/v1/cart").json == {"lines": [], "total": 0, "currency": "CNY"}

    pack = client.post("/api/v1/cart", json={"plan_id": plan["per_call"].id,
                                              "pack_calls": 1000})
    assert pack.status_code == 201, pack.json
    pack_price = graduated_amount(plan["per_call"].tiers, 1000)
    assert pack.json["option"] == "call_pack"
    assert (pack.json["amount"], pack.json["quota"]) == (pack_price, 1000)
    assert pack.json["plan"]["name"] == "Pay as you go"
    package = client.post("/api/v1/cart", json={"plan_id": plan["one_time"].id})
    assert package.status_code == 201
    basket = client.get("/api/v1/cart").json
    assert [line["option"] for line in basket["lines"]] == ["call_pack", "standard"]
    assert basket["total"] == pack_price + plan["one_time"].price

    token = attempt()
    created = client.post("/api/v1/orders", json={"attempt": token})
    assert created.status_code == 201, created.json
    number = created.json["number"]
    assert created.headers["Location"].endswith(f"/api/v1/orders/{number}")
    assert created.json["state"] == "pending_payment" and created.json["payable"] is True
    assert created.json["total"] == basket["total"]
    again = client.post("/api/v1/orders", json={"attempt": token})
    assert again.status_code == 200
    assert again.json["number"] == number
    assert db.exec(select(Order).where(Order.buyer_id == buyer.id)).all() == [
        db.exec(select(Order).where(Order.number == number)).one()]
    assert client.get("/api/v1/cart").json["lines"] == []

    paid = client.post(f"/api/v1/orders/{number}/payment", json={"card": "visa_ok"})
    assert paid.status_code == 200, paid.json
    assert paid.json["state"] == "fulfilled"
    assert paid.json["paid"] == basket["total"] and paid.json["refunded"] == 0
    assert paid.json["payable"] is False
    assert len(paid.json["receipts"]) == 1 and len(paid.json["entitlements"]) == 2
    assert {line["entitlement_id"] for line in paid.json["lines"]} == set(
        paid.json["entitlements"])
    forget(db)
    assert db.exec(select(Order).where(Order.number == number)).one().state == "fulfilled"

    listed = client.get("/api/v1/orders")
    assert [o["number"] for o in listed.json] == [number]
    assert listed.json[0]["state_label"] == "Fulfilled"
    assert "X-Pagination" in listed.headers

    mine = client.get("/api/v1/entitlements").json
    assert sorted(e["id"] for e in mine) == sorted(paid.json["entitlements"])
    by_plan = {e["plan_name"]: e for e in mine}
    assert by_plan["Pay as you go"]["quota"] == 1000
    assert by_plan["Pay as you go"]["usable"] is True
    assert by_plan["Data package"]["order_number"] == number
    assert by_plan["Data package"]["scope"] == {"operations": {}}
    assert len(client.get("/api/v1/entitlements?state=active").json) == 2
    assert client.get("/api/v1/entitlements?state=revoked").json == []
    one = client.get(f"/api/v1/entitlements/{mine[0]['id']}")
    assert one.status_code == 200 and one.json["state"] == "active"

    receipt = client.get(f"/api/v1/receipts/{paid.json['receipts'][0]}")
    assert receipt.status_code == 200
    assert receipt.json["amount"] == basket["total"]
    assert receipt.json["order_number"] == number
    assert receipt.json["payment_reference"].startswith("pi_")
    assert receipt.json["sellers"] == [{"name": shop["org"].name,
                                        "credit_code": shop["org"].credit_code}]
    assert receipt.json["buyer"] == buyer.display_name


def test_a_declined_card_is_a_402_problem_and_the_order_can_be_paid_again(app, db, shop,
                                                                          localstripe):
    client = logged_in_client(app, shop["buyer"])
    client.post("/api/v1/cart", json={"plan_id": shop["plan"]["one_time"].id})
    number = client.post("/api/v1/orders", json={"attempt": attempt()}).json["number"]

    declined = client.post(f"/api/v1/orders/{number}/payment", json={"card": "declined"})
    assert declined.status_code == 402
    assert declined.mimetype == PROBLEM
    assert declined.json["detail"] == "Your card was declined. Try another card."
    assert declined.json["code"] == "card_declined"
    failed = client.get(f"/api/v1/orders/{number}").json
    assert failed["state"] == "failed" and failed["payable"] is True
    assert failed["entitlements"] == [] and failed["paid"] == 0

    paid = client.post(f"/api/v1/orders/{number}/payment", json={"card": "visa_ok"})
    assert paid.status_code == 200 and paid.json["state"] == "fulfilled"
    assert len(paid.json["entitlements"]) == 1


def test_a_free_order_is_fulfilled_without_a_card(app, db, shop):
    client = logged_in_client(app, shop["buyer"])
    client.post("/api/v1/cart", json={"plan_id": shop["plan"]["free"].id})
    number = client.post("/api/v1/orders", json={"attempt": attempt()}).json["number"]
    got = client.post(f"/api/v1/orders/{number}/payment", json={})
    assert got.status_code == 200, got.json
    assert got.json["state"] == "fulfilled" and got.json["receipts"] == []
    assert len(got.json["entitlements"]) == 1


def test_paying_needs_test_mode(app_config, db, shop):
    cart.add(db, shop["buyer"], shop["plan"]["one_time"].id)
    order = cart.checkout(db, shop["buyer"], attempt=attempt())
    db.commit()
    live = create_app({**app_config, "STRIPE_API_BASE": "", "STRIPE_SECRET_KEY": "sk_live_x"})
    try:
        assert not live.extensions["payments"].test_mode
        response = logged_in_client(live, shop["buyer"]).post(
            f"/api/v1/orders/{order.number}/payment", json={"card": "visa_ok"})
    finally:
        get_engine(live).dispose()
    assert response.status_code == 409
    assert response.mimetype == PROBLEM
    assert "hosted payment page" in response.json["detail"]
    forget(db)
    assert db.get(Order, order.id).state == OrderState.PENDING_PAYMENT


# -------------------------------------------------------------------------- cart and orders


def test_cancel_an_unpaid_order_but_not_a_paid_one(app, db, shop):
    buyer = shop["buyer"]
    client = logged_in_client(app, buyer)
    client.post("/api/v1/cart", json={"plan_id": shop["plan"]["one_time"].id})
    number = client.post("/api/v1/orders", json={"attempt": attempt()}).json["number"]
    cancelled = client.post(f"/api/v1/orders/{number}/cancel")
    assert cancelled.status_code == 200 and cancelled.json["state"] == "cancelled"
    assert cancelled.json["payable"] is False
    assert client.get("/api/v1/orders?state=cancelled").json[0]["number"] == number
    assert client.get("/api/v1/orders?state=fulfilled").json == []

    paid = paid_order(db, buyer, shop["plan"]["one_time"])
    refused = client.post(f"/api/v1/orders/{paid.number}/cancel")
    assert refused.status_code == 409
    assert refused.mimetype == PROBLEM
    assert paid.number in refused.json["detail"]
    forget(db)
    assert db.get(Order, paid.id).state == OrderState.FULFILLED


def test_orders_are_paginated_newest_first(app, db, shop):
    buyer = shop["buyer"]
    numbers = [paid_order(db, buyer, shop["plan"]["one_time"]).number for _ in range(3)]
    client = logged_in_client(app, buyer)
    first = client.get("/api/v1/orders?page_size=2")
    second = client.get("/api/v1/orders?page_size=2&page=2")
    assert [o["number"] for o in first.json + second.json] == numbers[::-1]
    assert '"total": 3' in first.headers["X-Pagination"]


def test_remove_a_cart_item(app, db, shop):
    buyer, other = shop["buyer"], make_user(db)
    client = logged_in_client(app, buyer)
    line = client.post("/api/v1/cart", json={"plan_id": shop["plan"]["one_time"].id}).json
    theirs = cart.add(db, other, shop["plan"]["one_time"].id)
    db.commit()

    assert client.delete(f"/api/v1/cart/items/{theirs.id}").status_code == 404
    removed = client.delete(f"/api/v1/cart/items/{line['id']}")
    assert removed.status_code == 204 and removed.data == b""
    gone = client.delete(f"/api/v1/cart/items/{line['id']}")
    assert gone.status_code == 404 and gone.mimetype == PROBLEM
    forget(db)
    assert db.exec(select(CartItem).where(CartItem.buyer_id == buyer.id)).all() == []
    assert db.get(CartItem, theirs.id) is not None


def test_a_service_fee_is_bought_through_the_buyers_own_quote(app, db, shop):
    buyer, merchant, plan = shop["buyer"], shop["merchant"], shop["plan"]["service_fee"]
    quote = quotes.request_quote(db, buyer, plan, "Score 2,000 companies by Friday, please.")
    quotes.send_quote(db, merchant, quote, amount=plan.price + 1_000_00,
                      calls=100, valid_days=30, note="Two days.")
    db.commit()

    stranger = logged_in_client(app, make_user(db))
    refused = stranger.post("/api/v1/cart", json={"plan_id": plan.id, "quote_id": quote.id})
    assert refused.status_code == 403 and refused.mimetype == PROBLEM

    client = logged_in_client(app, buyer)
    missing = client.post("/api/v1/cart", json={"plan_id": plan.id, "quote_id": 999999})
    assert missing.status_code == 422
    assert missing.json["errors"]["json"]["quote_id"] == ["No quote has this id."]
    without = client.post("/api/v1/cart", json={"plan_id": plan.id})
    assert without.status_code == 422
    assert "quote" in without.json["errors"]["json"]["plan_id"][0]

    added = client.post("/api/v1/cart", json={"plan_id": plan.id, "quote_id": quote.id})
    assert added.status_code == 201
    assert (added.json["option"], added.json["amount"]) == ("quote", plan.price + 1_000_00)
    order = client.post("/api/v1/orders", json={"attempt": attempt()}).json
    assert order["total"] == plan.price + 1_000_00
    assert order["lines"][0]["quote_id"] == quote.id


# -------------------------------------------------------------------------- input and access


def test_invalid_input_is_422_with_field_messages(app, db, shop):
    client = logged_in_client(app, shop["buyer"])
    plan = shop["plan"]

    empty = client.post("/api/v1/cart", json={})
    assert empty.status_code == 422 and empty.mimetype == PROBLEM
    assert "plan_id" in empty.json["errors"]["json"]

    odd_pack = client.post("/api/v1/cart", json={"plan_id": plan["per_call"].id,
                                                 "pack_calls": 7})
    assert odd_pack.status_code == 422
    assert odd_pack.json["errors"]["json"]["pack_calls"] == [
        "Choose one of these call packs: 1,000 / 10,000 / 100,000 / 1,000,000 calls."]
    assert odd_pack.json["detail"] == odd_pack.json["errors"]["json"]["pack_calls"][0]

    gone = client.post("/api/v1/cart", json={"plan_id": 999999})
    assert gone.status_code == 422
    assert "no longer on sale" in gone.json["errors"]["json"]["plan_id"][0]

    nothing = client.post("/api/v1/orders", json={"attempt": attempt()})
    assert nothing.status_code == 422
    assert nothing.json["errors"]["json"]["cart"] == ["Your cart is empty."]
    short = client.post("/api/v1/orders", json={"attempt": "x"})
    assert short.status_code == 422 and "attempt" in short.json["errors"]["json"]

    client.post("/api/v1/cart", json={"plan_id": plan["one_time"].id})
    number = client.post("/api/v1/orders", json={"attempt": attempt()}).json["number"]
    no_card = client.post(f"/api/v1/orders/{number}/payment", json={})
    assert no_card.status_code == 422
    assert no_card.json["errors"]["json"]["card"] == ["Choose a test card to pay with."]
    bad_card = client.post(f"/api/v1/orders/{number}/payment", json={"card": "gold"})
    assert bad_card.status_code == 422 and "card" in bad_card.json["errors"]["json"]

    bad_state = client.get("/api/v1/orders?state=lost")
    assert bad_state.status_code == 422 and "state" in bad_state.json["errors"]["query"]
    assert client.get("/api/v1/entitlements?state=lost").status_code == 422
    # Nothing half-done: the refused requests left one cart item and one order.
    forget(db)
    assert len(db.exec(select(Order)).all()) == 1


def test_anonymous_callers_get_401_problems(client, db, shop):
    order = paid_order(db, shop["buyer"], shop["plan"]["one_time"])
    receipt = fulfilment.receipts_for(db, order.id)[0]
    entitlement = db.exec(select(Entitlement).where(Entitlement.order_id == order.id)).one()
    calls = [
        ("GET", "/api/v1/cart"), ("POST", "/api/v1/cart"), ("DELETE", "/api/v1/cart/items/1"),
        ("GET", "/api/v1/orders"), ("POST", "/api/v1/orders"),
        ("GET", f"/api/v1/orders/{order.number}"),
        ("POST", f"/api/v1/orders/{order.number}/payment"),
        ("POST", f"/api/v1/orders/{order.number}/cancel"),
        ("GET", "/api/v1/entitlements"), ("GET", f"/api/v1/entitlements/{entitlement.id}"),
        ("GET", f"/api/v1/receipts/{receipt.number}"),
    ]
    for method, url in calls:
        response = client.open(url, method=method, json={})
        assert response.status_code == 401, (method, url, response.status_code)
        assert response.mimetype == PROBLEM
        assert response.json["title"] == "Please log in"


def test_another_buyer_cannot_reach_my_order_receipt_or_entitlement(app, db, shop):
    order = paid_order(db, shop["buyer"], shop["plan"]["one_time"])
    receipt = fulfilment.receipts_for(db, order.id)[0]
    entitlement = db.exec(select(Entitlement).where(Entitlement.order_id == order.id)).one()
    other = logged_in_client(app, make_user(db))
    for method, url in [
        ("GET", f"/api/v1/orders/{order.number}"),
        ("POST", f"/api/v1/orders/{order.number}/payment"),
        ("POST", f"/api/v1/orders/{order.number}/cancel"),
        ("GET", f"/api/v1/receipts/{receipt.number}"),
        ("GET", f"/api/v1/entitlements/{entitlement.id}"),
    ]:
        response = other.open(url, method=method, json={"card": "visa_ok"})
        assert response.status_code in (403, 404), (method, url, response.status_code)
        assert response.mimetype == PROBLEM
    assert other.get("/api/v1/orders").json == []
    assert other.get("/api/v1/entitlements").json == []
    for url in ("/api/v1/orders/DM000000-NOPE", "/api/v1/receipts/R000000-NOPE-1",
                "/api/v1/entitlements/999999"):
        assert other.get(url).status_code == 404
    forget(db)
    assert db.get(Order, order.id).state == OrderState.FULFILLED
    assert db.get(Entitlement, entitlement.id).state == EntitlementState.ACTIVE

    # The selling merchant sees the order and its receipt, not the buyer's entitlement; an
    # admin sees all three.
    seller = logged_in_client(app, shop["merchant"])
    assert seller.get(f"/api/v1/orders/{order.number}").status_code == 200
    assert seller.get(f"/api/v1/receipts/{receipt.number}").status_code == 200
    assert seller.get(f"/api/v1/entitlements/{entitlement.id}").status_code == 403
    admin = logged_in_client(app, make_user(db, Role.ADMIN))
    assert admin.get(f"/api/v1/entitlements/{entitlement.id}").status_code == 200


def test_documents_and_schemas_stay_in_step(db, shop):
    """Every key a document builder writes is in its schema and every schema field is written,
    so a renamed column or a forgotten field fails here instead of vanishing from the API."""
    buyer = shop["buyer"]
    order = paid_order(db, buyer, shop["plan"]["per_call"], pack_calls=1000)
    cart.add(db, buyer, shop["plan"]["one_time"].id)
    db.commit()

    def names(schema) -> set[str]:
        return {field.data_key or name for name, field in schema.fields.items()}

    document = documents.order_document(db, order)
    assert set(document) == names(schemas.OrderSchema())
    assert set(document["lines"][0]) == names(schemas.OrderLineSchema())
    assert set(documents.order_summary(order)) == names(schemas.OrderSummarySchema())
    basket = documents.cart_document(db, buyer.id)
    assert set(basket) == names(schemas.CartSchema())
    assert set(basket["lines"][0]) == names(schemas.CartLineSchema())
    [entitlement] = documents.entitlement_documents(db, entitlements.for_order(db, order.id))
    assert set(entitlement) == names(schemas.EntitlementSchema())
    assert set(entitlement["scope"]) == names(schemas.EntitlementScopeSchema())
    receipt = documents.receipt_document(db, fulfilment.receipts_for(db, order.id)[0])
    assert set(receipt) == names(schemas.ReceiptSchema())


# -------------------------------------------------------------------------- CSRF


@pytest.fixture
def csrf_app(app_config):
    application = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    yield application
    get_engine(application).dispose()


def test_writes_with_the_session_cookie_need_the_csrf_header(csrf_app, db, shop):
    client = csrf_app.test_client()
    with client.session_transaction() as session:  # signed in without the login form
        session["_user_id"] = shop["buyer"].get_id()
        session["_fresh"] = True
    body = {"plan_id": shop["plan"]["one_time"].id}

    assert client.get("/api/v1/cart").status_code == 200  # reads need no token
    refused = client.post("/api/v1/cart", json=body)
    assert refused.status_code == 400 and refused.mimetype == PROBLEM
    assert "CSRF" in refused.json["detail"]
    forged = client.post("/api/v1/cart", json=body, headers={"X-CSRFToken": "forged"})
    assert forged.status_code == 400
    forget(db)
    assert db.exec(select(CartItem)).all() == []

    issued = client.get("/api/v1/csrf-token")
    assert issued.status_code == 200 and issued.headers["Cache-Control"] == "no-store"
    headers = {"X-CSRFToken": issued.json["csrf_token"]}
    added = client.post("/api/v1/cart", json=body, headers=headers)
    assert added.status_code == 201
    assert client.delete(f"/api/v1/cart/items/{added.json['id']}").status_code == 400
    assert client.delete(f"/api/v1/cart/items/{added.json['id']}",
                         headers=headers).status_code == 204


# -------------------------------------------------------------------------- OpenAPI

NEW_OPERATIONS = {
    ("/api/v1/csrf-token", "get"): "200",
    ("/api/v1/cart", "get"): "200",
    ("/api/v1/cart", "post"): "201",
    ("/api/v1/cart/items/{item_id}", "delete"): "204",
    ("/api/v1/orders", "get"): "200",
    ("/api/v1/orders", "post"): "201",
    ("/api/v1/orders/{order_number}", "get"): "200",
    ("/api/v1/orders/{order_number}/payment", "post"): "200",
    ("/api/v1/orders/{order_number}/cancel", "post"): "200",
    ("/api/v1/entitlements", "get"): "200",
    ("/api/v1/entitlements/{entitlement_id}", "get"): "200",
    ("/api/v1/receipts/{receipt_number}", "get"): "200",
}


def test_openapi_documents_every_commerce_operation(client):
    spec = client.get("/api/openapi.json").json
    schemas = spec["components"]["schemas"]
    for (path, method), success in NEW_OPERATIONS.items():
        operation = spec["paths"][path][method]
        assert operation["summary"] and "\n" not in operation["summary"], (path, method)
        response = operation["responses"][success]
        if success != "204":
            ref = response["content"]["application/json"]["schema"]
            ref = ref.get("items", ref)["$ref"]
            assert ref.split("/")[-1] in schemas, (path, method, ref)
        if path != "/api/v1/csrf-token":
            unauthorized = operation["responses"]["401"]
            if "$ref" in unauthorized:  # the shared 401 of every operation with a credential
                unauthorized = spec["components"]["responses"][unauthorized["$ref"].split("/")[-1]]
            problem = unauthorized["content"][PROBLEM]["schema"]["$ref"]
            assert problem == "#/components/schemas/Problem"
            assert operation["security"][0].keys() >= {"sessionCookie"}
            if method != "get":
                assert "csrfToken" in operation["security"][0]
    assert {"Cart", "CartLine", "Order", "OrderSummary", "Entitlement", "Receipt",
            "Problem"} <= set(schemas)
    assert set(schemas["Order"]["properties"]) >= {"lines", "paid", "refunded", "receipts",
                                                   "entitlements", "state"}
    payment = spec["paths"]["/api/v1/orders/{order_number}/payment"]["post"]["responses"]
    assert "402" in payment and "409" in payment
    assert "200" in spec["paths"]["/api/v1/orders"]["post"]["responses"]  # a replayed attempt
    assert set(spec["components"]["securitySchemes"]) >= {"sessionCookie", "csrfToken"}
