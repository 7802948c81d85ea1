"""The dashboards of use in a real browser, under the CSP, at 1280 and 390 px wide: the demo
buyer's calls and quota after a few calls with the demo key, the selling merchant's calls and
revenue, the platform's figures and the alerts for the admin. Screenshots in test-results/."""

from __future__ import annotations

import pytest

from marketplace.db import get_engine, new_session
from marketplace.demo.seed import DEMO_ADMIN_TOTP_SECRET, DEMO_API, demo_product_id
from tests.browser.conftest import ARTIFACTS
from tests.browser.sign_in import log_in as _log_in

pytestmark = pytest.mark.browser
WIDTHS = (1280, 390)


def _shoot(page, url: str, name: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        response = page.goto(url)
        assert response is not None and response.status == 200, url
        assert page.locator("svg.chart").count() >= 1
        page.screenshot(path=str(ARTIFACTS / f"dashboard-{name}-{width}.png"), full_page=True)


def test_each_dashboard_shows_its_charts_and_numbers(live_server, page):
    app, base = live_server
    with app.app_context():
        session = new_session(get_engine(app))
        product_id = demo_product_id(session)
        session.close()
    plugin, operation = DEMO_API["operation"]
    calls = app.test_client()
    for _ in range(5):
        response = calls.post(f"/api/v1/gateway/{product_id}/{plugin}/{operation}",
                              json={"values": ["联系人手机 138 0013 8000"]},
                              headers={"Authorization": f"Bearer {DEMO_API['key']}"})
        assert response.status_code == 200

    _log_in(page, base, "buyer@example.com", "demo-buyer")
    _shoot(page, f"{base}/account/usage", "buyer")
    assert page.get_by_test_id("total-calls").inner_text() == "5"
    assert "995" in page.locator("#entitlements-heading + .table-wrap").inner_text()
    page.context.clear_cookies()

    _log_in(page, base, "merchant2@example.com", "demo-merchant2")
    _shoot(page, f"{base}/merchant/insights", "merchant")
    assert page.get_by_test_id("total-calls").inner_text() == "5"
    page.context.clear_cookies()

    _log_in(page, base, "admin@example.com", "demo-admin", DEMO_ADMIN_TOTP_SECRET)
    _shoot(page, f"{base}/admin/usage", "platform")
    assert page.get_by_test_id("calls").inner_text() == "5"
    page.goto(f"{base}/admin/alerts")
    assert "No alerts here." in page.locator("main").inner_text()
