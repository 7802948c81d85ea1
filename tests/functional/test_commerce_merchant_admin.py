"""The merchant's and the admin's side of commerce: sales, statements and their CSV, refunds,
commission rates, payouts and quotes.

Paid orders are made through the real services (cart, checkout, then the charge recorded as the
payment provider would report it); refunds call the provider, so those tests pay through
localstripe first.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import timedelta

import pytest
from sqlmodel import select

from marketplace import create_app
from marketplace.accounts.models import Role, User
from marketplace.audit.models import AuditEntry
from marketplace.base import utcnow
from marketplace.catalog import services as catalog
from marketplace.catalog.lifecycle import Transition
from marketplace.catalog.models import Listing, ListingState, PricingModel
from marketplace.commerce import ledger
from marketplace.commerce.models import (
    CommissionRate,
    LedgerEntry,
    Order,
    OrderState,
    Payout,
    QuoteState,
)
from marketplace.commerce.orders import cart, fulfilment, quotes
from marketplace.commerce.payments.flow import pay_with_test_card
from marketplace.db import get_engine
from marketplace.delivery import entitlements
from marketplace.delivery.models import EntitlementState
from tests.conftest import IsolatedRequestsClient
from tests.factories import (
    PASSWORD,
    forget,
    listing_content,
    logged_in_client,
    make_listing,
    make_merchant,
    make_user,
    page_text,
    plans,
)

PACK = 1_000  # calls; the factory's per-call tiers price a pack of 1,000 at 500.00 yuan
PACK_PRICE = 500_00


# ---------------------------------------------------------------------------- helpers


@pytest.fixture
def admin(db) -> User:
    return make_user(db, Role.ADMIN, name="Operator")


@pytest.fixture
def shop(db, admin):
    """A verified merchant with one published per-call product, and a buyer."""
    merchant, org = make_merchant(db)
    listing = make_listing(db, merchant, org, state=ListingState.PUBLISHED, admin=admin)
    buyer = named_buyer(db, "Bank Buyer")
    return merchant, org, listing, buyer


def named_buyer(db, display_name: str) -> User:
    """A buyer whose display name has spaces (the factory puts names in e-mail addresses)."""
    user = make_user(db)
    user.display_name = display_name
    db.add(user)
    db.commit()
    return user


def _per_call_plan(db, listing: Listing):
    return next(p for p in catalog.plans_for(db, listing.id) if p.model == PricingModel.PER_CALL)


def checked_out(db, buyer: User, *listings: Listing) -> Order:
    """An order awaiting payment for a 1,000-call pack of each listing."""
    for listing in listings:
        cart.add(db, buyer, _per_call_plan(db, listing).id, pack_calls=PACK)
    order = cart.checkout(db, buyer, attempt=uuid.uuid4().hex)
    db.commit()
    return order


def paid_order(db, buyer: User, *listings: Listing) -> Order:
    """A fulfilled order, its charge recorded as the provider would report it."""
    order = checked_out(db, buyer, *listings)
    assert fulfilment.record_charge(db, order, amount=order.total,
                                    provider_ref=f"pi_test_{uuid.uuid4().hex[:16]}")
    db.commit()
    return order


def published_listing(db, merchant, org, admin, model_plans, **content) -> Listing:
    listing = catalog.create_listing(db, merchant, org, listing_content(**content), model_plans)
    db.commit()
    catalog.submit(db, merchant, listing)
    db.commit()
    catalog.decide(db, admin, listing, Transition.APPROVE, "")
    db.commit()
    assert listing.state == ListingState.PUBLISHED
    return listing


def refund_key() -> str:
    return uuid.uuid4().hex


def entitlement_state(db, order: Order) -> str:
    forget(db)
    (entitlement,) = entitlements.for_order(db, order.id)
    return entitlement.state


# ---------------------------------------------------------------------------- access


def test_commerce_pages_are_refused_to_the_wrong_people(app, db, admin, shop):
    merchant, _org, _listing, buyer = shop
    buyer_client = logged_in_client(app, buyer)
    merchant_client = logged_in_client(app, merchant)
    for url in ("/merchant/sales", "/merchant/statement", "/merchant/statement.csv",
                "/merchant/quotes"):
        assert buyer_client.get(url).status_code == 403, url
        assert app.test_client().get(url).status_code == 302, url  # sent to log in
    for url in ("/admin/orders", "/admin/commission", "/admin/payouts"):
        assert merchant_client.get(url).status_code == 403, url
        assert buyer_client.get(url).status_code == 403, url
    response = merchant_client.post("/admin/payouts", data={"organization": "1",
                                                           "amount": "1", "reference": "x"})
    assert response.status_code == 403
    assert db.exec(select(Payout)).first() is None


def test_admin_nav_links_to_the_commerce_pages(app, admin):
    page = logged_in_client(app, admin).get("/admin").get_data(as_text=True)
    for url in ("/admin/orders", "/admin/commission", "/admin/payouts"):
        assert f'href="{url}"' in page


# ---------------------------------------------------------------------------- sales


def test_sales_lists_the_merchants_orders_with_buyer_names_only(app, db, admin, shop):
    merchant, org, listing, buyer = shop
    other_merchant, other_org = make_merchant(db)
    other_listing = make_listing(db, other_merchant, other_org, state=ListingState.PUBLISHED,
                                 admin=admin, title="Traffic violation query")
    own = paid_order(db, buyer, listing)
    mixed = paid_order(db, named_buyer(db, "Insurer Buyer"), listing, other_listing)
    theirs = paid_order(db, named_buyer(db, "Logistics Buyer"), other_listing)
    unpaid = checked_out(db, named_buyer(db, "Late Buyer"), listing)

    response = logged_in_client(app, merchant).get("/merchant/sales")
    assert response.status_code == 200
    page = page_text(response)
    assert own.number in page and mixed.number in page and unpaid.number in page
    assert theirs.number not in page
    assert "Bank Buyer" in page and "Insurer Buyer" in page
    assert buyer.email not in page
    assert "Traffic violation query" not in page  # the other merchant's line of the mixed order
    # Newest first.
    assert page.index(unpaid.number) < page.index(mixed.number) < page.index(own.number)
    # A refund action only where the merchant owns every line of a paid order.
    assert f"/merchant/orders/{own.number}/refund" in page
    assert f"/merchant/orders/{mixed.number}/refund" not in page
    assert f"/merchant/orders/{unpaid.number}/refund" not in page

    filtered = page_text(logged_in_client(app, merchant).get(
        "/merchant/sales?state=pending_payment"))
    assert unpaid.number in filtered and own.number not in filtered


def test_sales_page_has_an_empty_state(app, db):
    merchant, _org = make_merchant(db)
    page = page_text(logged_in_client(app, merchant).get("/merchant/sales"))
    assert "No sales yet." in page


# ---------------------------------------------------------------------------- statement


def _statement_rows(page: str) -> str:
    return page[page.index("statement-table"):]


def test_statement_splits_a_sale_with_the_default_ten_percent(app, db, shop):
    merchant, org, listing, buyer = shop
    order = paid_order(db, buyer, listing)

    response = logged_in_client(app, merchant).get("/merchant/statement")
    assert response.status_code == 200
    page = page_text(response)
    rows = _statement_rows(page)
    assert order.number in rows and "Sale" in rows
    assert "¥500.00" in rows  # paid by the buyer
    assert "¥50.00" in rows  # the platform's 10 %
    assert "¥450.00" in rows  # the merchant's share
    assert "10%" in page
    assert re.search(r'data-testid="balance">[^<]*450\.00<', page)
    assert re.search(r'data-testid="commission">[^<]*50\.00<', page)
    assert ledger.balance(db, org.id) == 450_00


def test_statement_uses_the_merchants_own_rate_set_by_the_admin(app, db, admin, shop):
    merchant, org, listing, buyer = shop
    admin_client = logged_in_client(app, admin)

    response = admin_client.post("/admin/commission/overrides",
                                 data={"organization": str(org.id), "rate": "12.5"})
    assert response.status_code == 302
    forget(db)
    assert ledger.rate_for(db, org.id) == 1250
    assert db.exec(select(AuditEntry).where(AuditEntry.action == "commission.set")).first()
    page = page_text(admin_client.get("/admin/commission"))
    assert org.name in page and "12.5%" in page

    paid_order(db, buyer, listing)
    rows = _statement_rows(page_text(logged_in_client(app, merchant).get("/merchant/statement")))
    assert "¥62.50" in rows and "¥437.50" in rows and "12.5%" in rows

    # Cleared: the next payment pays the default again, the first keeps its rate.
    assert admin_client.post(f"/admin/commission/{org.id}/clear").status_code == 302
    forget(db)
    assert db.exec(select(CommissionRate).where(
        CommissionRate.organization_id == org.id)).first() is None
    paid_order(db, make_user(db), listing)
    assert ledger.balance(db, org.id) == 437_50 + 450_00


def test_admin_changes_the_default_rate_and_bad_rates_are_refused(app, db, admin, shop):
    merchant, org, listing, buyer = shop
    admin_client = logged_in_client(app, admin)

    response = admin_client.post("/admin/commission/default", data={"rate": "101"})
    assert response.status_code == 422
    assert "The commission is between 0 and 100 %." in page_text(response)
    response = admin_client.post("/admin/commission/default", data={"rate": "ten"})
    assert response.status_code == 422
    assert "Write the rate in percent" in page_text(response)
    assert 'value="ten"' in page_text(response)
    response = admin_client.post("/admin/commission/overrides",
                                 data={"organization": "0", "rate": "5"})
    assert response.status_code == 422
    assert "Choose the merchant this rate is for." in page_text(response)

    assert admin_client.post("/admin/commission/default", data={"rate": "8"}).status_code == 302
    forget(db)
    assert ledger.default_rate(db) == 800
    paid_order(db, buyer, listing)
    assert ledger.commission_for(db, org.id) == 40_00
    assert "8%" in page_text(logged_in_client(app, merchant).get("/merchant/statement"))


def test_statement_shows_the_chosen_month_only(app, db, shop):
    merchant, org, listing, buyer = shop
    paid_order(db, buyer, listing)
    # Move the sale two months back.
    earlier = utcnow().replace(day=1) - timedelta(days=40)
    for entry in db.exec(select(LedgerEntry).where(LedgerEntry.organization_id == org.id)):
        entry.created_at = earlier
        db.add(entry)
    db.commit()
    client = logged_in_client(app, merchant)

    this_month = page_text(client.get("/merchant/statement"))
    assert "No entries in this month." in this_month
    assert re.search(r'data-testid="balance">[^<]*450\.00<', this_month)  # the balance is all-time
    that_month = page_text(client.get(f"/merchant/statement?month={earlier:%Y-%m}"))
    assert "¥450.00" in _statement_rows(that_month)

    response = client.get("/merchant/statement?month=2025-13")
    assert response.status_code == 422
    assert "Choose a month, written as YYYY-MM" in page_text(response)


def test_statement_csv_has_the_rows_and_neutralises_formulas(app, db, admin):
    merchant, org = make_merchant(db)
    listing = make_listing(db, merchant, org, state=ListingState.PUBLISHED, admin=admin,
                           title="=HYPERLINK(\"http://evil.example\",\"open\")")
    paid_order(db, make_user(db), listing)
    month = f"{utcnow():%Y-%m}"

    response = logged_in_client(app, merchant).get(f"/merchant/statement.csv?month={month}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and f"{month}.csv" in disposition
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:5] == ["date", "kind", "order", "product", "amount"]
    (sale,) = rows[1:]
    assert sale[1] == "sale" and sale[4] == "450.00" and sale[6] == "10.00%"
    assert sale[3].startswith("'=HYPERLINK")
    assert not any(cell.startswith("=") for row in rows for cell in row)

    # Another merchant's CSV has none of it.
    other, _other_org = make_merchant(db)
    other_csv = logged_in_client(app, other).get(f"/merchant/statement.csv?month={month}")
    assert len(list(csv.reader(io.StringIO(other_csv.get_data(as_text=True))))) == 1


# ---------------------------------------------------------------------------- payouts


def test_payout_reduces_the_balance_and_cannot_exceed_it(app, db, admin, shop):
    merchant, org, listing, buyer = shop
    paid_order(db, buyer, listing)
    admin_client = logged_in_client(app, admin)

    page = page_text(admin_client.get("/admin/payouts"))
    assert org.name in page and "¥450.00" in page

    response = admin_client.post("/admin/payouts", data={
        "organization": str(org.id), "amount": "450.01", "reference": "ICBC-0001"})
    assert response.status_code == 422
    assert "The merchant's balance is only 450.00." in page_text(response)
    assert 'value="450.01"' in page_text(response)
    response = admin_client.post("/admin/payouts", data={
        "organization": str(org.id), "amount": "1,2.3", "reference": "ICBC-0001"})
    assert response.status_code == 422
    assert "Write the amount in yuan" in page_text(response)
    response = admin_client.post("/admin/payouts", data={
        "organization": str(org.id), "amount": "100", "reference": ""})
    assert response.status_code == 422
    assert "Give the bank transfer's reference." in page_text(response)
    forget(db)
    assert db.exec(select(Payout)).first() is None

    response = admin_client.post("/admin/payouts", data={
        "organization": str(org.id), "amount": "200.50",
        "reference": "ICBC-0001", "note": "November"})
    assert response.status_code == 302
    forget(db)
    (payout,) = db.exec(select(Payout)).all()
    assert payout.amount == 200_50 and payout.reference == "ICBC-0001"
    assert ledger.balance(db, org.id) == 249_50
    assert db.exec(select(AuditEntry).where(AuditEntry.action == "payout.record")).first()

    page = page_text(admin_client.get("/admin/payouts"))
    assert "ICBC-0001" in page and "¥249.50" in page
    statement = page_text(logged_in_client(app, merchant).get("/merchant/statement"))
    assert "Payout" in _statement_rows(statement)
    assert re.search(r"-[^<]*200\.50<", _statement_rows(statement))
    assert re.search(r'data-testid="balance">[^<]*249\.50<', statement)


# ---------------------------------------------------------------------------- refunds


@pytest.fixture
def card_paid(db, localstripe, payments, shop):
    """An order for the shop's product paid with a test card through localstripe."""
    _merchant, _org, listing, buyer = shop
    order = checked_out(db, buyer, listing)
    pay_with_test_card(db, payments, buyer, order, "visa_ok")
    assert order.state == OrderState.FULFILLED
    return order


