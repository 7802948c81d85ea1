"""The buyer's commerce pages, through the test client: the product page's buy forms, cart,
checkout, the test payment step against a real localstripe, orders, receipts, the account page's
entitlements and memberships, quotes, and the webhook endpoint."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import event
from sqlmodel import select

from marketplace.accounts.models import Role
from marketplace.catalog.models import ListingState
from marketplace.catalog.services import plans_for
from marketplace.commerce.models import (
    CartItem,
    Order,
    OrderState,
    PaymentEvent,
    PaymentEventKind,
    ProcessedWebhook,
    QuoteState,
    ServiceQuote,
    Subscription,
)
from marketplace.commerce.orders import quotes
from marketplace.commerce.payments import StripePayments
from marketplace.db import get_engine
from marketplace.delivery import entitlements
from marketplace.delivery.models import EntitlementState
from marketplace.money import format_money as money
from tests.commerce_factories import (
    count,
    make_plan,
    make_shop,
    payment_events,
    post_webhook,
    published_listing_with,
    receipts,
)
from tests.commerce_support import stripe_signature
from tests.factories import forget, logged_in_client, make_listing, make_user, page_text
from tests.unit.commerce.test_payments import CHECKOUT_SESSION, RecordedStripe

S = OrderState


@pytest.fixture
def shop(db):
    return make_shop(db)


@pytest.fixture
def buyer_client(app, shop):
    return logged_in_client(app, shop.buyer)


def checkout(client, attempt: str = "attempt-1") -> str:
    """Check the cart out through the page; returns the new order's number."""
    response = client.post("/checkout", data={"attempt": attempt})
    assert response.status_code == 302, page_text(response)
    match = re.fullmatch(r"/orders/([\w-]+)/pay", response.headers["Location"])
    assert match, response.headers["Location"]
    return match.group(1)


def order_by_number(db, number: str) -> Order:
    forget(db)
    return db.exec(select(Order).where(Order.number == number)).one()


def buy_through_pages(client, plan, **form) -> str:
    response = client.post("/cart/items", data={"plan_id": plan.id, **form})
    assert response.status_code == 302 and response.headers["Location"] == "/cart"
    return checkout(client)


# ---------------------------------------------------------------------------- product page


def test_product_page_offers_one_button_per_plan_with_the_price_before_paying(
        db, client, buyer_client, shop):
    listing, (one_time, per_call, membership, service) = published_listing_with(
        db, shop, make_plan("one_time"), make_plan("per_call"), make_plan("membership"),
        make_plan("service_fee"))

    html = page_text(buyer_client.get(f"/products/{listing.product_id}"))

    # What each plan costs and includes stays visible above the buttons.
    assert "Billable calls 1 to 10,000" in html and "Includes 50,000 calls per period." in html
    assert html.count('action="/cart/items"') == 3  # one-time, per call, membership
    for plan in (one_time, per_call, membership):
        assert f'name="plan_id" value="{plan.id}"' in html
    assert "Pay as you go (billed monthly)" in html
    # Each call pack with its price through the tiers: 50 fen for the first 10,000 calls, then 30.
    for calls, amount in ((1_000, 50_000), (10_000, 500_000), (100_000, 3_200_000),
                          (1_000_000, 30_200_000)):
        assert f"{calls:,} calls for {money(amount)}" in html
    assert 'action="/quotes"' in html and "Request a quote" in html
    assert "Renews automatically until you cancel" in html

    anonymous = page_text(client.get(f"/products/{listing.product_id}"))
    assert "Sign in to buy" in anonymous
    assert f'/login?next=/products/{listing.product_id}' in anonymous
    assert 'action="/cart/items"' not in anonymous


def test_no_buy_buttons_on_a_level_3_product_or_on_ones_own_product(app, db, buyer_client,
                                                                    shop):
    sensitive, _plans = published_listing_with(db, shop, make_plan("one_time"),
                                               classification_level=3)
    html = page_text(buyer_client.get(f"/products/{sensitive.product_id}"))
    assert 'action="/cart/items"' not in html
    assert "approved your authorization application" in html

    own, _plans = published_listing_with(db, shop, make_plan("one_time"))
    merchant_client = logged_in_client(app, shop.merchant)
    html = page_text(merchant_client.get(f"/products/{own.product_id}"))
    assert 'action="/cart/items"' not in html
    assert "This is your organization's product" in html


