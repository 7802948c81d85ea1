"""Every kind of page loads under the Content-Security-Policy with nothing blocked, for an
anonymous visitor, a buyer, a merchant and an admin (the ``page`` fixture fails a test whose
pages report a violation), and fits a 1,280 px and a 390 px wide window without scrolling
sideways; Swagger UI starts from its static initializer."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from marketplace.accounts.models import MerchantOrganization, OrganizationStatus, User
from marketplace.accounts.second_factor import current_code
from marketplace.catalog.models import Listing, ListingState
from marketplace.commerce.models import Order
from marketplace.db import get_engine, new_session
from marketplace.demo.seed import DEMO_ADMIN_TOTP_SECRET

pytestmark = pytest.mark.browser

ANONYMOUS = ["/", "/products", "/search?q=credit", "/login", "/signup", "/password/reset",
             "/products/{product}", "/merchants/{organization}", "/api/docs", "/no-such-page"]
BUYER = ["/", "/account", "/cart", "/orders", "/notifications", "/account/quotes",
         "/products/{product}", "/account/organization/new"]
MERCHANT = ["/merchant", "/merchant/listings/new", "/merchant/listings/{listing}",
            "/merchant/listings/{listing}/edit", "/merchant/operations", "/merchant/sales",
            "/merchant/statement", "/merchant/quotes", "/merchant/refund-requests",
            "/merchant/invoice-requests", "/account/organization"]
ADMIN = ["/admin", "/admin/reviews", "/admin/listings", "/admin/organizations", "/admin/users",
         "/admin/orders", "/admin/audit", "/admin/plugins", "/admin/commission", "/admin/payouts",
         "/admin/product-reviews", "/admin/reviews/{listing}", "/admin/orders/{order}",
         "/admin/jobs", "/admin/refund-requests"]


def _ids(app) -> dict[str, int]:
    with app.app_context():
        session = new_session(get_engine(app))
        merchant = session.exec(select(User).where(User.email == "merchant@example.com")).one()
        listing = session.exec(select(Listing).where(
            Listing.state == ListingState.PUBLISHED,
            Listing.organization_id == merchant.organization_id).order_by(Listing.id)).first()
        organization = session.exec(select(MerchantOrganization).where(
            MerchantOrganization.status == OrganizationStatus.VERIFIED)).first()
        order = session.exec(select(Order).order_by(Order.id)).first()  # the demo's paid order
        session.close()
    return {"product": listing.product_id, "listing": listing.id,
            "organization": organization.id, "order": order.number}


def _log_in(page, base: str, email: str, password: str, totp_secret: str | None = None) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.locator("main form button[type=submit]").click()
    if totp_secret is not None:  # an admin: the second factor's page comes next
        page.wait_for_url(re.compile(rf"^{re.escape(base)}/login/second-factor"))
        page.get_by_label("Code").fill(current_code(totp_secret))
        page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(rf"^{re.escape(base)}/?$"))


#: Window widths every page kind must fit without scrolling sideways: a laptop and a phone.
WIDTHS = (1280, 390)


def _visit(page, base: str, paths: list[str], ids: dict[str, int]) -> list[str]:
    """Load each page at each width; the pages that were wider than the window."""
    overflowing = []
    for path in paths:
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            response = page.goto(base + path.format(**ids))
            assert response is not None
            assert response.status < 500, (path, response.status)
            page.wait_for_load_state("load")
            assert response.headers["content-security-policy"].startswith("default-src 'self'")
            extra = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            if extra > 0:
                overflowing.append(f"{path} at {width} px: {extra} px too wide")
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})
    return overflowing


def test_every_page_kind_loads_under_the_csp(live_server, page):
    app, base = live_server
    ids = _ids(app)

    overflowing = _visit(page, base, ANONYMOUS, ids)
    _log_in(page, base, "buyer@example.com", "demo-buyer")
    overflowing += _visit(page, base, BUYER, ids)
    page.get_by_role("button", name="Log out").click()
    _log_in(page, base, "merchant@example.com", "demo-merchant")
    overflowing += _visit(page, base, MERCHANT, ids)
    page.get_by_role("button", name="Log out").click()
    _log_in(page, base, "admin@example.com", "demo-admin", DEMO_ADMIN_TOTP_SECRET)
    overflowing += _visit(page, base, ADMIN, ids)

    assert page.csp_violations == []
    assert not overflowing, "pages wider than the window:\n" + "\n".join(overflowing)


def test_swagger_ui_starts_under_the_csp(live_server, page):
    _app, base = live_server
    page.goto(f"{base}/api/docs")
    page.locator(".swagger-ui .info .title").wait_for()
    assert page.locator(".opblock").count() > 5
    assert page.csp_violations == []
