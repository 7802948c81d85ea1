"""The demo runs docs/sdk.md's example as written: the company check's listing grants the
merchant's business registry as ``business_registry``, and a buyer's call through the gateway
with an API key answers the guide's example input from it, read from the registry's lookup
store."""

from __future__ import annotations

import csv
import io
import secrets
from pathlib import Path

import pytest
from sqlmodel import select
from stdnum.cn import uscc

from marketplace.accounts import services as accounts
from marketplace.catalog import dataset_grants
from marketplace.catalog.models import Listing, ListingState
from marketplace.catalog.services import plans_for
from marketplace.commerce.orders import cart, fulfilment
from marketplace.delivery import keys
from marketplace.demo import registry
from marketplace.demo.samples import GUIDE_COMPANY
from marketplace.demo.seed import seed
from marketplace.plugins import get_runtime

DEMO_PLUGINS = Path(__file__).resolve().parents[2] / "marketplace" / "demo" / "plugins"
GUIDE_INPUT = {"credit_code": "91350100M000100Y43", "name": "Fuzhou Open Data Co., Ltd."}


@pytest.fixture
def app_config(app_config):
    # What `make run` sets: the demo's own plugins folder.
    return {**app_config, "DATAMARKET_PLUGINS_DIR": str(DEMO_PLUGINS)}


@pytest.fixture
def app(app):
    yield app
    get_runtime(app).close()


def test_the_registry_holds_the_guides_company_once_and_valid_codes():
    rows = list(csv.DictReader(io.StringIO(registry.registry_csv(300).decode())))
    assert len(rows) == 300 and rows[0] == GUIDE_COMPANY
    codes = [row["credit_code"] for row in rows]
    assert len(set(codes)) == 300 and all(uscc.is_valid(code) for code in codes)


def test_the_guides_example_answers_a_buyers_call_in_the_demo(app, db, client):
    assert seed(db) is True
    listing = db.exec(select(Listing).where(Listing.title_en == "Company registration check")
                      ).one()
    assert listing.state == ListingState.PUBLISHED
    assert (listing.plugin_name, listing.operation_name) == ("demo_company_check",
                                                              "verify_company")
    granted = dataset_grants.grants_of(db, listing.id)
    assert [(g.name, g.dataset.row_count) for g in granted] == [
        ("business_registry", registry.REGISTRY_ROWS)]

    buyer = accounts.find_user_by_email(db, "buyer2@example.com")
    plan = next(p for p in plans_for(db, listing.id) if p.model == "per_call")
    cart.add(db, buyer, plan.id, pack_calls=1000)
    order = cart.checkout(db, buyer, attempt=secrets.token_hex(8))
    fulfilment.record_charge(db, order, amount=order.total, provider_ref=f"pi_{order.id}")
    token = keys.create(db, app.config["SECRET_KEY"], buyer.id, name="t").token
    db.commit()

    def call(body):
        response = client.post(
            f"/api/v1/gateway/{listing.product_id}/demo_company_check/verify_company",
            json=body, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    assert call(GUIDE_INPUT) == {"registered": True, "name_matches": True, "status": "active"}
    assert call({**GUIDE_INPUT, "name": "Another Co."})["name_matches"] is False
    other = list(csv.DictReader(io.StringIO(registry.registry_csv(3).decode())))[2]
    assert call({"credit_code": other["credit_code"]}) == {
        "registered": True, "name_matches": None, "status": other["status"]}
    assert call({"credit_code": "91110000100000000X"})["registered"] is False
