"""Every route consults the authorization policy, and answers each kind of user as expected.

The routes come from ``app.url_map``, so a new route is tested the moment it exists:

- ``test_route_consults_the_policy`` requests every route as an admin with real ids and fails if
  the view answered without asking the policy (and is not declared public). A ``can(...)`` in a
  template does not count: it decides which buttons to show, not who may open the page.
- ``test_route_matrix`` requests every route as anonymous, buyer, other buyer, owning merchant,
  other merchant and admin, and compares the outcome with ``EXPECTED`` below. A route missing from
  ``EXPECTED`` fails until someone writes down who may use it.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from argon2 import PasswordHasher
from flask import Flask, g, render_template_string, request, url_for
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from marketplace import create_app, policy
from marketplace.accounts import services as accounts_services
from marketplace.accounts.models import MerchantOrganization, Role, User
from marketplace.accounts.second_factor_views import PROVEN
from marketplace.authorization.models import AuthorizationApplication
from marketplace.base import utcnow
from marketplace.catalog import services as catalog_services
from marketplace.catalog.models import Listing, ListingState
from marketplace.commerce.buyer_requests.models import InvoiceRequest, RefundRequest
from marketplace.commerce.models import CartItem, Order, Receipt, ServiceQuote, Subscription
from marketplace.commerce.orders import cart, fulfilment
from marketplace.db import get_engine, new_session
from marketplace.delivery import entitlements, keys
from marketplace.delivery.key_auth import KEY_ENDPOINTS
from marketplace.delivery.models import ApiKey, Entitlement
from marketplace.jobs.models import JobRun, JobState
from marketplace.models import metadata
from marketplace.monitoring.models import UsageAlert
from marketplace.notifications.models import Notification
from marketplace.notifications.services import notify
from marketplace.plugins.models import InstalledPlugin
from marketplace.reviews import services as reviews
from marketplace.reviews.models import ProductReview
from tests import postgres_support
from tests.factories import make_listing, make_merchant, make_organization, make_user
from tests.postgres_support import Snapshot

IGNORED_ENDPOINTS = {"static"}
# The secret key of the apps that serve the world (its API key is hashed under it).
WORLD_SECRET = "test-secret-key"
ACTORS = ("anonymous", "buyer", "other_buyer", "owner", "other_merchant", "admin")

# Outcomes. ALLOWED: 200 (201 or 204 from the API), or a redirect that is not to the login page
# (a POST with empty form data may also be refused by validation or the lifecycle: 409 or 422,
# after the policy let it in).
# FORBIDDEN: 403 or 404. LOGIN: an anonymous user is sent to /login (HTML) or gets 401 (API).
A, F, L = "allowed", "forbidden", "login"
# Public endpoints that answer an empty POST with 400: the payment provider's webhook.
REFUSE_UNSIGNED_POSTS = {"payments.webhook"}

# Who may use each endpoint, on the rows the ``world`` fixture makes: org A's published listing,
# its product, org A itself, the buyer's notification and, for user routes, the buyer.
#  endpoint:                          anon buyer other owner oth_m admin
EXPECTED: dict[str, tuple[str, str, str, str, str, str]] = {
    # storefront (public, except a product page, which asks listing.view)
    "storefront.home":                 (A, A, A, A, A, A),
    "storefront.browse":               (A, A, A, A, A, A),
    "storefront.product":              (A, A, A, A, A, A),
    "storefront.product_openapi":      (A, A, A, A, A, A),
    "storefront.merchant_page":        (A, A, A, A, A, A),
    # reviews: written by a buyer holding an entitlement to the product (the buyer's paid
    # order), moderated by admins
    "reviews.write_review":            (L, A, F, F, F, F),
    "reviews_admin.moderation":        (L, F, F, F, F, A),
    "reviews_admin.hide_review":       (L, F, F, F, F, A),
    "reviews_admin.restore_review":    (L, F, F, F, F, A),
    # accounts
    "accounts.signup":                 (A, A, A, A, A, A),
    "accounts.login":                  (A, A, A, A, A, A),
    "accounts.logout":                 (A, A, A, A, A, A),
    "accounts.set_language":           (A, A, A, A, A, A),
    "accounts.account":                (L, A, A, A, A, A),
    "accounts.privacy":                (L, A, A, A, A, A),
    # a confirmation link (public: a bad one says so) sends anonymous visitors to log in
    "accounts.confirm_email":          (L, A, A, A, A, A),
    "accounts.resend_confirmation":    (L, A, A, A, A, A),
    "passwords.request_password_reset": (A, A, A, A, A, A),
    # a bad reset link is sent back to ask for a new one
    "passwords.reset_password":        (A, A, A, A, A, A),
    "accounts.new_organization":       (L, A, A, F, F, F),
    # an admin's second sign-in step: only after the password step (else back to log in, or
    # home for someone already signed in)
    "accounts.second_factor":          (L, A, A, A, A, A),
    "accounts.enrol_second_factor":    (L, A, A, A, A, A),
    # a merchant edits its own organization's profile (the other merchant, its own)
    "accounts.edit_organization":      (L, F, F, A, A, F),
    # notifications
    "notifications.index":             (L, A, A, A, A, A),
    "notifications.open_one":          (L, A, F, F, F, F),
    "notifications.read_all":          (L, A, A, A, A, A),
    # merchants
    "merchant.dashboard":              (L, F, F, A, A, F),
    "merchant.new_listing":            (L, F, F, A, A, F),
    "merchant.listing_detail":         (L, F, F, A, F, A),
    "merchant.edit_listing":           (L, F, F, A, F, F),   # on a draft
    "merchant.submit_listing":         (L, F, F, A, F, F),   # on a draft
    "merchant.check_listing":          (L, F, F, A, F, F),   # on a draft
    "merchant.publish_listing":        (L, F, F, A, F, A),
    "merchant.retire_listing":         (L, F, F, A, F, A),
    "merchant.new_version":            (L, F, F, A, F, F),
    # a listing's dataset: seen by its merchant and admins; uploaded by the merchant to a draft
    # (the world's draft is no data package: an empty POST is refused after the policy let it in)
    "datasets.dataset_page":           (L, F, F, A, F, A),
    "datasets.upload_dataset":         (L, F, F, A, F, F),   # on a draft
    # the datasets a listing grants its operations: seen by its merchant and admins; granted
    # and revoked by the merchant on a draft (an empty POST is refused after the policy)
    "dataset_grants.grants_page":      (L, F, F, A, F, A),
    "dataset_grants.grant_dataset":    (L, F, F, A, F, F),   # on a draft
    "dataset_grants.revoke_grant":     (L, F, F, A, F, F),   # on a draft
    # the try-it console: any merchant (each tries its own and the platform's operations), admins
    "delivery.try_operation":          (L, F, F, A, A, A),
    # a merchant's own plugins (each verified organization sees its own; admins use theirs)
    "plugins.your_plugins":            (L, F, F, A, A, F),
    # platform admins
    "admin.dashboard":                 (L, F, F, F, F, A),
    "admin.review_queue":              (L, F, F, F, F, A),
    "admin.review_listing":            (L, F, F, F, F, A),   # on a submitted listing
    "admin.decide_listing":            (L, F, F, F, F, A),   # on a submitted listing
    "admin.listings":                  (L, F, F, F, F, A),
    "admin.suspend_listing":           (L, F, F, F, F, A),
    "admin.reinstate_listing":         (L, F, F, F, F, A),
    # listing.retire also lets the owner retire, but only from the merchant area.
    "admin.retire_listing":            (L, F, F, F, F, A),
    "admin.organizations":             (L, F, F, F, F, A),
    "admin.verify_organization":       (L, F, F, F, F, A),
    "admin.reject_organization":       (L, F, F, F, F, A),
    "admin.users":                     (L, F, F, F, F, A),
    "admin.change_role":               (L, F, F, F, F, A),
    "admin.end_sessions":              (L, F, F, F, F, A),
    "admin.audit_log":                 (L, F, F, F, F, A),
    "admin.verify_audit":              (L, F, F, F, F, A),
    "admin.plugins":                   (L, F, F, F, F, A),
    "admin.plugin_state":              (L, F, F, F, F, A),
    "admin.jobs":                      (L, F, F, F, F, A),
    "admin.retry_job":                 (L, F, F, F, F, A),   # the buyer's failed job
    "admin.plugin_trust":              (L, F, F, F, F, A),
    # JSON API and its documentation
    "products.Products":               (A, A, A, A, A, A),
    "products.ProductItem":            (A, A, A, A, A, A),
    "api-docs.openapi_json":           (A, A, A, A, A, A),
    "csrf.CsrfToken":                  (A, A, A, A, A, A),
    # commerce API: the caller's own cart, orders and entitlements; an order and its receipts
    # are also seen by the selling merchant and admins (order.view, receipt.view)
    "cart.Cart":                       (L, A, A, A, A, A),
    "cart.CartItem":                   (L, A, F, F, F, F),   # the buyer's cart item
    "orders.Orders":                   (L, A, A, A, A, A),
    "orders.OrderItem":                (L, A, F, A, F, A),   # the buyer's paid order
    "orders.OrderPayment":             (L, A, F, F, F, F),
    "orders.OrderCancellation":        (L, A, F, F, F, F),
    "entitlements.Entitlements":       (L, A, A, A, A, A),
    "entitlements.EntitlementItem":    (L, A, F, F, F, A),
    "receipts.ReceiptItem":            (L, A, F, A, F, A),
    # the buyer's commerce pages (commerce/views.py): one's own cart, orders, quotes and
    # memberships; an order and its receipts are also seen by the selling merchant and admins
    "commerce.show_cart":              (L, A, A, A, A, A),
    "commerce.add_to_cart":            (L, A, A, A, A, A),
    "commerce.remove_from_cart":       (L, A, F, F, F, F),   # the buyer's cart item
    "commerce.checkout":               (L, A, A, A, A, A),
    "commerce.order_list":             (L, A, A, A, A, A),
    "commerce.order_detail":           (L, A, F, A, F, A),   # the buyer's paid order
    "commerce.pay":                    (L, A, F, F, F, F),
    "commerce.cancel_order":           (L, A, F, F, F, F),
    "commerce.receipt":                (L, A, F, A, F, A),
    "commerce_account.cancel_subscription":    (L, A, F, F, F, A),   # the buyer's membership
    "commerce_account.quote_list":             (L, A, A, A, A, A),
    "commerce_account.request_quote":          (L, A, A, A, A, A),
    "commerce_account.accept_quote":           (L, A, F, F, F, F),   # the buyer's quote
    "commerce_account.withdraw_quote":         (L, A, F, F, F, F),
    # the payment provider's webhook: public; an unsigned body is refused with 400
    "payments.webhook":                (A, A, A, A, A, A),
    "api-docs.openapi_swagger_ui":     (A, A, A, A, A, A),
    # the merchant's books (ledger.view: a merchant's own organization; admins use the admin
    # area) and quote requests (the merchant area; answering: the quoted organization only)
    "commerce_merchant.sales":         (L, F, F, A, A, F),
    "commerce_merchant.statement":     (L, F, F, A, A, F),
    "commerce_merchant.statement_csv": (L, F, F, A, A, F),
    "commerce_merchant.quote_requests": (L, F, F, A, A, F),
    "commerce_merchant.answer_quote":  (L, F, F, A, F, F),   # the buyer's quote to org A
    "commerce_merchant.decline_quote": (L, F, F, A, F, F),
    # order.refund: admins, and the merchant owning every line of the order
    "commerce_merchant.refund_order":  (L, F, F, A, F, A),
    # commerce in the admin area
    "commerce_admin.orders_list":      (L, F, F, F, F, A),
    "commerce_admin.order_detail":     (L, F, F, F, F, A),
    "commerce_admin.refund_order":     (L, F, F, F, F, A),
    "commerce_admin.commission":       (L, F, F, F, F, A),
    "commerce_admin.set_default_rate": (L, F, F, F, F, A),
    "commerce_admin.set_override":     (L, F, F, F, F, A),
    "commerce_admin.clear_override":   (L, F, F, F, F, A),
    "commerce_admin.payouts":          (L, F, F, F, F, A),
    "commerce_admin.record_payout":    (L, F, F, F, F, A),
    # authorization applications: a buyer applies for another organization's product (the
    # owner cannot) and withdraws its own; org A's merchant decides and may revoke; admins take
    # the level 4 decision and may revoke; the three of them read it (the buyer's, submitted)
    "authorization.apply":             (L, A, A, F, A, A),
    "authorization.my_applications":   (L, A, A, A, A, A),
    "authorization.merchant_applications": (L, F, F, A, A, F),
    "authorization.admin_applications": (L, F, F, F, F, A),
    "authorization.application_detail": (L, A, F, A, F, A),
    "authorization.withdraw_application": (L, A, F, F, F, F),
    "authorization.decide_application": (L, F, F, A, F, F),
    "authorization.admin_decide_application": (L, F, F, F, F, A),
    "authorization.revoke_application": (L, F, F, A, F, A),
    "applications.Applications":       (L, A, A, A, A, A),
    "applications.ReceivedApplications": (L, F, F, A, A, A),
    "applications.ApplicationItem":    (L, A, F, A, F, A),
    "applications.ApplicationWithdrawal": (L, A, F, F, F, F),
    "applications.ApplicationDecision": (L, F, F, A, F, F),
    "applications.ApplicationAdminDecision": (L, F, F, F, F, A),
    "applications.ApplicationRevocation": (L, F, F, A, F, A),
    # API keys: the buyer's own (an admin may revoke any leaked key), managed with a session
    "api_keys.key_list":               (L, A, A, A, A, A),
    "api_keys.rotate_key":             (L, A, F, F, F, F),   # the buyer's key
    "api_keys.revoke_key":             (L, A, F, F, F, A),
    "keys.Keys":                       (L, A, A, A, A, A),
    "keys.KeyItem":                    (L, A, F, F, F, A),
    "keys.KeyRotation":                (L, A, F, F, F, F),
    # a sandbox key to a product's trial: anyone signed in but the product's own merchant (the
    # world's listing offers no trial, so an allowed request is sent back to the product page;
    # the API's empty body is refused by validation after the policy let it in)
    "api_keys.sandbox_key":            (L, A, A, F, A, A),
    "keys.SandboxKey":                 (L, A, A, A, A, A),
    # the gateway takes API keys only: a signed-in session is refused (see
    # test_route_matrix_with_an_api_key for keys)
    "gateway.call":                    (L, F, F, F, F, F),
    # usage: one's own (session or key); a merchant's products' for merchants
    "usage.Usage":                     (L, A, A, A, A, A),
    "usage.MerchantUsage":             (L, F, F, A, A, F),
    "api_keys.merchant_usage":         (L, F, F, A, A, F),
    # the holder's try-it console (the page; its calls go to the gateway with a key)
    "api_keys.holder_console":         (L, A, F, F, F, A),
    # a data package's download page: the entitlement's buyer (the world's entitlement is to
    # an API product, so the page says there is nothing to download); a signed link: the
    # buyer it names (the token here is not signed, so it names nobody)
    "downloads.download_page":         (L, A, F, F, F, F),
    "downloads.fetch":                 (L, F, F, F, F, F),
    # dashboards of use: one's own (a session), a merchant's products', the platform's; the
    # abnormal-use alerts are the admins'
    "usage_dashboards.buyer_usage":    (L, A, A, A, A, A),
    "usage_dashboards.merchant_insights": (L, F, F, A, A, F),
    "admin.platform_usage":            (L, F, F, F, F, A),
    "admin.usage_alerts":              (L, F, F, F, F, A),
    "admin.usage_alert":               (L, F, F, F, F, A),
    "admin.close_usage_alert":         (L, F, F, F, F, A),
    # a background job's progress: the user who asked for it, and admins
    "jobs.JobItem":                    (L, A, F, F, F, A),
    # refund requests: the order's buyer asks on a line; the line's merchant decides (an admin
    # too, but only three working days after the request: the world's is new); the three of
    # them read it
    "buyer_requests.ask_refund":       (L, A, F, F, F, F),
    "buyer_requests.refund_request":   (L, A, F, A, F, A),
    "buyer_requests.decide_refund_request": (L, F, F, A, F, F),
    "buyer_requests.merchant_refund_requests": (L, F, F, A, A, F),
    "buyer_requests.admin_refund_requests": (L, F, F, F, F, A),
    "refund_requests.RefundRequests":  (L, A, A, A, A, A),
    "refund_requests.RefundRequestItem": (L, A, F, A, F, A),
    "refund_requests.RefundDecision":  (L, F, F, A, F, F),
    # invoice requests: the order's buyer asks each merchant of it; that merchant issues it;
    # the PDF is the buyer's, the merchant's and admins' (the world's is not issued yet: 404
    # after the policy was asked)
    "buyer_requests.ask_invoice":      (L, A, F, F, F, F),
    "buyer_requests.invoice_pdf":      (L, F, F, F, F, F),
    "buyer_requests.merchant_invoice_requests": (L, F, F, A, A, F),
    "buyer_requests.issue_invoice":    (L, F, F, A, F, F),
    "invoice_requests.InvoiceRequests": (L, A, A, A, A, A),
    "invoice_requests.InvoiceRequestItem": (L, A, F, A, F, A),
}

# The listing a route acts on when the published one would say little (nothing is editable once
# published; only submitted listings are reviewed). Used by both tests.
LISTING_VARIANT = {
    "merchant.edit_listing": "draft",
    "merchant.submit_listing": "draft",
    "merchant.check_listing": "draft",
    "datasets.upload_dataset": "draft",
    "dataset_grants.grant_dataset": "draft",
    "dataset_grants.revoke_grant": "draft",
    "admin.review_listing": "submitted",
    "admin.decide_listing": "submitted",
}


# ---------------------------------------------------------------------------- the routes


@dataclass(frozen=True)
class Route:
    endpoint: str
    rule: str
    method: str
    arguments: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.method} {self.rule} ({self.endpoint})"


def routes_of(app: Flask) -> list[Route]:
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in IGNORED_ENDPOINTS:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append(Route(rule.endpoint, rule.rule, method, tuple(sorted(rule.arguments))))
    return sorted(found, key=lambda r: (r.rule, r.method))


def _discover_routes() -> list[Route]:
    """The routes of an app built at collection time, so that each gets its own test."""
    with tempfile.TemporaryDirectory(prefix="datamarket-routes-") as folder:
        app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "x",
                          "SEARCH_POLL_SECONDS": 0, "JOBS_IMMEDIATE": True,
                          "INSTANCE_PATH": folder, "MAIL_FOLDER": folder})
        try:
            return routes_of(app)
        finally:
            get_engine(app).dispose()


ROUTES = _discover_routes()


# ---------------------------------------------------------------------------- the data


@dataclass
class World:
    admin: User
    owner: User
    other_merchant: User
    buyer: User
    other_buyer: User
    organization: MerchantOrganization
    listing: Listing  # published, of the owner's organization
    draft: Listing
    submitted: Listing
    notification: Notification  # the buyer's
    plugin_name: str  # an installed_plugin row
    order: Order  # the buyer's, paid, for a call pack of the published listing
    receipt: Receipt  # of that order
    entitlement: Entitlement  # granted by that order
    cart_item: CartItem  # the buyer's: the published listing's membership
    quote: ServiceQuote  # the buyer's request to org A, awaiting its quote
    subscription: Subscription  # the buyer's membership
    review: ProductReview  # the buyer's review of the published listing
    application: AuthorizationApplication  # the buyer's, for the published listing, submitted
    api_key: ApiKey  # the buyer's, covering every entitlement of theirs
    api_token: str  # that key's secret
    alert: UsageAlert  # an open abnormal-use alert on that key
    job: JobRun  # a background job the buyer asked for, failed
    refund_request: RefundRequest  # the buyer's, open, on the paid order's line
    invoice: InvoiceRequest  # the buyer's, asked of org A for the paid order, not issued


    def actor(self, name: str) -> User | None:
        return None if name == "anonymous" else getattr(self, name)


# Argument name -> the id it gets. A route with another argument fails until it is added here.
ID_ARGUMENTS = {
    "listing_id": lambda world, variant: getattr(world, variant).id,
    "product_id": lambda world, variant: world.listing.product_id,
    "organization_id": lambda world, variant: world.organization.id,
    "user_id": lambda world, variant: world.buyer.id,
    "notification_id": lambda world, variant: world.notification.id,
    "plugin_name": lambda world, variant: world.plugin_name,
    "order_number": lambda world, variant: world.order.number,
    "receipt_number": lambda world, variant: world.receipt.number,
    "entitlement_id": lambda world, variant: world.entitlement.id,
    "item_id": lambda world, variant: world.cart_item.id,
    "quote_id": lambda world, variant: world.quote.id,
    "subscription_id": lambda world, variant: world.subscription.id,
    "review_id": lambda world, variant: world.review.id,
    "application_id": lambda world, variant: world.application.id,
    "key_id": lambda world, variant: world.api_key.id,
    "alert_id": lambda world, variant: world.alert.id,
    "job_id": lambda world, variant: world.job.id,
    "plugin": lambda world, variant: world.listing.plugin_name or "world_plugin",
    "operation": lambda world, variant: world.listing.operation_name or "lookup",
    "token": lambda world, variant: "not-a-signed-token",
    "line_id": lambda world, variant: world.refund_request.order_line_id,
    "request_id": lambda world, variant: world.refund_request.id,
    "invoice_id": lambda world, variant: world.invoice.id,
}


@pytest.fixture(scope="module")
def world_template(tmp_path_factory, postgres_url) -> tuple[str, World, Snapshot | None]:
    """The rows every route test needs, built once and put back before each test.

    The matrix makes a few hundred requests, each on an untouched world, so that one actor's
    action never changes what the next actor sees. On SQLite each test copies the world's file;
    on PostgreSQL (when the suite runs there) the world is built in the worker's migrated
    database, so the matrix runs on the production schema, and each test gets its rows back
    from a snapshot.
    """
    folder = tmp_path_factory.mktemp("route-world")
    if postgres_url:
        url = postgres_url
        postgres_support.restore(url, metadata.sorted_tables)
    else:
        url = f"sqlite:///{folder / 'world.db'}"
        engine = create_engine(url)
        metadata.create_all(engine)
        engine.dispose()
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "x",
                      "SEARCH_POLL_SECONDS": 0, "JOBS_IMMEDIATE": True,
                      "INSTANCE_PATH": str(folder / "instance"), "MAIL_FOLDER": str(folder),
                      "SMTP_HOST": ""})
    # Not the ``db`` fixture: it keeps an app context pushed for the whole test, and the test
    # client's requests would then share its ``g`` (signed-in user, policy checks, session).
    with pytest.MonkeyPatch.context() as patch, app.test_request_context():
        # Argon2 at its cheapest: the routes need many accounts, not slow hashes.
        patch.setattr(accounts_services, "_hasher",
                      PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        db = new_session(get_engine(app))
        try:
            world = _make_world(db)
        finally:
            db.close()
            # The last connection folds SQLite's WAL into the file.
            get_engine(app).dispose()
    if postgres_url:
        return url, world, postgres_support.take_snapshot(url, metadata.sorted_tables)
    assert not (folder / "world.db-wal").exists()
    return url, world, None


@pytest.fixture
def database_url(tmp_path, world_template) -> str:
    """Overrides conftest's empty database with the world, untouched."""
    url, _world, snapshot = world_template
    if snapshot is not None:
        postgres_support.restore(url, metadata.sorted_tables, snapshot)
        return url
    target = tmp_path / "routes.db"
    shutil.copyfile(make_url(url).database, target)
    return f"sqlite:///{target}"


