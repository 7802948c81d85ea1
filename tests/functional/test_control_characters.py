"""NUL and other control characters in text inputs are refused with a 422 before anything is
stored, wherever the text comes from (issue 14); tabs and line breaks stay allowed."""

from __future__ import annotations

import pytest
from sqlmodel import select

from marketplace.catalog.models import Listing
from tests.factories import logged_in_client, make_merchant, make_user, page_text


def listing_form(**overrides: str) -> dict[str, str]:
    return {
        "title": "Company register extract", "summary": "Registered companies.",
        "description_md": "Line one.\r\n\r\n\tIndented line two.",
        "product_type": "raw_dataset", "delivery_form": "data_package", "scenario": "finance",
        "tags": "registry", "classification_level": "1", "version": "1.0",
        "data_dictionary-0-name": "name", "data_dictionary-0-field_type": "string",
        "data_dictionary-0-description": "Registered name",
        "data_dictionary-0-sensitivity": "none", "sample_rows": "",
        "pricing_plans-0-name": "Once", "pricing_plans-0-model": "one_time",
        "pricing_plans-0-price": "10", "save": "Save draft", **overrides,
    }


def _listings(db) -> list[Listing]:
    db.rollback()
    return list(db.exec(select(Listing)).all())


@pytest.mark.parametrize("title", ["Company\x00register", "Bell\x07", "Escape\x1b[31m",
                                   "C1\x85control", "Delete\x7f"])
def test_a_control_character_in_a_listing_title_is_refused(app, db, title):
    merchant, _org = make_merchant(db)
    client = logged_in_client(app, merchant)
    response = client.post("/merchant/listings/new", data=listing_form(title=title))
    assert response.status_code == 422
    assert "control characters such as NUL" in page_text(response)
    assert _listings(db) == []


def test_tabs_and_line_breaks_in_a_description_are_kept(app, db):
    merchant, _org = make_merchant(db)
    client = logged_in_client(app, merchant)
    response = client.post("/merchant/listings/new", data=listing_form())
    assert response.status_code == 302, page_text(response)
    (listing,) = _listings(db)
    assert listing.description_md == "Line one.\r\n\r\n\tIndented line two."


def test_nul_in_a_json_body_is_a_422_problem(app, db):
    client = logged_in_client(app, make_user(db))
    response = client.post("/api/v1/orders", json={"attempt": "attempt-\u0000-0001"})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert "control characters" in response.get_json()["detail"]
    nested = client.post("/api/v1/cart", json={"plan_id": 1, "note": {"deep": ["a\x00"]}})
    assert nested.status_code == 422


@pytest.mark.parametrize("path", ["/search?q=credit%00", "/orders/DM-%00", "/products?tag=%01",
                                  "/api/v1/orders/DM%00", "/receipts/R%00"])
def test_nul_in_a_query_or_url_segment_is_a_422(app, db, path):
    response = logged_in_client(app, make_user(db)).get(path)
    assert response.status_code == 422


def test_nul_in_a_sign_up_name_is_refused_and_makes_no_account(client, db):
    response = client.post("/signup", data={"display_name": "Ada\x00", "email": "a@example.com",
                                            "password": "correct horse battery",
                                            "confirm": "correct horse battery"})
    assert response.status_code == 422
    assert client.get("/account").status_code == 302
