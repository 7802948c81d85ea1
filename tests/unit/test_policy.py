"""``policy.can`` as an explicit matrix: every action in RULES against every kind of actor.

Each row lists the outcome for (anonymous, buyer, other buyer, owning merchant, other merchant,
admin, inactive admin). A new action in RULES fails ``test_matrix_covers_every_action`` until a
row is written for it here, so nobody adds a rule without deciding who it lets through.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from marketplace import policy
from marketplace import rules as _domain_rules  # noqa: F401  registers every domain's rules
from marketplace.accounts.models import MerchantOrganization, Role, User
from marketplace.authorization.models import AuthorizationApplication
from marketplace.base import utcnow
from marketplace.catalog.dataset_grants import GrantOffer
from marketplace.catalog.models import Listing, ListingState, Product
from marketplace.catalog.operations import OperationOwner
from marketplace.commerce.buyer_requests.models import InvoiceRequest, RefundRequest
from marketplace.commerce.models import Order, ServiceQuote, Subscription
from marketplace.commerce.orders.access import OrderAccess
from marketplace.datasets.models import Dataset
from marketplace.delivery.download_links import DownloadLink
from marketplace.delivery.keys import KeyActor
from marketplace.delivery.models import ApiKey, Entitlement, SandboxTrial
from marketplace.jobs.models import JobRun
from marketplace.notifications.models import Notification
from marketplace.plugins.owners import PluginOwner
from marketplace.reviews.models import ProductReview
from marketplace.reviews.services import ReviewStanding

ORG_A, ORG_B = 10, 20

ACTORS: dict[str, User | None] = {
    "anonymous": None,
    "buyer": User(id=1, email="b1@example.com", display_name="Buyer", password_hash="x",
                  role=Role.BUYER),
    "other_buyer": User(id=2, email="b2@example.com", display_name="Other buyer",
                        password_hash="x", role=Role.BUYER),
    "owner": User(id=3, email="m1@example.com", display_name="Owner", password_hash="x",
                  role=Role.MERCHANT, organization_id=ORG_A),
    "other_merchant": User(id=4, email="m2@example.com", display_name="Other merchant",
                           password_hash="x", role=Role.MERCHANT, organization_id=ORG_B),
    "admin": User(id=5, email="a@example.com", display_name="Admin", password_hash="x",
                  role=Role.ADMIN),
    "inactive_admin": User(id=6, email="a2@example.com", display_name="Former admin",
                           password_hash="x", role=Role.ADMIN, is_active=False),
}
COLUMNS = tuple(ACTORS)


def _listing(state: ListingState) -> Listing:
    return Listing(id=100, product_id=50, organization_id=ORG_A, state=state, title="t",
                   product_type="raw_dataset", delivery_form="query_api", scenario="finance")


def _dataset(organization_id: int) -> Dataset:
    return Dataset(id=organization_id, storage_key=f"k{organization_id}", product_id=50,
                   organization_id=organization_id, listing_id=100, row_count=1,
                   original_name="r.csv", original_format="csv", size_bytes=1, sha256="x",
                   parquet_bytes=1, uploaded_by_id=3)


RESOURCES = {
    None: None,
    "draft": _listing(ListingState.DRAFT),
    "submitted": _listing(ListingState.SUBMITTED),
    "published": _listing(ListingState.PUBLISHED),
    "suspended": _listing(ListingState.SUSPENDED),
    "product": Product(id=50, organization_id=ORG_A, created_by_id=3),
    "org": MerchantOrganization(id=ORG_A, name="A", credit_code="x", contact_email="a@x.cn"),
    "notification": Notification(id=7, user_id=1, kind="listing.approved"),
    "user": ACTORS["buyer"],
    # plugin operations: org A's plugin, the platform's own, and a plugin whose credit code
    # matches no registered organization
    "operation": OperationOwner("org_a_tools", "lookup", "91350100M000100Y43", ORG_A),
    "platform_operation": OperationOwner("governance_tools", "pii_scan", "", None),
    "orphan_operation": OperationOwner("stray", "lookup", "91110000600037341L", None),
    # org A verified, and plugins: org A's and the platform's own (whose errors admins read)
    "verified_org": MerchantOrganization(id=ORG_A, name="A", credit_code="x",
                                         contact_email="a@x.cn", status="verified"),
    "plugin": PluginOwner("org_a_tools", "91350100M000100Y43", ORG_A),
    "platform_plugin": PluginOwner("governance_tools", "", None),
    # the buyer's entitlement to org A's product
    "entitlement": Entitlement(id=9, buyer_id=1, product_id=50, listing_id=100, plan_id=1,
                               order_id=1, order_line_id=1, pricing_model="one_time"),
    # the buyer's order of org A's product, the buyer's membership, the buyer's quote to org A
    "order": OrderAccess(Order(id=1, number="DM260101-ABCDEF", buyer_id=1, checkout_key="k"),
                         frozenset({ORG_A})),
    # an order that bought both org A's and org B's products
    "mixed_order": OrderAccess(Order(id=2, number="DM260101-FEDCBA", buyer_id=1, checkout_key="m"),
                               frozenset({ORG_A, ORG_B})),
    "subscription": Subscription(id=3, order_line_id=1, buyer_id=1, provider_id="sub_1"),
    "quote": ServiceQuote(id=4, buyer_id=1, listing_id=100, plan_id=1, organization_id=ORG_A,
                          request="Score our suppliers."),
    # where the buyer stands towards reviewing org A's product: holding an entitlement, or not
    "standing": ReviewStanding(product_id=50, buyer_id=1, holds_entitlement=True, review=None),
    "standing_without_entitlement": ReviewStanding(product_id=50, buyer_id=1,
                                                   holds_entitlement=False, review=None),
    "review": ProductReview(id=8, product_id=50, listing_id=100, buyer_id=1, rating=2),
    # the buyer's authorization application for org A's product
    "application": AuthorizationApplication(id=11, buyer_id=1, product_id=50, listing_id=100,
                                            organization_id=ORG_A, purpose="p", scenario="s",
                                            legal_basis="consent", starts_on=date(2027, 1, 1),
                                            ends_on=date(2027, 12, 31)),
    # a signed download link made for the buyer
    "download_link": DownloadLink(buyer_id=1, entitlement_id=9, fmt="csv", download_id="d"),
    # the buyer's API key
    "api_key": ApiKey(id=11, buyer_id=1, name="billing server", prefix="abcd1234",
                      secret_hash="x"),
    # the buyer's trial of org A's product
    "trial": SandboxTrial(id=3, buyer_id=1, product_id=50),
    # a background job the buyer asked for, and one the platform asked for itself
    "job": JobRun(id=12, kind="exports.csv", asked_by=1),
    "platform_job": JobRun(id=13, kind="plugins.announce"),
    # the buyer's refund request on org A's line: new, and one left undecided for two weeks
    "refund_request": RefundRequest(id=14, order_id=7, order_line_id=1, buyer_id=1,
                                    organization_id=ORG_A, amount=100, reason="r",
                                    created_at=utcnow()),
    "old_refund_request": RefundRequest(id=15, order_id=7, order_line_id=1, buyer_id=1,
                                        organization_id=ORG_A, amount=100, reason="r",
                                        created_at=utcnow() - timedelta(days=14)),
    # org A's own dataset offered to its draft, org B's dataset offered to org A's draft, and
    # org A's dataset offered to its published listing (no longer editable)
    "own_dataset_grant": GrantOffer(_listing(ListingState.DRAFT), _dataset(ORG_A)),
    "foreign_dataset_grant": GrantOffer(_listing(ListingState.DRAFT), _dataset(ORG_B)),
    "published_dataset_grant": GrantOffer(_listing(ListingState.PUBLISHED), _dataset(ORG_A)),
    # the buyer's invoice request to org A
    "invoice": InvoiceRequest(id=16, order_id=7, organization_id=ORG_A, buyer_id=1, amount=100,
                              company_name="c", taxpayer_id="t"),
}

Y, N = True, False

# (action, resource):         anon buyer other owner oth_m admin inactive_admin
MATRIX: dict[tuple[str, str | None], tuple[bool, ...]] = {
    # storefront
    ("listing.view", "draft"):      (N, N, N, Y, N, Y, N),
    ("listing.view", "submitted"):  (N, N, N, Y, N, Y, N),
    ("listing.view", "published"):  (Y, Y, Y, Y, Y, Y, N),
    ("listing.view", "suspended"):  (N, N, N, Y, N, Y, N),
    # accounts
    ("account.view", None):               (N, Y, Y, Y, Y, Y, N),
    ("account.change_password", None):    (N, Y, Y, Y, Y, Y, N),
    ("account.edit_privacy", None):       (N, Y, Y, Y, Y, Y, N),
    ("notification.list", None):          (N, Y, Y, Y, Y, Y, N),
    ("notification.read", "notification"): (N, Y, N, N, N, N, N),
    ("organization.create", None):        (N, Y, Y, N, N, N, N),
    ("organization.view", "org"):         (N, N, N, Y, N, Y, N),
    ("organization.edit", "org"):         (N, N, N, Y, N, N, N),
    ("organization.edit", None):          (N, N, N, N, N, N, N),
    # merchants
    ("merchant.dashboard", None):   (N, N, N, Y, Y, N, N),
    ("listing.create", None):       (N, N, N, Y, Y, N, N),
    ("listing.manage", "draft"):     (N, N, N, Y, N, Y, N),
    ("listing.manage", "submitted"): (N, N, N, Y, N, Y, N),
    ("listing.manage", "published"): (N, N, N, Y, N, Y, N),
    ("listing.manage", "suspended"): (N, N, N, Y, N, Y, N),
    ("listing.edit", "draft"):       (N, N, N, Y, N, N, N),
    ("listing.edit", "submitted"):   (N, N, N, N, N, N, N),
    ("listing.edit", "published"):   (N, N, N, N, N, N, N),
    ("listing.edit", "suspended"):   (N, N, N, N, N, N, N),
    ("listing.submit", "draft"):     (N, N, N, Y, N, N, N),
    ("listing.submit", "submitted"): (N, N, N, Y, N, N, N),
    ("listing.submit", "published"): (N, N, N, Y, N, N, N),
    ("listing.submit", "suspended"): (N, N, N, Y, N, N, N),
    ("listing.publish", "draft"):     (N, N, N, Y, N, Y, N),
    ("listing.publish", "submitted"): (N, N, N, Y, N, Y, N),
    ("listing.publish", "published"): (N, N, N, Y, N, Y, N),
    ("listing.publish", "suspended"): (N, N, N, Y, N, Y, N),
    ("listing.retire", "draft"):      (N, N, N, Y, N, Y, N),
    ("listing.retire", "submitted"):  (N, N, N, Y, N, Y, N),
    ("listing.retire", "published"):  (N, N, N, Y, N, Y, N),
    ("listing.retire", "suspended"):  (N, N, N, Y, N, Y, N),
    ("product.new_version", "product"): (N, N, N, Y, N, N, N),
    # a listing grants its operations datasets of its own organization only, while editable
    ("dataset.grant", "own_dataset_grant"):       (N, N, N, Y, N, N, N),
    ("dataset.grant", "foreign_dataset_grant"):   (N, N, N, N, N, N, N),
    ("dataset.grant", "published_dataset_grant"): (N, N, N, N, N, N, N),
    ("operation.try", None):                 (N, N, N, Y, Y, Y, N),
    ("operation.try", "operation"):          (N, N, N, Y, N, Y, N),
    ("operation.try", "platform_operation"): (N, N, N, Y, Y, Y, N),
    ("operation.try", "orphan_operation"):   (N, N, N, N, N, Y, N),
    ("operation.try", "draft"):              (N, N, N, N, N, Y, N),
    # a merchant's own plugins: its verified organization's page; an incident's real error
    ("plugin.view_own", "verified_org"):     (N, N, N, Y, N, N, N),
    ("plugin.view_own", "org"):              (N, N, N, N, N, N, N),   # not verified yet
    ("plugin.view_own", None):               (N, N, N, N, N, N, N),
    ("plugin.incident_details", "plugin"):   (N, N, N, Y, N, Y, N),
    ("plugin.incident_details", "platform_plugin"): (N, N, N, N, N, Y, N),
    # platform admins
    ("admin.dashboard", None):          (N, N, N, N, N, Y, N),
    ("listing.review", "draft"):        (N, N, N, N, N, Y, N),
    ("listing.review", "submitted"):    (N, N, N, N, N, Y, N),
    ("listing.review", "published"):    (N, N, N, N, N, Y, N),
    ("listing.review", "suspended"):    (N, N, N, N, N, Y, N),
    ("listing.suspend", "draft"):       (N, N, N, N, N, Y, N),
    ("listing.suspend", "submitted"):   (N, N, N, N, N, Y, N),
    ("listing.suspend", "published"):   (N, N, N, N, N, Y, N),
    ("listing.suspend", "suspended"):   (N, N, N, N, N, Y, N),
    ("listing.reinstate", "draft"):     (N, N, N, N, N, Y, N),
    ("listing.reinstate", "submitted"): (N, N, N, N, N, Y, N),
    ("listing.reinstate", "published"): (N, N, N, N, N, Y, N),
    ("listing.reinstate", "suspended"): (N, N, N, N, N, Y, N),
    ("organization.verify", "org"):     (N, N, N, N, N, Y, N),
    ("user.list", None):                (N, N, N, N, N, Y, N),
    ("user.change_role", "user"):       (N, N, N, N, N, Y, N),
    ("user.end_sessions", "user"):      (N, N, N, N, N, Y, N),
    ("audit.view", None):               (N, N, N, N, N, Y, N),
    ("plugin.manage", None):            (N, N, N, N, N, Y, N),
    # background jobs: followed by who asked and admins; managed (failed ones retried) by admins
    ("job.view", "job"):                (N, Y, N, N, N, Y, N),
    ("job.view", "platform_job"):       (N, N, N, N, N, Y, N),
    ("job.manage", None):               (N, N, N, N, N, Y, N),
    # entitlements: the buyer they were granted to, and admins (not the selling merchant)
    ("entitlement.view", "entitlement"): (N, Y, N, N, N, Y, N),
    # a data package's download: asked for by the entitlement's buyer only (the file is
    # watermarked for them), and a signed link followed only by the buyer it names
    ("download.request", "entitlement"): (N, Y, N, N, N, N, N),
    ("download.request", None):          (N, N, N, N, N, N, N),
    ("download.fetch", "download_link"): (N, Y, N, N, N, N, N),
    ("download.fetch", None):            (N, N, N, N, N, N, N),
    # buying: one's own cart, orders and quotes; an order and its receipts are also seen by the
    # merchant whose product it bought, and by admins
    ("cart.use", None):                   (N, Y, Y, Y, Y, Y, N),
    ("order.list", None):                 (N, Y, Y, Y, Y, Y, N),
    ("order.view", "order"):              (N, Y, N, Y, N, Y, N),
    ("order.pay", "order"):               (N, Y, N, N, N, N, N),
    ("order.cancel", "order"):            (N, Y, N, N, N, N, N),
    ("receipt.view", "order"):            (N, Y, N, Y, N, Y, N),
    ("entitlement.list", None):           (N, Y, Y, Y, Y, Y, N),
    # API keys: made and listed by anyone signed in; rotated by their buyer; revoked by their
    # buyer or an admin. The gateway takes keys only (see test_a_key_is_an_actor_of_its_own).
    ("api_key.list", None):               (N, Y, Y, Y, Y, Y, N),
    ("api_key.create", None):             (N, Y, Y, Y, Y, Y, N),
    ("api_key.rotate", "api_key"):        (N, Y, N, N, N, N, N),
    ("api_key.revoke", "api_key"):        (N, Y, N, N, N, Y, N),
    ("gateway.call", "entitlement"):      (N, N, N, N, N, N, N),
    # sandbox keys: asked for by anyone signed in, but not for one's organization's own
    # product; the trial's calls take its sandbox key only
    ("sandbox_key.create", None):         (N, Y, Y, Y, Y, Y, N),
    ("sandbox_key.create", "published"):  (N, Y, Y, N, Y, Y, N),
    ("gateway.sandbox_call", "trial"):    (N, N, N, N, N, N, N),
    ("usage.view", None):                 (N, Y, Y, Y, Y, Y, N),
    ("usage.merchant", None):             (N, N, N, Y, Y, N, N),
    # dashboards of use (a session), the platform's and its abnormal-use alerts (admins)
    ("usage.dashboard", None):            (N, Y, Y, Y, Y, Y, N),
    ("usage.platform", None):             (N, N, N, N, N, Y, N),
    ("usage_alert.view", None):           (N, N, N, N, N, Y, N),
    ("usage_alert.close", None):          (N, N, N, N, N, Y, N),
    ("subscription.cancel", "subscription"): (N, Y, N, N, N, Y, N),
    ("quote.request", None):              (N, Y, Y, Y, Y, Y, N),
    # buyers' refund and invoice requests: asked by the order's buyer, decided or issued by the
    # seller (an admin decides a refund only once three working days have passed)
    ("refund_request.create", "order"):   (N, Y, N, N, N, N, N),
    ("invoice.request", "order"):         (N, Y, N, N, N, N, N),
    ("refund_request.list", None):        (N, Y, Y, Y, Y, Y, N),
    ("invoice.list", None):               (N, Y, Y, Y, Y, Y, N),
    ("refund_request.list_all", None):    (N, N, N, N, N, Y, N),
    ("invoice.list_all", None):           (N, N, N, N, N, Y, N),
    ("refund_request.list_merchant", None): (N, N, N, Y, Y, N, N),
    ("invoice.list_merchant", None):      (N, N, N, Y, Y, N, N),
    ("refund_request.view", "refund_request"): (N, Y, N, Y, N, Y, N),
    ("refund_request.decide", "refund_request"): (N, N, N, Y, N, N, N),
    ("refund_request.decide", "old_refund_request"): (N, N, N, Y, N, Y, N),
    ("invoice.view", "invoice"):          (N, Y, N, Y, N, Y, N),
    ("invoice.issue", "invoice"):         (N, N, N, Y, N, N, N),
    ("quote.list", None):                 (N, Y, Y, Y, Y, Y, N),
    ("quote.view", "quote"):              (N, Y, N, Y, N, Y, N),
    ("quote.accept", "quote"):            (N, Y, N, N, N, N, N),
    ("quote.withdraw", "quote"):          (N, Y, N, N, N, N, N),
    ("order.view", "mixed_order"):        (N, Y, N, Y, Y, Y, N),
    # the whole of an order (every seller's lines, the payments): its buyer and admins only;
    # each seller sees its own part
    ("order.view_whole", "order"):        (N, Y, N, N, N, Y, N),
    ("order.view_whole", "mixed_order"):  (N, Y, N, N, N, Y, N),
    # selling: a merchant's books (no resource: its own), refunds of orders it fully owns,
    # answering quotes to its organization
    ("ledger.view", None):                (N, N, N, Y, Y, N, N),
    ("ledger.view", "org"):               (N, N, N, Y, N, Y, N),
    ("order.refund", "order"):            (N, N, N, Y, N, Y, N),
    ("order.refund", "mixed_order"):      (N, N, N, N, N, Y, N),
    ("quote.answer", "quote"):            (N, N, N, Y, N, N, N),
    # reviews: the entitlement holder writes (the standing names the user it was made for);
    # admins moderate
    ("review.write", "standing"):         (N, Y, N, N, N, N, N),
    ("review.write", "standing_without_entitlement"): (N, N, N, N, N, N, N),
    ("review.write", None):               (N, N, N, N, N, N, N),
    ("review.moderate", None):            (N, N, N, N, N, Y, N),
    ("review.hide", "review"):            (N, N, N, N, N, Y, N),
    # platform admins: every order, commission rates, payouts
    ("order.list_all", None):             (N, N, N, N, N, Y, N),
    ("commission.manage", None):          (N, N, N, N, N, Y, N),
    ("commission.manage", "org"):         (N, N, N, N, N, Y, N),
    ("payout.manage", None):              (N, N, N, N, N, Y, N),
    ("payout.manage", "org"):             (N, N, N, N, N, Y, N),
    # authorization applications: a buyer applies for another organization's product (admins
    # may too, as buyers); the applicant withdraws; org A's merchant decides; admins take the
    # level 4 decision; the merchant or an admin revokes; the three of them read it
    ("application.create", "published"):  (N, Y, Y, N, Y, Y, N),
    ("application.create", None):         (N, N, N, N, N, N, N),
    ("application.list", None):           (N, Y, Y, Y, Y, Y, N),
    ("application.view", "application"):  (N, Y, N, Y, N, Y, N),
    ("application.withdraw", "application"): (N, Y, N, N, N, N, N),
    ("application.decide", "application"):   (N, N, N, Y, N, N, N),
    ("application.revoke", "application"):   (N, N, N, Y, N, Y, N),
    ("application.admin_decide", "application"): (N, N, N, N, N, Y, N),
    ("application.review_list", None):    (N, N, N, Y, Y, N, N),
    ("application.admin_list", None):     (N, N, N, N, N, Y, N),
}

CELLS = [
    (action, resource, actor, row[i])
    for (action, resource), row in MATRIX.items()
    for i, actor in enumerate(COLUMNS)
]


def test_every_row_has_one_cell_per_actor():
    for key, row in MATRIX.items():
        assert len(row) == len(COLUMNS), f"row {key} needs {len(COLUMNS)} cells"


def test_matrix_covers_every_action():
    in_table = {action for action, _resource in MATRIX}
    missing = sorted(set(policy.RULES) - in_table)
    stale = sorted(in_table - set(policy.RULES))
    assert not missing, (
        f"policy.RULES has actions without a row in tests/unit/test_policy.py MATRIX: {missing}; "
        "write the expected outcome for every actor."
    )
    assert not stale, f"MATRIX has rows for actions no longer in policy.RULES: {stale}"


@pytest.mark.parametrize(
    ("action", "resource", "actor", "expected"),
    CELLS,
    ids=[f"{a}-{r}-{who}" for a, r, who, _e in CELLS],
)
def test_can(action, resource, actor, expected):
    assert policy.can(ACTORS[actor], action, RESOURCES[resource]) is expected


@pytest.mark.parametrize("action", sorted(policy.RULES))
def test_inactive_users_can_do_nothing(action):
    for actor in ("buyer", "owner", "admin"):
        user = ACTORS[actor].model_copy(update={"is_active": False})
        for resource in RESOURCES.values():
            assert policy.can(user, action, resource) is False


@pytest.mark.parametrize("actor", COLUMNS)
def test_unknown_action_raises_key_error(actor):
    with pytest.raises(KeyError):
        policy.can(ACTORS[actor], "listing.delete_everything", RESOURCES["published"])


def test_merchant_role_without_organization_owns_nothing():
    stray = ACTORS["owner"].model_copy(update={"organization_id": None})
    assert not policy.can(stray, "merchant.dashboard")
    assert not policy.can(stray, "listing.manage", RESOURCES["draft"])


def test_buyer_of_the_same_organization_id_is_not_an_owner():
    # Ownership needs the merchant role, not only a matching organization id.
    buyer = ACTORS["buyer"].model_copy(update={"organization_id": ORG_A})
    assert not policy.can(buyer, "listing.manage", RESOURCES["draft"])
    assert not policy.can(buyer, "organization.view", RESOURCES["org"])


def test_changes_requested_listing_is_editable_by_its_owner_only():
    listing = _listing(ListingState.CHANGES_REQUESTED)
    assert policy.can(ACTORS["owner"], "listing.edit", listing)
    assert not policy.can(ACTORS["other_merchant"], "listing.edit", listing)
    assert not policy.can(ACTORS["admin"], "listing.edit", listing)


@pytest.mark.parametrize("state", [s for s in ListingState if s != ListingState.PUBLISHED])
def test_only_published_listings_are_visible_to_buyers(state):
    assert not policy.can(ACTORS["buyer"], "listing.view", _listing(state))
    assert not policy.can(None, "listing.view", _listing(state))
    assert policy.can(ACTORS["owner"], "listing.view", _listing(state))


def test_a_key_is_an_actor_of_its_own():
    """An API key calls the gateway on the entitlements of its buyer it covers and reads its
    buyer's usage; it manages no keys and is never an admin or a merchant."""
    entitlement = RESOURCES["entitlement"]
    all_of_theirs = KeyActor(key_id=11, buyer_id=1, entitlement_ids=frozenset())
    only_another = KeyActor(key_id=12, buyer_id=1, entitlement_ids=frozenset({99}))
    strangers = KeyActor(key_id=13, buyer_id=2, entitlement_ids=frozenset())
    assert policy.can(all_of_theirs, "gateway.call", entitlement)
    assert not policy.can(only_another, "gateway.call", entitlement)
    assert not policy.can(strangers, "gateway.call", entitlement)
    assert not policy.can(all_of_theirs, "gateway.call", RESOURCES["order"])
    assert policy.can(all_of_theirs, "usage.view")
    # a sandbox key calls its own trial only, never an entitlement, and reads no usage
    sandbox = KeyActor(key_id=14, buyer_id=1, entitlement_ids=frozenset(), trial_id=3)
    assert policy.can(sandbox, "gateway.sandbox_call", RESOURCES["trial"])
    assert not policy.can(sandbox, "gateway.sandbox_call", SandboxTrial(id=4, buyer_id=1,
                                                                        product_id=51))
    assert not policy.can(all_of_theirs, "gateway.sandbox_call", RESOURCES["trial"])
    assert not policy.can(sandbox, "gateway.call", entitlement)
    assert not policy.can(sandbox, "usage.view")
    assert not policy.can(sandbox, "sandbox_key.create", RESOURCES["published"])
    for action, resource in (("api_key.list", None), ("api_key.create", None),
                             ("api_key.rotate", "api_key"), ("api_key.revoke", "api_key"),
                             ("entitlement.view", "entitlement"), ("usage.merchant", None),
                             ("entitlement.list", None), ("usage.dashboard", None),
                             ("usage.platform", None), ("usage_alert.view", None),
                             ("download.request", "entitlement"),
                             ("download.fetch", "download_link")):
        assert not policy.can(all_of_theirs, action, RESOURCES[resource]), action