@pytest.fixture
def world(world_template) -> World:
    return world_template[1]


def _make_world(db: Session) -> World:
    admin = make_user(db, Role.ADMIN)
    owner, organization = make_merchant(db)
    other_merchant, _other_org = make_merchant(db)
    buyer, other_buyer = make_user(db), make_user(db)
    listing = make_listing(db, owner, organization, state=ListingState.PUBLISHED, admin=admin)
    draft = make_listing(db, owner, organization, state=ListingState.DRAFT)
    submitted = make_listing(db, owner, organization, state=ListingState.SUBMITTED)
    make_organization(db, verified=False)  # something for the admin's organizations page
    notify(db, [buyer], "role.changed", {"role": "buyer"}, link="/account")
    db.commit()
    notification = db.exec(select(Notification).where(Notification.user_id == buyer.id)).one()
    # Recorded directly, so the plugin routes have a row whatever plugins are installed here.
    db.add(InstalledPlugin(name="world_plugin", version="1.0", trusted=False))
    db.commit()
    # Bought through the services, paid with a made-up provider reference (no provider here).
    plan = {p.model: p for p in catalog_services.plans_for(db, listing.id)}
    cart.add(db, buyer, plan["per_call"].id, pack_calls=1000)
    order = cart.checkout(db, buyer, attempt="world")
    fulfilment.record_charge(db, order, amount=order.total, provider_ref="pi_world")
    cart_item = cart.add(db, buyer, plan["membership"].id)
    # Recorded directly: the world's listing sells no service fee to request a quote on.
    quote = ServiceQuote(buyer_id=buyer.id, listing_id=listing.id, plan_id=plan["per_call"].id,
                         organization_id=organization.id, request="Score our 5,000 suppliers.")
    db.add(quote)
    # Recorded directly: a membership is subscribed at the provider, which is not here.
    subscription = Subscription(order_line_id=cart.order_lines(db, order.id)[0].id,
                                buyer_id=buyer.id, provider_id="sub_world", status="active")
    db.add(subscription)
    db.commit()
    review = reviews.write(db, buyer, listing.product_id, 4, "Answers in under a second.")
    # Recorded directly: the world's listing (level 1) needs no application to be bought.
    application = AuthorizationApplication(
        buyer_id=buyer.id, product_id=listing.product_id, listing_id=listing.id,
        organization_id=organization.id, purpose="Vet suppliers.", scenario="Procurement",
        legal_basis="contract", starts_on=date.today(), ends_on=date.today() + timedelta(30))
    db.add(application)
    made = keys.create(db, WORLD_SECRET, buyer.id, name="world")
    db.flush()
    alert = UsageAlert(rule="enumeration", api_key_id=made.key.id, buyer_id=buyer.id,
                       window_start=utcnow(), window_end=utcnow(), evidence={"calls": 20},
                       open_key=f"enumeration:{made.key.id}")
    db.add(alert)
    job = JobRun(kind="notifications.deliver_outbox", asked_by=buyer.id, state=JobState.FAILED,
                 attempts=5, error="OSError: the mail server did not answer")
    db.add(job)
    line = cart.order_lines(db, order.id)[0]
    refund_request = RefundRequest(order_id=order.id, order_line_id=line.id,
                                   open_line_id=line.id, buyer_id=buyer.id,
                                   organization_id=organization.id, amount=100,
                                   reason="Late data.")
    invoice = InvoiceRequest(order_id=order.id, organization_id=organization.id,
                             buyer_id=buyer.id, amount=order.total, company_name="Buyer Co",
                             taxpayer_id=organization.credit_code)
    db.add_all([refund_request, invoice])
    db.commit()
    return World(admin, owner, other_merchant, buyer, other_buyer, organization, listing, draft,
                 submitted, notification, "world_plugin", order,
                 fulfilment.receipts_for(db, order.id)[0],
                 entitlements.for_order(db, order.id)[0], cart_item, quote, subscription, review,
                 application, made.key, made.token, alert, job, refund_request, invoice)


