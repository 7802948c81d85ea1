"""An API call without a session is a problem+json 401 that says how to sign in (issue 14)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("method, path", [("GET", "/api/v1/orders"), ("GET", "/api/v1/cart"),
                                          ("GET", "/api/v1/entitlements"),
                                          ("POST", "/api/v1/cart")])
def test_an_unauthenticated_api_call_is_a_clear_401(client, method, path):
    response = client.open(path, method=method, json={"plan_id": 1})
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Cookie")
    body = response.get_json()
    assert "Sign in first" in body["detail"]
    assert "password" not in response.get_data(as_text=True).lower()