def test_admin_refunds_part_then_all_and_the_full_refund_revokes(app, db, admin, shop,
                                                                card_paid):
    _merchant, org, _listing, _buyer = shop
    order = card_paid
    client = logged_in_client(app, admin)
    url = f"/admin/orders/{order.number}"

    page = page_text(client.get(url))
    # The amount starts empty (one click must not refund everything); the page says what is
    # left, and an empty amount is refused rather than taken as everything.
    assert re.search(r'<input[^>]*name="amount"(?![^>]*value="[^"])', page)
    assert re.search(r"At most \S*500\.00\S* can still be refunded\.", page)
    assert "Payment received" in page and "Active" in page
    response = client.post(f"{url}/refund", data={
        "amount": "", "reason": "Nothing typed.", "request_key": refund_key()})
    assert response.status_code == 422 and "Enter an amount in yuan." in page_text(response)
    assert fulfilment.refunded_amount(db, order.id) == 0

    response = client.post(f"{url}/refund", data={
        "amount": "100.00", "reason": "Part of the data was late.", "request_key": refund_key()})
    assert response.status_code == 302
    forget(db)
    order = db.get(Order, order.id)
    assert order.state == OrderState.PARTLY_REFUNDED
    assert fulfilment.refunded_amount(db, order.id) == 100_00
    assert entitlement_state(db, order) == EntitlementState.ACTIVE
    assert ledger.balance(db, org.id) == 450_00 - 90_00

    response = client.post(f"{url}/refund", data={
        "amount": "400.01", "reason": "Everything else.", "request_key": refund_key()})
    assert response.status_code == 422
    assert "At most 400.00 CNY can still be refunded on this order." in page_text(response)
    assert 'value="400.01"' in page_text(response)
    response = client.post(f"{url}/refund", data={
        "amount": "400", "reason": "", "request_key": refund_key()})
    assert response.status_code == 422
    assert "Say why the order is refunded." in page_text(response)

    response = client.post(f"{url}/refund", data={
        "amount": "400", "reason": "The buyer cancelled.", "request_key": refund_key()})
    assert response.status_code == 302
    forget(db)
    order = db.get(Order, order.id)
    assert order.state == OrderState.REFUNDED
    assert entitlement_state(db, order) == EntitlementState.REVOKED
    assert ledger.balance(db, org.id) == 0 and ledger.commission_for(db, org.id) == 0

    page = page_text(client.get(url))
    assert re.search(r'data-testid="order-state">Refunded<', page)
    assert re.search(r'data-testid="entitlement-state">Revoked<', page)
    assert "Commission returned" in page
    assert 'name="request_key"' not in page  # nothing left to refund