def url_for_route(app: Flask, route: Route, world: World) -> str:
    unknown = [name for name in route.arguments if name not in ID_ARGUMENTS]
    if unknown:
        pytest.fail(
            f"{route} takes {unknown}, which tests/test_routes_policy.py does not know how to "
            "fill: add the argument to ID_ARGUMENTS (and the row it needs to the world fixture)."
        )
    variant = LISTING_VARIANT.get(route.endpoint, "listing")
    values = {name: ID_ARGUMENTS[name](world, variant) for name in route.arguments}
    with app.test_request_context():
        return url_for(route.endpoint, **values)


# ---------------------------------------------------------------------------- the recorder


def install_recorder(app: Flask) -> Flask:
    """Record, for each request, the policy checks its view made.

    Only the view's own checks are in ``g.policy_checks``: a template's ``can(...)`` answers
    without being recorded, and a blueprint's ``before_request`` gate is kept apart
    (``g.policy_gate_checks``), so neither can stand in for the view's own authorization.
    """
    log: list[dict[str, Any]] = []
    app.extensions["test.policy_log"] = log

    @app.after_request
    def _remember_checks(response):  # registered last, so it runs before the guard
        log.append({"endpoint": request.endpoint, "method": request.method,
                    "checks": list(g.get("policy_checks", [])),
                    "gate_checks": list(g.get("policy_gate_checks", [])),
                    "status": response.status_code})
        return response

    return app


