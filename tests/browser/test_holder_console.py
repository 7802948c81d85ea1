"""The entitlement holder's try-it console in a real browser: the demo buyer types the demo
key, calls the PII scan through the gateway, and sees the answer with the request id and the
quota left; the call is in their usage afterwards."""

from __future__ import annotations

import re

from sqlmodel import select

from marketplace.catalog.models import DeliveryForm, Listing
from marketplace.db import get_engine, new_session
from marketplace.delivery.models import Entitlement, UsageRecord
from marketplace.demo.seed import DEMO_API


def _api_entitlement(app) -> int:
    """The demo buyer's entitlement to an API product (they also hold a data package)."""
    with app.app_context(), new_session(get_engine(app)) as session:
        return session.exec(select(Entitlement.id)
                            .join(Listing, Listing.id == Entitlement.listing_id)
                            .where(Listing.delivery_form != DeliveryForm.DATA_PACKAGE)
                            .order_by(Entitlement.id)).first()


def test_demo_buyer_makes_a_metered_call_from_the_console(live_server, page):
    app, base = live_server
    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill("buyer@example.com")
    page.get_by_label("Password").fill("demo-buyer")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(rf"^{re.escape(base)}/?$"))
    page.goto(f"{base}/account/keys")
    page.get_by_role("link", name=f"Try entitlement #{_api_entitlement(app)}").click()
    page.get_by_label("API key").fill(DEMO_API["key"])
    page.get_by_role("button", name="Call through the gateway").click()
    status = page.locator("#console-status")
    status.filter(has_text="X-Quota-Remaining: 999").wait_for()
    assert status.inner_text().startswith("200")
    assert "findings" in page.locator("#console-output").inner_text()
    with app.app_context():
        session = new_session(get_engine(app))
        assert len(session.exec(select(UsageRecord)).all()) == 1
        session.close()
    page.goto(f"{base}/account/keys")
    assert "governance_tools.pii_scan" in page.locator(".usage-table").inner_text()