def test_a_refund_form_sent_twice_refunds_once(app, db, admin, card_paid):
    client = logged_in_client(app, admin)
    data = {"amount": "50", "reason": "Double click.", "request_key": refund_key()}
    url = f"/admin/orders/{card_paid.number}/refund"
    assert client.post(url, data=data).status_code == 302
    response = client.post(url, data=data, follow_redirects=True)
    assert "This refund was already requested." in page_text(response)
    forget(db)
    assert fulfilment.refunded_amount(db, card_paid.id) == 50_00


def test_merchant_refunds_its_own_order_but_not_anothers(app, db, admin, shop, card_paid):
    merchant, org, listing, buyer = shop
    client = logged_in_client(app, merchant)
    url = f"/merchant/orders/{card_paid.number}/refund"

    page = page_text(client.get(url))
    assert "Bank Buyer" in page and buyer.email not in page
    response = client.post(url, data={"amount": "500", "reason": "Wrong product bought.",
                                      "request_key": refund_key()})
    assert response.status_code == 302
    forget(db)
    assert db.get(Order, card_paid.id).state == OrderState.REFUNDED
    assert entitlement_state(db, card_paid) == EntitlementState.REVOKED

    # Another merchant's order, and an order mixing both merchants' products.
    other_merchant, other_org = make_merchant(db)
    other_listing = make_listing(db, other_merchant, other_org, state=ListingState.PUBLISHED,
                                 admin=admin)
    theirs = paid_order(db, make_user(db), other_listing)
    mixed = paid_order(db, make_user(db), listing, other_listing)
    for number in (theirs.number, mixed.number):
        assert client.get(f"/merchant/orders/{number}/refund").status_code == 403
        response = client.post(f"/merchant/orders/{number}/refund", data={
            "amount": "1", "reason": "Not mine.", "request_key": refund_key()})
        assert response.status_code == 403
    assert client.get("/merchant/orders/DM000000-NOSUCH/refund").status_code == 404
    forget(db)
    assert fulfilment.refunded_amount(db, theirs.id) == 0
    assert fulfilment.refunded_amount(db, mixed.id) == 0
    # A merchant cannot use the admin's refund route either.
    response = client.post(f"/admin/orders/{card_paid.number}/refund", data={
        "amount": "1", "reason": "x", "request_key": refund_key()})
    assert response.status_code == 403


