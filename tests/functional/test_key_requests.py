"""A request carrying an API key, wherever a program sends it: the key routes take it, public
reads answer it as anyone, and every other route refuses it with a 401 problem that names
what keys may call — before any CSRF check, which a key request could never pass (its
cookie, if it sends one, is not read)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from marketplace.commerce.models import CartItem
from marketplace.delivery import keys
from marketplace.delivery.models import ApiKey
from tests.commerce_factories import make_plan, make_shop, published_listing_with
from tests.gateway_support import bearer, new_key

ONLY = ("API keys call only: GET /api/v1/usage; POST /api/v1/gateway/<int:product_id>/"
        "<plugin>/<operation>.")


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WTF_CSRF_ENABLED": True}


@pytest.fixture
def shop(db):
    return make_shop(db)


def test_a_key_sent_to_a_session_route_is_told_what_keys_may_call(app, db, shop):
    _listing, (plan,) = published_listing_with(db, shop, make_plan("one_time"))
    key = bearer(new_key(db, app, shop.buyer))
    program = app.test_client()
    for method, url, body in (("POST", "/api/v1/cart", {"plan_id": plan.id}),
                              ("GET", "/api/v1/cart", None), ("POST", "/api/v1/keys",
                                                              {"name": "another"}),
                              ("GET", "/api/v1/usage/merchant", None), ("GET", "/account", None)):
        refused = program.open(url, method=method, json=body, headers=key)
        assert refused.status_code == 401, (url, refused.get_data(as_text=True))
        assert refused.mimetype == "application/problem+json"
        detail = refused.get_json()["detail"]
        assert "needs a signed-in session" in detail and detail.endswith(ONLY)
        assert refused.headers["WWW-Authenticate"].startswith("Bearer")
        assert "Set-Cookie" not in refused.headers
    assert db.exec(select(CartItem)).all() == []
    assert len(db.exec(select(ApiKey)).all()) == 1


def test_a_key_beside_a_signed_in_cookie_still_cannot_buy(app, db, shop):
    """The key decides: the session cookie sent with it is not read, so its CSRF token and
    its signed-in buyer are of no use to a request that carries a key."""
    _listing, (plan,) = published_listing_with(db, shop, make_plan("one_time"))
    browser = app.test_client()
    with browser.session_transaction() as session:
        session["_user_id"] = shop.buyer.get_id()
        session["_fresh"] = True
    token = browser.get("/api/v1/csrf-token").get_json()["csrf_token"]
    both = browser.post("/api/v1/cart", json={"plan_id": plan.id},
                        headers={**bearer(new_key(db, app, shop.buyer)), "X-CSRFToken": token})
    assert both.status_code == 401 and ONLY in both.get_json()["detail"]
    alone = browser.post("/api/v1/cart", json={"plan_id": plan.id},
                         headers={"X-CSRFToken": token})
    assert alone.status_code == 201  # the same session without the key buys


def test_a_key_reads_what_anyone_may_and_misses_routes_as_anyone(app, db, shop):
    published_listing_with(db, shop, make_plan("one_time"))
    key = bearer(new_key(db, app, shop.buyer))
    program = app.test_client()
    listed = program.get("/api/v1/products", headers=key)
    assert listed.status_code == 200 and len(listed.get_json()) == 1
    assert program.get("/api/v1/nothing-here", headers=key).status_code == 404
    wrong_method = program.open("/api/v1/products", method="PUT", headers=key)
    assert wrong_method.status_code == 405 and "GET" in wrong_method.headers["Allow"]


def test_a_refused_key_on_usage_says_why(app, db, shop):
    token = new_key(db, app, shop.buyer)
    keys.revoke(db, db.exec(select(ApiKey)).one(), actor_id=shop.buyer.id)
    db.commit()
    refused = app.test_client().get("/api/v1/usage", headers=bearer(token))
    assert refused.status_code == 401
    assert refused.get_json()["detail"] == keys.authenticate(
        db, token, app.config["SECRET_KEY"], "127.0.0.1").refusal
    assert "session cookie" not in refused.get_json()["detail"]