def test_a_bad_pack_size_comes_back_under_its_plan(db, buyer_client, shop):
    listing, (plan,) = published_listing_with(db, shop, make_plan("per_call"))

    response = buyer_client.post("/cart/items", data={"plan_id": plan.id, "pack_calls": 1234})

    assert response.status_code == 422
    assert ("Choose one of these call packs: 1,000 / 10,000 / 100,000 / 1,000,000 calls."
            in page_text(response))
    assert count(db, CartItem) == 0


# ---------------------------------------------------------------------------- cart and checkout


def test_cart_lists_lines_and_total_and_removes_items(db, buyer_client, shop):
    listing, (one_time, per_call) = published_listing_with(
        db, shop, make_plan("one_time"), make_plan("per_call"), title="Traffic violations")
    assert "Your cart is empty." in page_text(buyer_client.get("/cart"))

    buyer_client.post("/cart/items", data={"plan_id": one_time.id})
    buyer_client.post("/cart/items", data={"plan_id": per_call.id, "pack_calls": ""})
    html = page_text(buyer_client.get("/cart"))

    assert html.count("Traffic violations") >= 2
    assert "One-time purchase" in html and "Pay as you go, billed monthly" in html
    total = re.search(r'data-testid="cart-total">([^<]+)<', html).group(1)
    assert total == money(99_00)
    assert 'data-testid="cart-count">2<' in html

    item = db.exec(select(CartItem).where(CartItem.plan_id == one_time.id)).one()
    response = buyer_client.post(f"/cart/items/{item.id}/remove")
    assert response.status_code == 302
    forget(db)
    assert [i.plan_id for i in db.exec(select(CartItem))] == [per_call.id]


def test_admins_have_no_cart_in_the_menu(app, db, buyer_client):
    assert 'class="cart-link"' in page_text(buyer_client.get("/"))
    admin_page = page_text(logged_in_client(app, make_user(db, Role.ADMIN)).get("/"))
    assert 'class="cart-link"' not in admin_page and 'class="bell"' in admin_page


def test_someone_elses_cart_item_is_not_found(app, db, buyer_client, shop):
    listing, (plan,) = published_listing_with(db, shop, make_plan("one_time"))
    buyer_client.post("/cart/items", data={"plan_id": plan.id})
    item = db.exec(select(CartItem)).one()

    other = logged_in_client(app, make_user(db))
    assert other.post(f"/cart/items/{item.id}/remove").status_code == 404
    forget(db)
    assert count(db, CartItem) == 1


def test_checking_out_twice_with_the_same_attempt_makes_one_order(db, buyer_client, shop):
    listing, (plan,) = published_listing_with(db, shop, make_plan("one_time"))
    buyer_client.post("/cart/items", data={"plan_id": plan.id})

    first = checkout(buyer_client, attempt="same-click")
    second = checkout(buyer_client, attempt="same-click")

    assert first == second
    assert count(db, Order) == 1


def test_checking_out_an_empty_cart_says_so(buyer_client):
    response = buyer_client.post("/checkout", data={"attempt": "x"})
    assert response.status_code == 422
    assert "Your cart is empty." in page_text(response)


# ---------------------------------------------------------------------------- paying


