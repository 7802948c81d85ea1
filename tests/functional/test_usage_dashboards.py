"""The dashboards of use: a buyer's calls and quota per entitlement and key, a merchant's calls
and revenue per product and buyer, the platform's GMV, orders, calls, review turnaround and
alerts; charts as accessible SVG, tables as formula-safe CSV, and a number of queries that does
not grow with the span or the rows shown. On SQLite, and on PostgreSQL under .ci/run."""

from __future__ import annotations

import csv
import io
import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event
from sqlmodel import select

from marketplace.audit.models import AuditEntry
from marketplace.db import get_engine
from marketplace.delivery import keys
from marketplace.delivery.models import ApiKey
from marketplace.monitoring.models import UsageAlert
from marketplace.monitoring.sweeps import sweep_usage
from marketplace.plugins import get_runtime
from marketplace.settings import settings
from tests.factories import logged_in_client, make_merchant, make_user
from tests.gateway_support import BODY, bearer, buy, gateway_config, make_world, new_key


@pytest.fixture
def app_config(app_config):
    return gateway_config(app_config)


@pytest.fixture
def app(app):
    yield app
    get_runtime(app).close()


@pytest.fixture
def world(app, db):
    return make_world(app, db)


@contextmanager
def counted_queries(app):
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    engine = get_engine(app)
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _calls(client, world, token, n):
    for _ in range(n):
        assert client.post(world.url(), json=BODY, headers=bearer(token)).status_code == 200


def _csv(response):
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_the_buyer_sees_calls_and_quota_per_entitlement_and_key(app, db, client, world):
    entitlement = buy(db, world, world.buyer, quota=50)
    token = new_key(db, app, world.buyer)
    key = keys.for_buyer(db, world.buyer.id)[0]
    key.name = "=HYPERLINK(\"http://evil\")"  # a name a spreadsheet would run
    db.add(key)
    db.commit()
    _calls(client, world, token, 3)
    page = logged_in_client(app, world.buyer)

    html = page.get("/account/usage").get_data(as_text=True)

    assert 'data-testid="total-calls">3<' in html
    assert '<svg class="chart"' in html and 'role="img"' in html
    assert "<title id=" in html and "Calls per day" in html and "Day (UTC)" in html
    assert f"#{entitlement.id}" in html and "</meter> 47</td>" in html  # 50 - 3 left
    rows = _csv(page.get("/account/usage?format=csv&table=entitlements"))
    assert rows[0][:4] == ["entitlement", "product", "state", "calls"]
    assert rows[1][0] == str(entitlement.id) and rows[1][3] == "3" and rows[1][6] == "3"
    key_rows = _csv(page.get("/account/usage?format=csv&table=keys"))
    assert key_rows[1][1].startswith("'=HYPERLINK") and key_rows[1][2] == "3"
    days = _csv(page.get("/account/usage?days=7&format=csv"))
    assert len(days) == 8 and days[-1][1] == "3"
    assert page.get("/account/usage?format=csv&table=nope").status_code == 404
    # another buyer sees none of it
    other = logged_in_client(app, make_user(db)).get("/account/usage").get_data(as_text=True)
    assert 'data-testid="total-calls">0<' in other and f"#{entitlement.id}<" not in other


def test_query_counts_do_not_grow_with_the_span_or_the_rows(app, db, client, world):
    buy(db, world, world.buyer)
    token = new_key(db, app, world.buyer)
    _calls(client, world, token, 2)
    buyer_page = logged_in_client(app, world.buyer)
    merchant_page = logged_in_client(app, world.merchant)
    admin_page = logged_in_client(app, world.admin)
    urls = {"buyer": (buyer_page, "/account/usage"),
            "merchant": (merchant_page, "/merchant/insights"),
            "admin": (admin_page, "/admin/usage")}

    def counts(days):
        found = {}
        for name, (page, url) in urls.items():
            with counted_queries(app) as statements:
                assert page.get(f"{url}?days={days}").status_code == 200
            found[name] = len(statements)
        return found

    before = counts(7)
    assert counts(365) == before
    for _ in range(3):  # more entitlements, keys, buyers and calls
        buy(db, world, world.buyer)
        new_key(db, app, world.buyer)
        other = make_user(db)
        buy(db, world, other)
        _calls(client, world, new_key(db, app, other), 2)
    assert counts(30) == before