@pytest.fixture
def checked_app(app: Flask) -> Flask:
    return install_recorder(app)


def client_as(app: Flask, user: User | None):
    client = app.test_client()
    if user is not None:
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
            if user.is_admin:  # as after the second sign-in step (tests/factories.log_in)
                session[PROVEN] = user.id
    return client


def send(app: Flask, route: Route, url: str, user: User | None):
    client = client_as(app, user)
    kwargs = {} if route.method == "GET" else {"data": {}}
    return client.open(url, method=route.method, **kwargs)


def is_public(app: Flask, route: Route, url: str) -> bool:
    with app.test_request_context(url, method=route.method):
        return policy.is_public_endpoint(app, route.endpoint)


# ---------------------------------------------------------------------------- (a) the guard


def test_routes_were_discovered():
    endpoints = {r.endpoint for r in ROUTES}
    assert {"storefront.home", "accounts.login", "notifications.index"} <= endpoints


def test_collected_routes_are_the_test_apps_routes(app):
    assert routes_of(app) == ROUTES


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_route_consults_the_policy(checked_app, world, route):
    url = url_for_route(checked_app, route, world)
    try:
        response = send(checked_app, route, url, world.admin)
    except policy.PolicyNotConsulted as exc:
        pytest.fail(f"{route}: {exc}")
    log = checked_app.extensions["test.policy_log"]
    assert log and log[-1]["endpoint"] == route.endpoint, (
        f"{route}: {url} was answered by {log[-1]['endpoint'] if log else 'nothing'}"
    )
    assert response.status_code < 500, f"{route} failed with {response.status_code}"
    assert log[-1]["checks"] or is_public(checked_app, route, url), (
        f"{route} answered {response.status_code} without asking the policy: call "
        "policy.authorize(action, resource) in the view, or mark it @public."
    )


