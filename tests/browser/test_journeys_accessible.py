"""Each role's journey in both languages, at 1,280 and 390 px: every page it passes fits the
window, has no WCAG 2.1 A/AA violation that axe-core finds, loads under the
Content-Security-Policy (the ``page`` fixture) and is kept as a screenshot in
``test-results/journeys/``."""

from __future__ import annotations

import re

import pytest
from sqlmodel import col, select

from marketplace.accounts.models import MerchantOrganization, OrganizationStatus, User
from marketplace.authorization.models import AuthorizationApplication
from marketplace.catalog.models import (
    Listing,
    ListingState,
    PricingModel,
    PricingPlan,
)
from marketplace.commerce.models import Order, Receipt
from marketplace.db import get_engine, new_session
from marketplace.delivery.models import Entitlement
from marketplace.demo import catalog_data
from marketplace.demo.seed import DEMO_ADMIN_TOTP_SECRET

from .audit import Findings, audit_page
from .sign_in import log_in

pytestmark = pytest.mark.browser

LANGUAGES = {"en": ("English", "en"), "zh_Hans": ("中文", "zh-Hans")}

VISITOR = ["/", "/products", "/products?q=credit", "/products/{product}",
           "/merchants/{organization}", "/signup", "/login", "/password/reset", "/no-such-page"]
BUYER = ["/", "/products/{product}", "/products/{product}/apply", "/cart", "/orders",
         "/orders/{order}", "/receipts/{receipt}", "/account", "/account/keys",
         "/account/entitlements/{entitlement}/console", "/account/usage", "/account/quotes",
         "/applications", "/notifications", "/account/organization/new"]
MERCHANT = ["/merchant", "/merchant/listings/new", "/merchant/listings/{listing}",
            "/merchant/listings/{draft}/edit", "/merchant/listings/{draft}/dataset",
            "/merchant/operations", "/merchant/plugins", "/merchant/applications",
            "/merchant/sales", "/merchant/insights", "/merchant/usage", "/merchant/statement",
            "/merchant/quotes", "/merchant/refund-requests", "/merchant/invoice-requests",
            "/account/organization"]
ADMIN = ["/admin", "/admin/reviews", "/admin/reviews/{listing}", "/admin/listings",
         "/admin/applications", "/admin/organizations", "/admin/users", "/admin/orders",
         "/admin/orders/{order}", "/admin/refund-requests", "/admin/usage", "/admin/alerts",
         "/admin/audit", "/admin/plugins", "/admin/jobs", "/admin/commission", "/admin/payouts",
         "/admin/product-reviews"]


def _ids(app) -> dict[str, object]:
    with app.app_context():
        session = new_session(get_engine(app))
        buyer = session.exec(select(User).where(User.email == "buyer@example.com")).one()
        merchant = session.exec(select(User).where(User.email == "merchant@example.com")).one()
        listing = session.exec(select(Listing).where(
            Listing.state == ListingState.PUBLISHED,
            Listing.organization_id == merchant.organization_id).order_by(Listing.id)).first()
        draft = session.exec(select(Listing).where(
            Listing.state == ListingState.DRAFT,
            Listing.organization_id == merchant.organization_id).order_by(Listing.id)).first()
        organization = session.exec(select(MerchantOrganization).where(
            MerchantOrganization.status == OrganizationStatus.VERIFIED)).first()
        order = session.exec(select(Order).where(Order.buyer_id == buyer.id)
                             .order_by(col(Order.id))).first()
        entitlement = session.exec(select(Entitlement).where(Entitlement.buyer_id == buyer.id)
                                   .order_by(col(Entitlement.id))).first()
        application = session.exec(select(AuthorizationApplication)
                                   .order_by(col(AuthorizationApplication.id))).first()
        receipt = session.exec(select(Receipt).where(Receipt.order_id == order.id)).first()
        session.close()
    assert None not in (listing, draft, organization, order, entitlement, application, receipt), \
        "the demo has a published and a draft listing, a paid order, an entitlement, an application"
    return {"product": listing.product_id, "listing": listing.id, "draft": draft.id,
            "organization": organization.id, "order": order.number, "receipt": receipt.number,
            "entitlement": entitlement.id, "application": application.id}


def _choose_language(page, lang: str) -> None:
    button, html_lang = LANGUAGES[lang]
    page.locator(".lang-switch").get_by_role("button", name=button).click()
    page.wait_for_load_state("load")
    assert page.locator("html").get_attribute("lang") == html_lang


