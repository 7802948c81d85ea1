"""Numbers too large for the database never reach it: an id or page of 2**70 in a URL, a query
string, a form or a JSON body is a 404 or a 422, never a 500 (issue 14)."""

from __future__ import annotations

import re

import pytest
from werkzeug.routing import IntegerConverter

from marketplace.accounts.models import Role
from tests.factories import logged_in_client, make_user

HUGE = 2**70


def _int_routes(app) -> list[tuple[str, str]]:
    """Every rule with an ``<int:>`` segment, as (method, path with every int set to 2**70)."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not any(isinstance(c, IntegerConverter) for c in rule._converters.values()):
            continue
        path = re.sub(r"<int:[^>]+>", str(HUGE), rule.rule)
        path = re.sub(r"<[^>]+>", "x", path)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((method, path))
    return routes


def test_every_int_segment_of_2_to_the_70_is_not_found(app, db):
    routes = _int_routes(app)
    assert len(routes) >= 17
    client = logged_in_client(app, make_user(db, Role.ADMIN))
    for method, path in routes:
        response = client.open(path, method=method)
        assert response.status_code == 404, (method, path, response.status_code)


@pytest.mark.parametrize("path", ["/products/0", f"/products/{2**63}", f"/products/{2**31}",
                                  f"/products/{2**31 - 1}"])
def test_ids_out_of_range_or_unknown_are_not_found(client, path):
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("path", [f"/search?page={HUGE}", f"/admin/users?page={HUGE}",
                                  f"/admin/orders?page={HUGE}", "/admin/users?page=-3"])
def test_huge_pages_are_answered(app, db, path):
    client = logged_in_client(app, make_user(db, Role.ADMIN))
    assert client.get(path).status_code in (200, 404, 422)


def test_huge_plan_id_in_the_cart_api_is_a_422(app, db):
    client = logged_in_client(app, make_user(db))
    token = client.get("/api/v1/csrf-token").get_json()["csrf_token"]
    for body in ({"plan_id": HUGE}, {"plan_id": 1, "quote_id": HUGE},
                 {"plan_id": 1, "pack_calls": HUGE}, {"plan_id": 0}):
        response = client.post("/api/v1/cart", json=body, headers={"X-CSRFToken": token})
        assert response.status_code == 422, (body, response.get_data(as_text=True))
        assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("path", ["/cart/items", "/quotes"])
def test_huge_plan_id_in_a_buy_form_is_not_found(app, db, path):
    client = logged_in_client(app, make_user(db))
    response = client.post(path, data={"plan_id": str(HUGE), "pack_calls": str(HUGE),
                                       "request": "A job"})
    assert response.status_code == 404


@pytest.mark.parametrize("path", [f"/api/v1/products?page={HUGE}",
                                  f"/api/v1/products?page_size={HUGE}",
                                  f"/orders?page={HUGE}", f"/merchant/orders?page={HUGE}"])
def test_huge_pages_in_the_api_and_lists_are_refused_or_empty(app, db, path):
    client = logged_in_client(app, make_user(db))
    response = client.get(path)
    assert response.status_code in (200, 403, 404, 422), response.status_code


@pytest.mark.parametrize("path", [f"/api/v1/orders?page={HUGE}", f"/api/v1/products?page={HUGE}"])
def test_a_huge_page_in_the_api_is_a_422(app, db, path):
    response = logged_in_client(app, make_user(db)).get(path)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert "page" in response.get_json()["detail"]