def test_the_merchant_sees_calls_and_revenue_per_product_and_buyer(app, db, client, world):
    buy(db, world, world.buyer, pack_calls=1000)
    _calls(client, world, new_key(db, app, world.buyer), 4)
    page = logged_in_client(app, world.merchant)

    html = page.get("/merchant/insights").get_data(as_text=True)

    assert 'data-testid="total-calls">4<' in html
    assert world.listing.title in html and world.buyer.display_name in html
    assert "Revenue per day" in html
    products = _csv(page.get("/merchant/insights?format=csv&table=products"))
    assert products[0] == ["id", "name", "calls", "revenue_CNY"]
    assert products[1][2] == "4" and float(products[1][3]) > 0
    buyers = _csv(page.get("/merchant/insights?format=csv&table=buyers"))
    assert buyers[1][1] == world.buyer.display_name
    # another merchant's dashboard does not show this merchant's product
    stranger, _org = make_merchant(db)
    other = logged_in_client(app, stranger).get("/merchant/insights").get_data(as_text=True)
    assert 'data-testid="total-calls">0<' in other and world.listing.title not in other


def test_the_admin_sees_the_platform_and_handles_an_alert(app, db, client, world):
    buy(db, world, world.buyer, pack_calls=1000)
    token = new_key(db, app, world.buyer)
    _calls(client, world, token, 2)
    codes = [f"91350100M0{n:07d}" + "X" for n in range(1000, 1025)]
    for code in codes:
        assert client.post(world.url(), json={"credit_code": code},
                           headers=bearer(token)).status_code == 200
    sweep_usage(db, settings(app).usage_watch)
    db.rollback()
    alert = db.exec(select(UsageAlert)).one()
    page = logged_in_client(app, world.admin)

    html = page.get("/admin/usage").get_data(as_text=True)
    assert re.search(r'data-testid="calls">27<', html)
    assert re.search(r'data-testid="orders">1<', html)
    assert 'data-testid="open-alerts"' in html and "GMV per day" in html
    assert 'data-testid="gmv">CN¥500.00<' in html  # the 1,000-call pack's price
    assert re.search(r'data-testid="review-turnaround">[\d.]+ h<', html)
    days = _csv(page.get("/admin/usage?days=3&format=csv"))
    assert days[0][0] == "day" and days[-1][1:4] == ["500.00", "1", "27"]
    listing_html = page.get("/admin/alerts").get_data(as_text=True)
    assert f"#{alert.id}" in listing_html
    assert "Enumeration of sequential identifiers" in listing_html
    detail = page.get(f"/admin/alerts/{alert.id}").get_data(as_text=True)
    assert "&#34;run&#34;: 25" in detail or '"run": 25' in detail

    response = page.post(f"/admin/alerts/{alert.id}/close",
                         data={"note": "Their nightly reconciliation job.",
                               "lift_suspension": "y"})
    assert response.status_code == 302
    db.rollback()
    assert db.get(UsageAlert, alert.id).state == "closed"
    assert db.get(ApiKey, alert.api_key_id).suspended_at is None
    assert client.post(world.url(), json=BODY, headers=bearer(token)).status_code == 200
    assert db.exec(select(AuditEntry).where(AuditEntry.action == "usage_alert.close")).one()
    assert db.exec(select(AuditEntry).where(AuditEntry.action == "api_key.unsuspend")).one()
    assert page.post(f"/admin/alerts/{alert.id}/close", data={}).status_code == 302  # flashed
    # buyers and merchants do not see the platform or its alerts
    for user in (world.buyer, world.merchant):
        other = logged_in_client(app, user)
        assert other.get("/admin/usage").status_code in (403, 404)
        assert other.get(f"/admin/alerts/{alert.id}").status_code in (403, 404)