def _fresh_app(app_config: dict) -> Flask:
    return create_app(app_config)


def test_guard_refuses_a_route_that_consults_nothing(app_config):
    app = _fresh_app(app_config)
    app.add_url_rule("/_unguarded", "unguarded", lambda: "leaked")
    try:
        with pytest.raises(policy.PolicyNotConsulted, match="unguarded"):
            app.test_client().get("/_unguarded")
    finally:
        get_engine(app).dispose()


def test_guard_lets_public_and_authorized_routes_through(app_config):
    app = _fresh_app(app_config)
    app.add_url_rule("/_open", "open", policy.public(lambda: "open"))

    def _asks():
        policy.authorize("listing.view", Listing(state=ListingState.PUBLISHED, organization_id=1))
        return "asked"

    app.add_url_rule("/_asks", "asks", _asks)
    try:
        client = app.test_client()
        assert client.get("/_open").data == b"open"
        assert client.get("/_asks").data == b"asked"
    finally:
        get_engine(app).dispose()


def test_a_template_can_is_not_an_authorization(app_config):
    """The guard itself ignores checks made while rendering; the route below only hides a link."""
    app = _fresh_app(app_config)

    def _hides_a_link():
        return render_template_string("{% if can('admin.dashboard') %}admin{% endif %}page")

    app.add_url_rule("/_hides", "hides", _hides_a_link)
    try:
        with pytest.raises(policy.PolicyNotConsulted, match="hides"):
            app.test_client().get("/_hides")
    finally:
        get_engine(app).dispose()