def test_a_refund_the_provider_refuses_is_shown_on_the_form(app, db, admin, shop, localstripe):
    _merchant, _org, listing, buyer = shop
    order = paid_order(db, buyer, listing)  # its payment is unknown to the provider
    response = logged_in_client(app, admin).post(
        f"/admin/orders/{order.number}/refund",
        data={"amount": "10", "reason": "Test.", "request_key": refund_key()})
    assert response.status_code == 422
    assert 'class="form-errors"' in page_text(response)
    forget(db)
    assert db.get(Order, order.id).state == OrderState.FULFILLED
    assert fulfilment.refunded_amount(db, order.id) == 0


def test_an_unpaid_order_offers_no_refund(app, db, admin, shop):
    merchant, _org, listing, buyer = shop
    order = checked_out(db, buyer, listing)
    page = page_text(logged_in_client(app, admin).get(f"/admin/orders/{order.number}"))
    assert "Nothing was paid for this order" in page
    response = logged_in_client(app, merchant).post(
        f"/merchant/orders/{order.number}/refund",
        data={"amount": "1", "reason": "Why not.", "request_key": refund_key()})
    assert response.status_code == 422
    assert "At most 0.00 CNY can still be refunded on this order." in page_text(response)


# ---------------------------------------------------------------------------- admin orders


