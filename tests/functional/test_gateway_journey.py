"""The buyer's whole journey through HTTP only, as people and programs make it: a buyer finds a
level 3 product, is refused at the cart with the link to the application form, applies; the
merchant narrows the fields and approves; the buyer pays with a test card on the real payment
route (localstripe), makes an API key, and a program calls the gateway with it until the
quota is spent; the merchant revokes the application and the next call is refused.

People use a test client with their session and CSRF on (the token read from the pages or
``/api/v1/csrf-token``, as a browser or a JavaScript client sends it); the program uses a bare
client with nothing but its key. Only the world's set-up (a verified merchant, its trusted
plugin and the published listing, a buyer whose e-mail is confirmed) uses the services.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from marketplace.authorization import grants
from marketplace.plugins import get_runtime
from tests.factories import PASSWORD, make_listing, make_user, page_text, second_factor_code
from tests.gateway_support import BODY, LOOKUP, bearer, gateway_config, make_world, metered

QUOTA = 3
#: A monthly membership with three calls and no overage: the quota stops the fourth call.
MEMBERSHIP = {"name": "Starter", "model": "membership", "price": 99_00,
              "billing_period": "month", "included_calls": QUOTA, "overage_unit_price": None}
FIELDS = ["listed", "name", "score"]


@pytest.fixture
def app_config(app_config):
    return {**gateway_config(app_config), "WTF_CSRF_ENABLED": True}


@pytest.fixture
def app(app):
    yield app
    get_runtime(app).close()


class Person:
    """A test client signed in through the login form, sending the CSRF token as a browser
    does: in the form of a page, or in the X-CSRFToken header of a JSON write."""

    def __init__(self, app, user):
        self.client = app.test_client()
        self.user = user
        login = self.client.get("/login")
        sent = self.client.post("/login", data={"email": user.email, "password": PASSWORD,
                                                "csrf_token": _token_in(login)})
        assert sent.status_code == 302, page_text(sent)
        if sent.headers["Location"] == "/login/second-factor":
            page = self.client.get("/login/second-factor")
            sent = self.client.post("/login/second-factor", data={
                "code": second_factor_code(app, user), "csrf_token": _token_in(page)})
            assert sent.status_code == 302, page_text(sent)

    def token(self) -> str:
        return self.client.get("/api/v1/csrf-token").get_json()["csrf_token"]

    def get(self, url: str):
        return self.client.get(url)

    def post_json(self, url: str, body: dict):
        return self.client.post(url, json=body, headers={"X-CSRFToken": self.token()})

    def submit(self, form_url: str, action: str, data: dict):
        """Load the page at ``form_url`` and send its form to ``action`` with ``data``."""
        page = self.client.get(form_url)
        assert page.status_code == 200, form_url
        return self.client.post(action, data={**data, "csrf_token": _token_in(page)})


def _token_in(page) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
    assert found, "the page has no CSRF token"
    return found.group(1)


@pytest.fixture
def world(app, db):
    world = make_world(app, db, plan_models=())
    world.listing = make_listing(
        db, world.merchant, world.org, state="published", admin=world.admin,
        plans=[MEMBERSHIP], operation=LOOKUP, classification_level=3,
        title="Registry lookup with authorization")
    return world


def test_a_fresh_buyer_applies_is_narrowed_pays_calls_hits_the_quota_and_is_revoked(
        app, db, world, localstripe):
    buyer = Person(app, make_user(db))  # a new account, e-mail confirmed
    merchant = Person(app, world.merchant)

    # finds the product, which says it needs an authorization application
    found = buyer.get("/api/v1/products?q=authorization").get_json()
    product = next(p for p in found if p["title"] == "Registry lookup with authorization")
    detail = buyer.get(f"/api/v1/products/{product['id']}").get_json()
    assert detail["classification_level"] == 3 and detail["needs_application"] is True
    (plan,) = detail["pricing_plans"]

    # the cart refuses it and links to the form
    refused = buyer.post_json("/api/v1/cart", {"plan_id": plan["id"]})
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    form_url = refused.get_json()["application_url"]
    assert form_url.endswith(f"/products/{product['id']}/apply")
    assert detail["application_url"] == form_url  # the product said where to apply

    # applies on the form: purpose, scenario, legal basis, the operation and its fields, period
    sent = buyer.submit(form_url, form_url, {
        "purpose": "Check suppliers before granting trade credit.",
        "scenario": "Supplier onboarding", "legal_basis": "contract", "op": [LOOKUP],
        f"fields-offered:{LOOKUP}": "1", f"field:{LOOKUP}": FIELDS,
        "starts_on": str(grants.today()), "ends_on": str(grants.today() + timedelta(days=90))})
    assert sent.status_code == 302, page_text(sent)
    (application,) = buyer.get("/api/v1/applications").get_json()
    assert application["state"] == "submitted"
    assert application["requested"]["operations"] == {LOOKUP: {"fields": FIELDS, "masking": {}}}

    # the merchant finds it, narrows the fields (no score) and approves
    received = merchant.get("/api/v1/applications/received").get_json()
    assert [a["id"] for a in received] == [application["id"]]
    page = f"/applications/{application['id']}"
    decided = merchant.submit(page, f"{page}/decision", {
        "decision": "narrow", "op": [LOOKUP], f"fields-offered:{LOOKUP}": "1",
        f"field:{LOOKUP}": ["listed", "name"], "reason": "The score is not needed to onboard."})
    assert decided.status_code == 302, page_text(decided)
    narrowed = {"operations": {LOOKUP: {"fields": ["listed", "name"], "masking": {}}}}
    assert buyer.get(f"/api/v1/applications/{application['id']}").get_json()[
        "approved_scope"] == narrowed

    # adds the plan, checks out and pays with a test card
    added = buyer.post_json("/api/v1/cart", {"plan_id": plan["id"]})
    assert added.status_code == 201, added.get_json()
    order = buyer.post_json("/api/v1/orders", {"attempt": "journey-1"}).get_json()
    paid = buyer.post_json(f"/api/v1/orders/{order['number']}/payment", {"card": "visa_ok"})
    assert paid.status_code == 200, paid.get_json()
    assert paid.get_json()["state"] == "fulfilled"
    (entitlement,) = buyer.get("/api/v1/entitlements").get_json()
    assert entitlement["scope"] == narrowed
    assert (entitlement["quota"], entitlement["usable"]) == (QUOTA, True)

    # makes a key; a program calls with it
    assert "No calls in this period." in page_text(buyer.get("/account/keys"))
    made = buyer.post_json("/api/v1/keys", {"name": "onboarding service"})
    assert made.status_code == 201, made.get_json()
    key = bearer(made.get_json()["key"])
    program = app.test_client()
    first = program.post(world.url(), json=BODY, headers=key)
    assert first.status_code == 200, first.get_json()
    assert set(first.get_json()) == {"listed", "name"}  # the field the merchant removed
    assert first.headers["X-Quota-Remaining"] == str(QUOTA - 1)
    outside = program.post(f"{world.url()}?fields=name,score", json=BODY, headers=key)
    assert outside.status_code == 403 and "score" in outside.get_json()["detail"]
    assert outside.get_json()["missing_fields"] == ["score"]
    assert metered(db) == (1, 1)  # the refusal is not counted

    # the call shows in the buyer's usage (page and API) and on the merchant's side
    row = re.search(r"<tr><td>[0-9-]+</td><td>([^<]+)</td><td>#(\d+)</td>\s*"
                    r"<td><code>([^<]+)</code></td>\s*<td>Call</td>\s*"
                    r'<td class="num">(\d+)</td></tr>', page_text(buyer.get("/account/keys")))
    assert row and row.groups() == (world.listing.title, str(entitlement["id"]), LOOKUP, "1")
    mine = program.get("/api/v1/usage", headers=key).get_json()
    assert [(r["entitlement_id"], r["operation"], r["calls"]) for r in mine] == [
        (entitlement["id"], LOOKUP, 1)]
    assert buyer.get("/api/v1/usage").get_json() == mine
    theirs = merchant.get("/api/v1/usage/merchant").get_json()
    assert [(r["entitlement_id"], r["calls"]) for r in theirs] == [(entitlement["id"], 1)]
    assert world.listing.title in page_text(merchant.get("/merchant/usage"))

    # calls until the quota is spent: 429 with the quota's headers, nothing metered for it
    remaining = [program.post(world.url(), json=BODY, headers=key).headers["X-Quota-Remaining"]
                 for _ in range(QUOTA - 1)]
    assert remaining == ["1", "0"]
    spent = program.post(world.url(), json=BODY, headers=key)
    assert spent.status_code == 429 and "quota" in spent.get_json()["detail"]
    assert spent.headers["X-Quota-Remaining"] == "0"
    assert 0 < int(spent.headers["Retry-After"]) <= 31 * 86400  # the next period
    assert metered(db) == (QUOTA, QUOTA)

    # the merchant revokes the application: the next call is refused
    revoked = merchant.submit(page, f"{page}/revoke", {"reason": "The licence was withdrawn."})
    assert revoked.status_code == 302, page_text(revoked)
    after = program.post(world.url(), json=BODY, headers=key)
    assert after.status_code == 403, after.get_json()
    assert "licence was withdrawn" in after.get_json()["detail"]
    assert metered(db) == (QUOTA, QUOTA)


def test_a_level_4_product_is_sold_only_after_the_admin_approves_too(app, db, world):
    world.listing = make_listing(
        db, world.merchant, world.org, state="published", admin=world.admin,
        plans=[MEMBERSHIP], operation=LOOKUP, classification_level=4, title="Level 4 lookup")
    buyer, merchant = Person(app, make_user(db)), Person(app, world.merchant)
    plan_id = buyer.get(f"/api/v1/products/{world.product_id}").get_json()[
        "pricing_plans"][0]["id"]
    applied = buyer.post_json("/api/v1/applications", {
        "product_id": world.product_id, "purpose": "Know our suppliers.",
        "scenario": "Supplier onboarding", "legal_basis": "contract",
        "operations": {LOOKUP: None}, "starts_on": str(grants.today()),
        "ends_on": str(grants.today() + timedelta(days=30))})
    assert applied.status_code == 201, applied.get_json()
    number = applied.get_json()["id"]
    approved = merchant.post_json(f"/api/v1/applications/{number}/decision",
                                  {"decision": "approve"})
    assert approved.get_json()["state"] == "pending_admin"
    waiting = buyer.post_json("/api/v1/cart", {"plan_id": plan_id})
    assert waiting.status_code == 403 and "application_url" in waiting.get_json()

    admin = Person(app, world.admin)
    page = f"/applications/{number}"
    assert page in page_text(admin.get("/admin/applications"))
    decided = admin.submit(page, f"{page}/admin-decision", {"decision": "admin_approve"})
    assert decided.status_code == 302, page_text(decided)
    assert buyer.get(page).status_code == 200
    assert buyer.post_json("/api/v1/cart", {"plan_id": plan_id}).status_code == 201