def test_the_admin_gate_does_not_hide_an_admin_route_without_its_own_check(app_config, world):
    """An admin page that forgot ``authorize`` is refused although the area's gate let the admin in.

    The endpoint is named in the admin blueprint, so the blueprint's ``before_request`` gate
    (``authorize("admin.dashboard")``) runs first and succeeds for the admin.
    """
    app = install_recorder(_fresh_app(app_config))
    app.add_url_rule("/admin/_forgot", "admin.forgot_its_check", lambda: "every user's e-mail")
    try:
        with pytest.raises(policy.PolicyNotConsulted, match="admin.forgot_its_check"):
            client_as(app, world.admin).get("/admin/_forgot")
        log = app.extensions["test.policy_log"]
        assert log[-1]["gate_checks"] == [("admin.dashboard", True)]
        assert log[-1]["checks"] == []
        # Others are still stopped by the gate before the view runs.
        assert client_as(app, world.buyer).get("/admin/_forgot").status_code == 403
    finally:
        get_engine(app).dispose()


def test_an_admin_route_with_its_own_check_passes_the_guard(app_config, world):
    app = _fresh_app(app_config)

    def _asks():
        policy.authorize("admin.dashboard")
        return "counts"

    app.add_url_rule("/admin/_asks", "admin.asks", _asks)
    try:
        response = client_as(app, world.admin).get("/admin/_asks")
        assert response.status_code == 200 and response.data == b"counts"
    finally:
        get_engine(app).dispose()