def test_admin_orders_filter_by_state_buyer_email_and_number(app, db, admin, shop):
    _merchant, _org, listing, buyer = shop
    paid = paid_order(db, buyer, listing)
    other_buyer = named_buyer(db, "Second Buyer")
    pending = checked_out(db, other_buyer, listing)
    client = logged_in_client(app, admin)

    page = page_text(client.get("/admin/orders"))
    assert paid.number in page and pending.number in page
    page = page_text(client.get("/admin/orders?state=fulfilled"))
    assert paid.number in page and pending.number not in page
    page = page_text(client.get(f"/admin/orders?q={other_buyer.email.upper()}"))
    assert pending.number in page and paid.number not in page
    page = page_text(client.get(f"/admin/orders?q={paid.number[-6:]}"))
    assert paid.number in page and pending.number not in page
    page = page_text(client.get("/admin/orders?q=nobody-at-all"))
    assert "No order matches these filters." in page

    detail = page_text(client.get(f"/admin/orders/{paid.number}"))
    assert listing.title in detail and buyer.email in detail
    assert "Receipt R" in detail and "Sale" in detail and "Commission" in detail
    assert client.get("/admin/orders/DM000000-NOSUCH").status_code == 404


# ---------------------------------------------------------------------------- quotes


@pytest.fixture
def quote_request(db, admin):
    merchant, org = make_merchant(db)
    listing = published_listing(db, merchant, org, admin, plans("service_fee"),
                                title="Custom credit analysis")
    (plan,) = catalog.plans_for(db, listing.id)
    buyer = named_buyer(db, "Research Buyer")
    quote = quotes.request_quote(db, buyer, plan, "Score 5,000 companies by Friday, "
                                                  "using our own list of credit codes.")
    db.commit()
    return merchant, buyer, quote