def test_one_time_purchase_from_cart_to_receipt(app, db, buyer_client, shop, localstripe):
    listing, (plan,) = published_listing_with(db, shop, make_plan("one_time"),
                                              title="Enterprise tax payments 2024")
    number = buy_through_pages(buyer_client, plan)

    page = page_text(buyer_client.get(f"/orders/{number}/pay"))
    assert "Test payment — no real money moves" in page
    assert "4242424242424242" in page and "4000000000000002" in page  # declining cards too
    assert f"Pay {money(99_00)}" in page

    response = buyer_client.post(f"/orders/{number}/pay", data={"card": "visa_ok"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/orders/{number}"
    order = order_by_number(db, number)
    assert order.state == S.FULFILLED
    (entitlement,) = entitlements.for_order(db, order.id)
    assert entitlement.state == EntitlementState.ACTIVE

    html = page_text(buyer_client.get(f"/orders/{number}"))
    assert "Payment received; your entitlement is active" in html
    assert 'data-testid="order-state">Fulfilled<' in html
    assert "Payment received" in html and order.payment_intent_id in html
    (receipt,) = receipts(db, order.id)
    assert f'href="/receipts/{receipt.number}"' in html

    account = page_text(buyer_client.get("/account"))
    assert "Your entitlements" in account
    assert "Enterprise tax payments 2024" in account and ">Active<" in account

    receipt_page = page_text(buyer_client.get(f"/receipts/{receipt.number}"))
    assert re.search(rf'data-testid="receipt-amount">{re.escape(money(99_00))}<', receipt_page)
    assert shop.org.name in receipt_page and shop.org.credit_code in receipt_page
    assert order.payment_intent_id in receipt_page
    assert shop.buyer.email in receipt_page
    assert "/static/js/print.js" in receipt_page and "data-print" in receipt_page

    orders_page = page_text(buyer_client.get("/orders"))
    assert number in orders_page and "Fulfilled" in orders_page

    # Paying again is not offered: the pay page sends the buyer back to the order.
    again = buyer_client.get(f"/orders/{number}/pay")
    assert again.status_code == 302 and again.headers["Location"] == f"/orders/{number}"


def test_a_product_owned_says_so_and_buying_a_one_time_plan_again_warns(
        db, buyer_client, shop, localstripe):
    listing, (plan,) = published_listing_with(db, shop, make_plan("one_time"),
                                              title="Enterprise tax payments 2024")
    product = f"/products/{listing.product_id}"
    html = buyer_client.get(product).get_data(as_text=True)
    assert 'data-testid="owned-notice"' not in html
    assert f'data-testid="plan-owned-{plan.id}"' not in html

    number = buy_through_pages(buyer_client, plan)
    buyer_client.post(f"/orders/{number}/pay", data={"card": "visa_ok"})
    html = buyer_client.get(product).get_data(as_text=True)
    assert 'data-testid="owned-notice"' in html and "You own this product." in html
    assert 'href="/account/keys"' in html
    assert f'data-testid="plan-owned-{plan.id}"' in html

    # Adding it again is possible (more calls) but never without a warning.
    added = buyer_client.post("/cart/items", data={"plan_id": plan.id})
    assert added.status_code == 302
    cart_page = page_text(buyer_client.get("/cart"))
    assert "You already own this plan: checking it out again is a second purchase" in cart_page

    # A revoked entitlement is owned no more.
    (entitlement,) = entitlements.for_order(db, order_by_number(db, number).id)
    entitlements.change_state(db, entitlement, EntitlementState.REVOKED, reason="test")
    db.commit()
    assert 'data-testid="owned-notice"' not in buyer_client.get(product).get_data(as_text=True)


def test_declined_card_shows_the_reason_and_a_good_card_then_pays(db, buyer_client, shop,
                                                                 localstripe):
    listing, (plan,) = published_listing_with(db, shop, make_plan("one_time"))
    number = buy_through_pages(buyer_client, plan)

    response = buyer_client.post(f"/orders/{number}/pay", data={"card": "declined"})

    assert response.status_code == 422
    html = page_text(response)
    assert "Your card was declined. Try another card." in html
    assert "Nothing was charged and your order is kept" in html
    order = order_by_number(db, number)
    assert order.state == S.FAILED
    assert payment_events(db, order.id, PaymentEventKind.CHARGE_FAILED)
    assert entitlements.for_order(db, order.id) == []
    order_page = page_text(buyer_client.get(f"/orders/{number}"))
    assert "Payment failed" in order_page and "Pay now" in order_page

    retry = buyer_client.post(f"/orders/{number}/pay", data={"card": "visa_ok"})

    assert retry.status_code == 302
    order = order_by_number(db, number)
    assert order.state == S.FULFILLED
    assert [e.amount for e in payment_events(db, order.id, PaymentEventKind.CHARGE_SUCCEEDED)] \
        == [99_00]


def test_paying_without_choosing_a_card_asks_for_one(db, buyer_client, shop, localstripe):
    listing, (plan,) = published_listing_with(db, shop, make_plan("one_time"))
    number = buy_through_pages(buyer_client, plan)

    response = buyer_client.post(f"/orders/{number}/pay", data={})

    assert response.status_code == 422
    assert "Choose a test card to pay with." in page_text(response)
    assert order_by_number(db, number).state == S.PENDING_PAYMENT


def test_free_plan_is_got_with_one_button_and_no_payment_provider(db, buyer_client, shop):
    # No localstripe: the provider's address is a closed port, so a call to it would fail.
    listing, (plan,) = published_listing_with(db, shop, make_plan("free"))
    number = buy_through_pages(buyer_client, plan)

    page = page_text(buyer_client.get(f"/orders/{number}/pay"))
    assert "Get it free" in page and "Test payment" not in page

    response = buyer_client.post(f"/orders/{number}/pay", data={})

    assert response.status_code == 302
    order = order_by_number(db, number)
    assert order.state == S.FULFILLED
    assert len(entitlements.for_order(db, order.id)) == 1
    assert receipts(db, order.id) == []
    assert "Your order is complete" in page_text(buyer_client.get(f"/orders/{number}"))


def test_pay_as_you_go_alone_is_confirmed_not_paid_and_says_how_it_is_billed(
        db, buyer_client, shop, localstripe):
    _, (plan,) = published_listing_with(db, shop, make_plan("per_call"))
    number = buy_through_pages(buyer_client, plan, pack_calls="")
    pay_page = page_text(buyer_client.get(f"/orders/{number}/pay"))
    assert f"Pay {money(0)}" not in pay_page
    assert "Confirm the order" in pay_page
    assert "Nothing is charged now." in pay_page and "each month you pay" in pay_page

    buyer_client.post(f"/orders/{number}/pay", data={"card": "visa_ok"})
    order = order_by_number(db, number)
    assert (order.state, order.total) == (S.FULFILLED, 0)
    assert payment_events(db, order.id, PaymentEventKind.CHARGE_SUCCEEDED) == []


def test_a_call_pack_is_charged_its_shown_price_and_grants_its_calls(db, buyer_client, shop,
                                                                     localstripe):
    listing, (plan,) = published_listing_with(db, shop, make_plan("per_call"))
    product = page_text(buyer_client.get(f"/products/{listing.product_id}"))
    assert f"10,000 calls for {money(500_000)}" in product

    number = buy_through_pages(buyer_client, plan, pack_calls=10_000)
    pay_page = page_text(buyer_client.get(f"/orders/{number}/pay"))
    assert "Call pack of 10,000 calls" in pay_page and f"Pay {money(500_000)}" in pay_page
    buyer_client.post(f"/orders/{number}/pay", data={"card": "visa_ok"})

    order = order_by_number(db, number)
    assert (order.state, order.total) == (S.FULFILLED, 500_000)
    assert [e.amount for e in payment_events(db, order.id, PaymentEventKind.CHARGE_SUCCEEDED)] \
        == [500_000]
    (entitlement,) = entitlements.for_order(db, order.id)
    assert entitlement.quota == 10_000
    assert "10,000 calls" in page_text(buyer_client.get("/account"))


def test_membership_says_what_renews_and_when_and_can_be_cancelled(db, buyer_client, shop,
                                                                   localstripe):
    listing, (plan,) = published_listing_with(db, shop, make_plan("membership"),
                                              title="Risk level model")
    number = buy_through_pages(buyer_client, plan)

    pay_page = page_text(buyer_client.get(f"/orders/{number}/pay"))
    assert f"Monthly renews every month at {money(999_00)} until you cancel." in pay_page
    due = re.search(r"due a month after this one: on (.+?) if you pay today\.", pay_page).group(1)

    response = buyer_client.post(f"/orders/{number}/pay", data={"card": "visa_ok"})

    assert response.status_code == 302
    order = order_by_number(db, number)
    assert order.state == S.FULFILLED
    subscription = db.exec(select(Subscription)).one()
    renews = subscription.current_period_end
    assert renews is not None
    order_page = page_text(buyer_client.get(f"/orders/{number}"))
    # One renewal date: what the pay page promised is what the order and account pages say.
    assert re.search(r"Renews on ([^.]+)\.", order_page).group(1) == due
    account = page_text(buyer_client.get("/account"))
    assert "Memberships" in account and "Risk level model" in account
    period = re.search(r'data-testid="membership-period">\s*([^<]+?)\s*<', account).group(1)
    assert period == f"Renews on {due}."
    assert f'action="/subscriptions/{subscription.id}/cancel"' in account

    cancel = buyer_client.post(f"/subscriptions/{subscription.id}/cancel")

    assert cancel.status_code == 302
    forget(db)
    assert db.get(Subscription, subscription.id).cancel_at_period_end is True
    account = page_text(buyer_client.get("/account"))
    assert f"Your membership will not renew; you can use it until {due}." in account
    assert "Cancelled: usable until" in account
    assert f'action="/subscriptions/{subscription.id}/cancel"' not in account


def test_a_quote_is_requested_answered_accepted_and_paid(db, buyer_client, shop, localstripe):
    listing, (plan,) = published_listing_with(db, shop, make_plan("service_fee"),
                                              title="Custom credit analysis")

    short = buyer_client.post("/quotes", data={"plan_id": plan.id, "request": "Too short"})
    assert short.status_code == 422
    html = page_text(short)
    assert "Describe the job in at least 20 characters" in html
    assert ">Too short</textarea>" in html  # what the buyer typed is kept
    assert count(db, ServiceQuote) == 0

    text = "Score 5,000 suppliers against the blacklist by the end of the month."
    response = buyer_client.post("/quotes", data={"plan_id": plan.id, "request": text})
    assert response.status_code == 302 and response.headers["Location"] == "/account/quotes"
    quotes_page = page_text(buyer_client.get("/account/quotes"))
    assert text in quotes_page and "Waiting for the merchant's quote" in quotes_page

    forget(db)
    quote = db.exec(select(ServiceQuote)).one()
    quotes.send_quote(db, shop.merchant, quote, amount=6_000_00, calls=500,
                      valid_days=30, note="Delivered in 5 days.")
    db.commit()
    quotes_page = page_text(buyer_client.get("/account/quotes"))
    assert money(6_000_00) in quotes_page and "Delivered in 5 days." in quotes_page
    assert "500 calls, usable for 30 days after payment" in quotes_page
    assert f'action="/quotes/{quote.id}/accept"' in quotes_page

    accept = buyer_client.post(f"/quotes/{quote.id}/accept")
    assert accept.status_code == 302 and accept.headers["Location"] == "/cart"
    cart_page = page_text(buyer_client.get("/cart"))
    assert "Quoted service" in cart_page and money(6_000_00) in cart_page
    number = checkout(buyer_client)
    buyer_client.post(f"/orders/{number}/pay", data={"card": "visa_ok"})

    order = order_by_number(db, number)
    assert (order.state, order.total) == (S.FULFILLED, 6_000_00)
    assert db.get(ServiceQuote, quote.id).state == QuoteState.ACCEPTED


def test_a_quote_request_can_be_withdrawn_by_its_buyer_only(app, db, buyer_client, shop):
    listing, (plan,) = published_listing_with(db, shop, make_plan("service_fee"))
    quote = quotes.request_quote(db, shop.buyer, plan, "A scoped job described at length.")
    db.commit()

    other = logged_in_client(app, make_user(db))
    assert other.post(f"/quotes/{quote.id}/withdraw").status_code == 403
    assert other.post(f"/quotes/{quote.id}/accept").status_code == 403
    assert buyer_client.post(f"/quotes/{quote.id}/withdraw").status_code == 302

    forget(db)
    assert db.get(ServiceQuote, quote.id).state == QuoteState.WITHDRAWN
    assert "Withdrawn" in page_text(buyer_client.get("/account/quotes"))


def test_an_unpaid_order_can_be_cancelled(db, buyer_client, shop):
    listing, (plan,) = published_listing_with(db, shop, make_plan("one_time"))
    number = buy_through_pages(buyer_client, plan)
    assert "Cancel this order" in page_text(buyer_client.get(f"/orders/{number}"))

    response = buyer_client.post(f"/orders/{number}/cancel")

    assert response.status_code == 302
    assert order_by_number(db, number).state == S.CANCELLED
    html = page_text(buyer_client.get(f"/orders/{number}"))
    assert "is cancelled; nothing was charged" in html
    assert "Cancel this order" not in html and "Pay now" not in html
    assert buyer_client.get(f"/orders/{number}/pay").status_code == 302


# ---------------------------------------------------------------------------- who sees what


def test_another_buyer_cannot_see_or_pay_my_order_or_receipt(app, db, buyer_client, shop,
                                                             localstripe):
    listing, (plan,) = published_listing_with(db, shop, make_plan("one_time"))
    number = buy_through_pages(buyer_client, plan)
    buyer_client.post(f"/orders/{number}/pay", data={"card": "visa_ok"})
    (receipt,) = receipts(db, order_by_number(db, number).id)

    other = logged_in_client(app, make_user(db))
    assert other.get(f"/orders/{number}").status_code == 403
    assert other.get(f"/receipts/{receipt.number}").status_code == 403
    assert other.get(f"/orders/{number}/pay").status_code == 403
    assert other.post(f"/orders/{number}/cancel").status_code == 403
    assert number not in page_text(other.get("/orders"))

    # The merchant whose product it is may read the order; anonymous visitors are sent to log in.
    assert logged_in_client(app, shop.merchant).get(f"/orders/{number}").status_code == 200
    anonymous = app.test_client().get(f"/receipts/{receipt.number}")
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/login")
    assert buyer_client.get("/receipts/R000000-NOPE-1").status_code == 404


def test_another_buyer_cannot_cancel_my_membership(app, db, buyer_client, shop, payments):
    """A real membership, bought and paid through the pages; another buyer posts its cancel."""
    listing, (plan,) = published_listing_with(db, shop, make_plan("membership"))
    number = buy_through_pages(buyer_client, plan)
    assert buyer_client.post(f"/orders/{number}/pay", data={"card": "visa_ok"}).status_code == 302
    subscription = db.exec(select(Subscription)).one()
    assert subscription.buyer_id == shop.buyer.id and subscription.status == "active"
    other = logged_in_client(app, make_user(db))

    response = other.post(f"/subscriptions/{subscription.id}/cancel")

    assert response.status_code == 403
    forget(db)
    assert db.get(Subscription, subscription.id).cancel_at_period_end is False
    assert not payments.retrieve_subscription(subscription.provider_id).cancel_at_period_end
    # The owner still can.
    assert buyer_client.post(f"/subscriptions/{subscription.id}/cancel").status_code == 302
    forget(db)
    assert db.get(Subscription, subscription.id).cancel_at_period_end is True
    assert other.post("/subscriptions/999999/cancel").status_code == 404


# ---------------------------------------------------------------------------- hosted checkout


def test_with_real_stripe_the_pay_button_goes_to_the_hosted_page(app, db, buyer_client, shop):
    """Real Stripe (recorded responses): the buyer is sent to Stripe Checkout with our order."""
    listing, (plan,) = published_listing_with(db, shop, make_plan("one_time"))
    number = buy_through_pages(buyer_client, plan)
    recorded = RecordedStripe((200, {"id": "cus_recorded", "object": "customer"}),
                              (200, CHECKOUT_SESSION))
    app.extensions["payments"] = StripePayments(
        secret_key="sk_test_recorded", webhook_secret="whsec_x", http_client=recorded)

    page = page_text(buyer_client.get(f"/orders/{number}/pay"))
    assert "Continue to secure payment" in page and "Test payment" not in page
    response = buyer_client.post(f"/orders/{number}/pay", data={})

    assert response.status_code == 303
    assert response.headers["Location"] == CHECKOUT_SESSION["url"]
    (_, _customer_url, _), (_, url, form) = recorded.requests
    assert url.endswith("/v1/checkout/sessions")
    assert form["metadata[order_number]"] == [number]
    assert form["line_items[0][price_data][unit_amount]"] == ["9900"]
    assert form["success_url"][0].endswith(f"/orders/{number}")
    assert order_by_number(db, number).state == S.PENDING_PAYMENT


# ---------------------------------------------------------------------------- webhook


def test_a_webhook_with_a_bad_signature_is_refused_and_changes_nothing(app, db, client):
    body = json.dumps({"id": "evt_forged", "type": "payment_intent.succeeded", "created": 1,
                       "data": {"object": {"id": "pi_x", "amount": 1}}}).encode()

    forged = post_webhook(client, body, stripe_signature(body, "whsec_not_ours"))
    unsigned = post_webhook(client, body, None)

    for response in (forged, unsigned):
        assert response.status_code == 400
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["status"] == 400
    assert count(db, ProcessedWebhook) == 0


def test_a_signed_webhook_is_recorded_once(app, db, client):
    body = json.dumps({"id": "evt_other", "type": "customer.created", "created": 1,
                       "data": {"object": {"id": "cus_1"}}}).encode()
    signature = stripe_signature(body, app.config["STRIPE_WEBHOOK_SECRET"])

    first = post_webhook(client, body, signature)
    replay = post_webhook(client, body, signature)

    assert first.status_code == 200
    assert first.get_json() == {"received": True, "outcome": "ignored: not handled"}
    assert replay.get_json() == {"received": True, "outcome": "duplicate"}
    assert count(db, ProcessedWebhook) == 1


def test_a_webhook_that_fails_while_handled_is_rolled_back_for_a_retry(app, db, client):
    # An invoice event makes the handler ask the provider, which is unreachable here.
    body = json.dumps({"id": "evt_fails", "type": "invoice.paid", "created": 1,
                       "data": {"object": {"id": "in_unknown"}}}).encode()

    response = post_webhook(client, body,
                            stripe_signature(body, app.config["STRIPE_WEBHOOK_SECRET"]))

    assert response.status_code == 500
    assert count(db, ProcessedWebhook) == 0
    assert count(db, PaymentEvent) == 0


def test_orders_and_quotes_pages_have_empty_states(buyer_client):
    assert "No orders yet." in page_text(buyer_client.get("/orders"))
    assert "No quote requests yet." in page_text(buyer_client.get("/account/quotes"))
    account = page_text(buyer_client.get("/account"))
    assert "No entitlements yet." in account and "No memberships." in account


def test_a_retired_listings_plan_cannot_be_added(db, buyer_client, shop):
    listing = make_listing(db, shop.merchant, shop.org, state=ListingState.RETIRED,
                           admin=shop.admin)
    plan, _membership = plans_for(db, listing.id)
    response = buyer_client.post("/cart/items", data={"plan_id": plan.id})

    assert response.status_code == 302
    assert response.headers["Location"] == f"/products/{listing.product_id}"
    assert count(db, CartItem) == 0


def test_the_pay_step_reads_the_orders_lines_once(app, db, buyer_client, shop, localstripe):
    """What paying needs (lines, membership, pay-as-you-go part) is read once per request and
    passed down, not asked again by each step."""
    _, (plan,) = published_listing_with(db, shop, make_plan("one_time"))
    number = buy_through_pages(buyer_client, plan)
    reads: list[str] = []

    def count_line_reads(_conn, _cursor, statement, *_args):
        # The order's whole lines (the access check reads only their merchants).
        if "order_line.plan_terms" in statement and "order_line.order_id =" in statement:
            reads.append(statement)

    engine = get_engine(app)
    event.listen(engine, "before_cursor_execute", count_line_reads)
    try:
        response = buyer_client.post(f"/orders/{number}/pay", data={"card": "visa_ok"})
    finally:
        event.remove(engine, "before_cursor_execute", count_line_reads)
    assert response.status_code == 302
    assert order_by_number(db, number).state == OrderState.FULFILLED
    assert len(reads) == 1, reads