# ---------------------------------------------------------------------------- (b) the matrix


def test_every_endpoint_has_expectations():
    missing = sorted({r.endpoint for r in ROUTES} - set(EXPECTED))
    assert not missing, (
        f"routes without a row in EXPECTED (tests/test_routes_policy.py): {missing}. Write "
        f"down, for {ACTORS}, whether each is allowed (A), forbidden (F) or sent to log in (L)."
    )


def test_expectations_name_only_existing_endpoints():
    stale = sorted(set(EXPECTED) - {r.endpoint for r in ROUTES})
    assert not stale, f"EXPECTED has rows for endpoints that no longer exist: {stale}"


def test_expectation_rows_are_well_formed():
    for endpoint, row in EXPECTED.items():
        assert len(row) == len(ACTORS), endpoint
        assert L not in row[1:], f"{endpoint}: only anonymous users are sent to log in"


def outcome(route: Route, response) -> str:
    status = response.status_code
    location = urlsplit(response.headers.get("Location", ""))
    if status == 401 or (status in (302, 303) and location.path == "/login"):
        return L
    if status in (403, 404):
        return F
    if status == 400 and route.endpoint in REFUSE_UNSIGNED_POSTS:
        return A  # public, and refuses a body without a valid signature
    if status in (200, 201, 204, 302, 303) or (route.method != "GET"
                                                and status in (409, 422)):
        return A
    return f"unexpected status {status}"