# The demo's Chinese titles whose listings also have an English one: an English page shows the
# English title, and a Chinese one only as a marked fallback (an element with lang="zh-…").
CHINESE_TITLES = sorted({entry["title"]
                         for entry in [*catalog_data.PRODUCTS, *catalog_data.OTHER_LISTINGS]
                         if entry.get("title_en")}, key=len, reverse=True)


def _chinese_titles_shown(page) -> list[str]:
    text = page.evaluate("""() => {
      const copy = document.body.cloneNode(true);
      copy.querySelectorAll('[lang^="zh"], script, style').forEach((node) => node.remove());
      return copy.textContent;
    }""")
    return [title for title in CHINESE_TITLES if title in text]


def _walk(page, base: str, role: str, lang: str, paths: list[str], ids: dict) -> None:
    findings = Findings()
    titles: dict[str, str] = {}
    untranslated: dict[str, list[str]] = {}
    for path in paths:
        response = page.goto(base + path.format(**ids))
        assert response is not None
        expected = 404 if path == "/no-such-page" else 200
        assert response.status == expected, (path, response.status)
        assert page.locator("html").get_attribute("lang") == LANGUAGES[lang][1], path
        assert page.locator("head link[rel=icon]").count() == 1, f"{path} has no favicon"
        titles.setdefault(page.title(), path)
        audit_page(page, f"{role}-{lang}-{path}", findings)
        if lang == "en" and (shown := _chinese_titles_shown(page)):
            untranslated[path] = shown
    assert not findings.problems, findings.report()
    assert not untranslated, \
        f"English pages that show listings by their Chinese title: {untranslated}"
    repeated = [path for path in paths if path not in titles.values()]
    assert not repeated, f"pages whose <title> another page already has: {repeated}"


def _focus_is_visible(page) -> bool:
    """Tab once and say whether the focused element is drawn with an outline."""
    page.keyboard.press("Tab")
    return page.evaluate("""() => {
      const style = getComputedStyle(document.activeElement);
      return document.activeElement !== document.body && style.outlineStyle !== "none"
             && parseFloat(style.outlineWidth) >= 2;
    }""")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_visitor_journey(live_server, page, lang):
    app, base = live_server
    page.goto(base)
    _choose_language(page, lang)
    assert _focus_is_visible(page), "keyboard focus is drawn"
    _walk(page, base, "visitor", lang, VISITOR, _ids(app))


def _one_time_plan(app) -> tuple[int, int]:
    """A one-time plan of a published product below level 3 (bought without an application):
    the product's and the plan's ids."""
    with app.app_context():
        session = new_session(get_engine(app))
        plan = session.exec(
            select(PricingPlan).join(Listing, col(PricingPlan.listing_id) == Listing.id)
            .where(Listing.state == ListingState.PUBLISHED, Listing.classification_level < 3,
                   PricingPlan.model == PricingModel.ONE_TIME).order_by(Listing.id)).first()
        listing = session.get(Listing, plan.listing_id) if plan else None
        session.close()
    assert plan is not None and listing is not None, "the demo sells a one-time product"
    return listing.product_id, plan.id


@pytest.mark.parametrize("lang", LANGUAGES)
def test_buyer_journey(live_server, page, lang):
    app, base = live_server
    log_in(page, base, "buyer@example.com", "demo-buyer")
    _choose_language(page, lang)
    _walk(page, base, "buyer", lang, BUYER, _ids(app))

    # then buys: a plan into the cart, the cart checked out, the payment page
    product_id, plan_id = _one_time_plan(app)
    findings = Findings()
    page.goto(f"{base}/products/{product_id}")
    page.locator(f"form:has(input[name=plan_id][value='{plan_id}']) button[type=submit]").click()
    page.wait_for_url(f"{base}/cart")
    assert page.locator(".cart-count").inner_text() == "1"
    audit_page(page, f"buyer-{lang}-cart-with-a-line", findings)
    page.locator(".checkout-form button[type=submit]").click()
    page.wait_for_url(re.compile(rf"^{re.escape(base)}/orders/[\w-]+/pay$"))
    audit_page(page, f"buyer-{lang}-pay", findings)
    assert not findings.problems, findings.report()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_merchant_journey(live_server, page, lang):
    app, base = live_server
    log_in(page, base, "merchant@example.com", "demo-merchant")
    _choose_language(page, lang)
    _walk(page, base, "merchant", lang, MERCHANT, _ids(app))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_admin_journey(live_server, page, lang):
    app, base = live_server
    log_in(page, base, "admin@example.com", "demo-admin", DEMO_ADMIN_TOTP_SECRET)
    _choose_language(page, lang)
    _walk(page, base, "admin", lang, ADMIN, _ids(app))