def test_merchant_answers_a_quote_and_the_buyer_sees_it(app, db, quote_request):
    merchant, buyer, quote = quote_request
    client = logged_in_client(app, merchant)
    page = page_text(client.get("/merchant/quotes"))
    assert "Score 5,000 companies by Friday" in page and "Research Buyer" in page
    assert buyer.email not in page
    field = f"quote-{quote.id}-amount"
    url = f"/merchant/quotes/{quote.id}/answer"

    response = client.post(url, data={field: "4,999.99", f"quote-{quote.id}-note": "Too low"})
    assert response.status_code == 422
    assert "Quote at least the plan's starting price" in page_text(response)
    assert 'value="4,999.99"' in page_text(response)
    # The price alone is not a quote: what it buys must be said, within bounds.
    response = client.post(url, data={field: "6,000.5", f"quote-{quote.id}-calls": "",
                                      f"quote-{quote.id}-valid_days": "30"})
    assert response.status_code == 422
    assert "Say how many calls the price includes" in page_text(response)
    response = client.post(url, data={field: "6,000.5", f"quote-{quote.id}-calls": "10",
                                      f"quote-{quote.id}-valid_days": str(2**70)})
    assert response.status_code == 422
    assert "Number must be between 1 and 1095." in page_text(response)
    response = client.post(url, data={field: "6,000.5", f"quote-{quote.id}-note":
                                      "Delivered as CSV within 3 days.",
                                      f"quote-{quote.id}-calls": "5000",
                                      f"quote-{quote.id}-valid_days": "60"})
    assert response.status_code == 302
    forget(db)
    (seen,) = quotes.for_buyer(db, buyer.id)
    assert seen.state == QuoteState.QUOTED and seen.amount == 6_000_50
    assert (seen.calls, seen.valid_days) == (5_000, 60)
    assert "5,000 calls, usable for 60 days after payment" in page_text(
        client.get("/merchant/quotes"))
    assert seen.merchant_note == "Delivered as CSV within 3 days."
    notice = page_text(logged_in_client(app, buyer).get("/notifications"))
    assert "The merchant sent you a quote for “Custom credit analysis”." in notice

    # The buyer can now accept it through the cart.
    cart.add(db, buyer, seen.plan_id, quote=seen)
    order = cart.checkout(db, buyer, attempt="accept-quote")
    db.commit()
    assert order.total == 6_000_50
    assert "Accepted" in page_text(client.get("/merchant/quotes"))