def assert_outcome(route: Route, url: str, actor: str, response, expected: str) -> None:
    got = outcome(route, response)
    assert got == expected, (
        f"{route} {url} as {actor}: expected {expected}, got {got} ({response.status_code} "
        f"{response.headers.get('Location', '')})"
    )
    if expected == L:
        if route.rule.startswith("/api/"):
            assert response.status_code == 401
            assert response.mimetype == "application/problem+json"
        else:
            assert response.status_code == 302, "HTML pages send anonymous users to log in"


@pytest.mark.parametrize(
    "route", [r for r in ROUTES if r.method == "GET"], ids=str
)
def test_route_matrix_get(checked_app, world, route):
    if route.endpoint not in EXPECTED:
        pytest.fail(f"{route} has no row in EXPECTED; see test_every_endpoint_has_expectations")
    url = url_for_route(checked_app, route, world)
    for actor, expected in zip(ACTORS, EXPECTED[route.endpoint], strict=True):
        response = send(checked_app, route, url, world.actor(actor))
        assert_outcome(route, url, actor, response, expected)


# Actions change state, so each actor gets a fresh world.
@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize(
    "route", [r for r in ROUTES if r.method != "GET"], ids=str
)
def test_route_matrix_action(checked_app, world, route, actor):
    if route.endpoint not in EXPECTED:
        pytest.fail(f"{route} has no row in EXPECTED; see test_every_endpoint_has_expectations")
    url = url_for_route(checked_app, route, world)
    response = send(checked_app, route, url, world.actor(actor))
    assert_outcome(route, url, actor, response, EXPECTED[route.endpoint][ACTORS.index(actor)])


# ---------------------------------------------------------------------------- (c) API keys


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_route_matrix_with_an_api_key(checked_app, world, route):
    """A request with the buyer's API key (and no session) is the key's actor on the key
    endpoints only; elsewhere it reads what anyone may read (public pages, the catalog) and
    is refused everything else with a 401 problem naming what keys may call (never a CSRF
    400), and it never gets a session cookie."""
    url = url_for_route(checked_app, route, world)
    client = checked_app.test_client()
    kwargs = {} if route.method == "GET" else {"json": {}}
    response = client.open(url, method=route.method,
                           headers={"Authorization": f"Bearer {world.api_token}"}, **kwargs)
    assert "Set-Cookie" not in response.headers, f"{route} set a cookie for a key request"
    if route.endpoint not in KEY_ENDPOINTS:
        with checked_app.test_request_context(url, method=route.method):
            public = policy.is_public_endpoint(checked_app, route.endpoint)
        if route.method == "GET" and public:
            assert_outcome(route, url, "an API key", response, EXPECTED[route.endpoint][0])
            return
        assert response.status_code == 401, f"{route} answered {response.status_code}"
        assert response.mimetype == "application/problem+json"
        assert "API keys call only: GET /api/v1/usage; POST /api/v1/gateway/" in (
            response.get_json()["detail"])
        return
    # The key endpoints: the key acts as its buyer (the gateway on the world's plugin, which
    # is not installed here, answers 404 after the key and entitlement were accepted).
    assert response.status_code in (200, 404), response.get_data(as_text=True)