def test_merchant_declines_a_quote_and_others_cannot_answer(app, db, quote_request):
    merchant, _buyer, quote = quote_request
    other, _org = make_merchant(db)
    other_client = logged_in_client(app, other)
    assert "Score 5,000" not in page_text(other_client.get("/merchant/quotes"))
    response = other_client.post(f"/merchant/quotes/{quote.id}/answer",
                                 data={f"quote-{quote.id}-amount": "9000"})
    assert response.status_code == 403
    assert other_client.post(f"/merchant/quotes/{quote.id}/decline").status_code == 403

    client = logged_in_client(app, merchant)
    assert client.post(f"/merchant/quotes/{quote.id}/decline").status_code == 302
    forget(db)
    assert db.get(type(quote), quote.id).state == QuoteState.DECLINED
    response = client.post(f"/merchant/quotes/{quote.id}/answer",
                           data={f"quote-{quote.id}-amount": "9000"}, follow_redirects=True)
    assert "This quote can no longer be changed." in page_text(response)


# ---------------------------------------------------------------------------- both languages


def test_the_pages_render_in_chinese(app, db, admin, shop, quote_request):
    merchant, org, listing, buyer = shop
    order = paid_order(db, buyer, listing)
    db.add(Payout(organization_id=org.id, amount=1_00, reference="ICBC-9", recorded_by=admin.id))
    db.commit()
    pages = [
        (merchant, ["/merchant/sales", "/merchant/statement",
                    f"/merchant/orders/{order.number}/refund"]),
        (quote_request[0], ["/merchant/quotes"]),
        (admin, ["/admin/orders", f"/admin/orders/{order.number}", "/admin/commission",
                 "/admin/payouts"]),
    ]
    for user, urls in pages:
        client = logged_in_client(app, user)
        client.post("/language", data={"lang": "zh_Hans"})
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            assert '<html lang="zh-Hans">' in response.get_data(as_text=True), url


def test_the_statement_names_its_month_as_each_language_writes_it(app, db, shop):
    merchant = shop[0]
    client = logged_in_client(app, merchant)
    assert "Entries for December 2026" in page_text(client.get("/merchant/statement?month=2026-12"))
    client.post("/language", data={"lang": "zh_Hans"})
    chinese = page_text(client.get("/merchant/statement?month=2026-12"))
    assert "2026年12月的记录" in chinese and "十二月 2026" not in chinese


# ---------------------------------------------------------------------------- CSRF


@pytest.fixture
def csrf_app(app_config):
    """The app with CSRF protection on, as in production (the other tests turn it off)."""
    application = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    application.test_client_class = IsolatedRequestsClient
    yield application
    get_engine(application).dispose()


def _log_in_with_csrf(app, user: User):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 302
    return client


def test_the_forms_carry_their_csrf_token(csrf_app, db, quote_request):
    merchant, _buyer, quote = quote_request
    client = _log_in_with_csrf(csrf_app, merchant)
    page = client.get("/merchant/quotes").get_data(as_text=True)
    token = re.search(rf'name="quote-{quote.id}-csrf_token"[^>]*value="([^"]+)"', page).group(1)
    url = f"/merchant/quotes/{quote.id}/answer"

    assert client.post(url, data={f"quote-{quote.id}-amount": "6000"}).status_code == 400
    response = client.post(url, data={f"quote-{quote.id}-amount": "6000",
                                      f"quote-{quote.id}-calls": "100",
                                      f"quote-{quote.id}-valid_days": "30",
                                      f"quote-{quote.id}-csrf_token": token})
    assert response.status_code == 302
    forget(db)
    assert db.get(type(quote), quote.id).state == QuoteState.QUOTED
