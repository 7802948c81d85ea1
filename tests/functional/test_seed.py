"""The demo seed: a believable, valid, synthetic catalog loaded through the real services.

Seeding takes seconds (six argon2 hashes), so the tests that only read share one seeded SQLite
database (``demo``, ``demo_client``); the tests that write seed the per-test database (``db``),
which is PostgreSQL under ``.ci/run``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlmodel import Session, col, func, select
from stdnum import luhn
from stdnum.cn import ric, uscc

from marketplace import create_app
from marketplace.accounts import services as accounts
from marketplace.accounts.models import MerchantOrganization, OrganizationStatus, Role, User
from marketplace.audit.models import AuditChainHead, AuditEntry
from marketplace.audit.services import verify_chain
from marketplace.authorization import grants
from marketplace.authorization.models import ApplicationState
from marketplace.catalog import compliance, queries
from marketplace.catalog import services as catalog
from marketplace.catalog.models import (
    BillingPeriod,
    DeliveryForm,
    Listing,
    ListingState,
    PricingModel,
    PricingPlan,
    ProductType,
    ReviewDecision,
    Scenario,
)
from marketplace.datasets.dictionary import disagreements
from marketplace.datasets.models import Dataset
from marketplace.datasets.reader import read_batches
from marketplace.db import get_engine, new_session
from marketplace.demo.seed import DEMO_ADMIN_TOTP_SECRET, DEMO_LOGINS, seed
from marketplace.models import metadata
from marketplace.plugins import get_runtime

CJK = re.compile(r"[\u4e00-\u9fff]")
# Whole tokens only: a masked value such as 110105********1234 yields no candidate.
IDENTIFIER = re.compile(r"(?<![0-9A-Z*])[0-9A-Z]{16,19}(?![0-9A-Z*])")
# Columns that identify a person: the published sample must show them masked.
IDENTIFYING_COLUMNS = {"name", "id_number", "mobile", "legal_rep_name", "legal_rep_id_number",
                       "plate_number", "licence_file_number", "settlement_card"}
DESCRIPTION_SECTIONS = ("What you get", "How it is delivered", "Authorization and compliance",
                        "Update frequency")
CHINESE_SECTIONS = ("产品内容", "交付方式", "授权与合规", "更新频率")


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    application = create_app({
        "TESTING": True,
        "DATABASE_URL": f"sqlite:///{folder / 'demo.db'}",
        "SECRET_KEY": "test-secret-key",
        "INSTANCE_PATH": str(folder / "instance"),
        "MAIL_FOLDER": str(folder / "mail"),
        "SMTP_HOST": "",
        "WTF_CSRF_ENABLED": False,
        "JOBS_IMMEDIATE": True,
    })
    metadata.create_all(get_engine(application))
    with application.test_request_context():
        session = new_session(get_engine(application))
        assert seed(session) is True
        session.close()
    yield application
    get_engine(application).dispose()


@pytest.fixture
def demo(demo_app) -> Session:
    """A session on the shared seeded database; whatever a test changes is rolled back."""
    with demo_app.test_request_context():
        session = new_session(get_engine(demo_app))
        yield session
        session.rollback()
        session.close()


@pytest.fixture
def demo_client(demo_app):
    return demo_app.test_client()


@pytest.fixture
def seeded(db: Session) -> Session:
    assert seed(db) is True
    return db


def _listings(db: Session, state: ListingState | None = None) -> list[Listing]:
    query = select(Listing).order_by(Listing.id)
    if state is not None:
        query = query.where(Listing.state == state)
    return list(db.exec(query))


def _row_counts(db: Session) -> dict[str, int]:
    return {
        table.name: db.exec(select(func.count()).select_from(table)).one()
        for table in metadata.sorted_tables
    }


def _last_seq(db: Session) -> int:
    head = db.get(AuditChainHead, 1)
    return head.last_seq if head else 0


def _strings(value: Any):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def test_published_catalog_covers_every_scenario_type_and_pricing_model(demo):
    published = _listings(demo, ListingState.PUBLISHED)
    assert len(published) >= 16
    assert {item.scenario for item in published} == set(Scenario)
    assert {item.product_type for item in published} == set(ProductType)
    assert len({item.organization_id for item in published}) == 2
    assert 4 in {item.classification_level for item in published}

    plans = list(demo.exec(select(PricingPlan).where(
        col(PricingPlan.listing_id).in_([item.id for item in published]))))
    assert {plan.model for plan in plans} == set(PricingModel)
    memberships = [p for p in plans if p.model == PricingModel.MEMBERSHIP]
    assert {p.billing_period for p in memberships} == set(BillingPeriod)
    assert all(p.included_calls for p in memberships)
    assert any(p.overage_unit_price for p in memberships)
    assert any(p.model == PricingModel.PER_CALL and p.free_allowance > 0 and len(p.tiers) >= 2
               for p in plans)
    assert all(p.description for p in plans if p.model == PricingModel.SERVICE_FEE)


def test_every_published_product_is_complete_and_bilingual(demo):
    for item in _listings(demo, ListingState.PUBLISHED):
        # Chinese in the listing's own text, real English in the English version.
        assert CJK.search(item.title) and CJK.search(item.summary), item.title
        for english in (item.title_en, item.summary_en, item.description_md_en):
            assert re.search(r"[A-Za-z]{3}", english) and not CJK.match(english), item.title
        # Each version is written in its own language, section by section.
        assert _sections(item.description_md) == list(CHINESE_SECTIONS), item.title
        assert _sections(item.description_md_en) == list(DESCRIPTION_SECTIONS), item.title
        for body in _section_bodies(item.description_md):
            prose = re.sub(r"`[^`]*`", "", body)  # code (routes, field names) stays as it is
            assert len(CJK.findall(prose)) > len(re.findall(r"[A-Za-z]", prose)), (
                item.title, body)
        for body in _section_bodies(item.description_md_en):
            assert not CJK.search(re.sub(r"\([^)]*\)", "", body)), (item.title, body)
        # Indented lines would render as a code block instead of prose.
        assert not re.search(r"^ {4}", item.description_md, re.M), item.title
        assert item.tags, item.title
        assert 3 <= len(item.data_dictionary) <= 10, item.title
        assert 3 <= len(item.sample_rows) <= 5, item.title
        assert 1 <= len(catalog.plans_for(demo, item.id)) <= 3, item.title


def _sections(markdown: str) -> list[str]:
    return re.findall(r"^## (.+)$", markdown, re.M)


def _section_bodies(markdown: str) -> list[str]:
    return [body.strip() for body in re.split(r"^## .+$", markdown, flags=re.M)[1:]]


def test_personal_identifiers_in_published_samples_are_masked(demo):
    checked = 0
    for item in _listings(demo, ListingState.PUBLISHED):
        personal = {f["name"] for f in item.data_dictionary
                    if f["sensitivity"] in ("personal", "sensitive_personal")}
        for column in personal & IDENTIFYING_COLUMNS:
            for row in item.sample_rows:
                assert "*" in row[column], (item.title, column, row[column])
                checked += 1
    assert checked >= 30


def test_every_identifier_in_the_samples_is_valid(demo):
    credit_codes = resident_ids = cards = 0
    for item in _listings(demo):
        for value in _strings(item.sample_rows):
            for token in IDENTIFIER.findall(value):
                if len(token) == 18 and uscc.is_valid(token):
                    credit_codes += 1
                elif len(token) == 18 and token[:17].isdigit():
                    assert ric.is_valid(token), (item.title, token)
                    resident_ids += 1
                elif token.isdigit():
                    assert luhn.is_valid(token), (item.title, token)
                    cards += 1
                else:
                    pytest.fail(f"{item.title}: {token} is not a valid identifier")
    assert credit_codes >= 30
    for org in demo.exec(select(MerchantOrganization)):
        assert uscc.validate(org.credit_code) == org.credit_code


def test_every_submitted_listing_was_scanned_and_one_shows_blocking_findings(demo):
    reports = {item.title: compliance.latest_report(demo, item.id)
               for item in _listings(demo) if item.state != ListingState.DRAFT}
    assert all(report is not None and report.scanned_by == ["governance_tools"]
               for report in reports.values())
    blocked = {title for title, report in reports.items() if report.blocking}
    assert blocked == {"驾驶人违法记分明细"}
    for item in _listings(demo, ListingState.PUBLISHED):
        assert "governance_tools" in reports[item.title].scanned_by


def test_the_governance_products_sell_the_plugins_operations(demo):
    sold = {(item.plugin_name, item.operation_name)
            for item in _listings(demo, ListingState.PUBLISHED) if item.plugin_name}
    assert {("governance_tools", "pii_scan"), ("governance_tools", "desensitize"),
            ("governance_tools", "quality_report")} <= sold


def test_the_rest_of_the_lifecycle_is_shown(demo):
    states = {item.state for item in _listings(demo)}
    for state in (ListingState.DRAFT, ListingState.SUBMITTED, ListingState.REJECTED,
                  ListingState.CHANGES_REQUESTED):
        assert state in states
    for state in (ListingState.REJECTED, ListingState.CHANGES_REQUESTED):
        for item in _listings(demo, state):
            reasons = [d.reason for d in queries.decisions_for(demo, item.id)]
            assert reasons and all(len(r) > 40 for r in reasons), item.title
    assert len(queries.review_queue(demo)) >= 2


def test_a_new_version_waits_for_review_while_the_old_one_stays_on_sale(demo, demo_client):
    new = demo.exec(select(Listing).where(Listing.version == "1.1")).one()
    assert new.state == ListingState.SUBMITTED
    assert new in queries.review_queue(demo)
    live = queries.live_listing(demo, new.product_id)
    assert live is not None and live.version == "1.0" and live.id != new.id
    assert {f["name"] for f in new.data_dictionary} > {f["name"] for f in live.data_dictionary}
    response = demo_client.get(f"/api/v1/products/{new.product_id}")
    assert response.status_code == 200
    assert response.json["version"] == "1.0"


def test_the_demo_buyer_may_buy_a_level_3_product_and_the_merchant_has_one_to_decide(demo):
    buyer = accounts.find_user_by_email(demo, "buyer@example.com")
    second = accounts.find_user_by_email(demo, "buyer2@example.com")
    level_3 = [item for item in _listings(demo, ListingState.PUBLISHED)
               if item.classification_level == 3]
    approved = [item for item in level_3
                if grants.approved_application(demo, buyer.id, item.product_id)]
    assert approved, "the demo buyer has an approved application for a level 3 product"
    waiting = grants.open_application(demo, second.id, approved[0].product_id)
    assert waiting is not None and waiting.state == ApplicationState.SUBMITTED
    merchant = accounts.find_user_by_email(demo, "merchant@example.com")
    assert waiting.organization_id == merchant.organization_id


def test_accounts_and_organizations(demo):
    for _role, email, password in DEMO_LOGINS:
        assert accounts.authenticate(demo, email, password) is not None, email
    assert accounts.authenticate(demo, "admin@example.com", "demo-merchant") is None
    roles = {u.email: u.role for u in demo.exec(select(User))}
    assert roles["admin@example.com"] == Role.ADMIN
    assert roles["buyer@example.com"] == roles["buyer2@example.com"] == Role.BUYER
    statuses = {}
    for email in ("merchant@example.com", "merchant2@example.com",
                  "pending-merchant@example.com"):
        user = accounts.find_user_by_email(demo, email)
        assert user.is_merchant
        statuses[email] = demo.get(MerchantOrganization, user.organization_id).status
    assert statuses == {
        "merchant@example.com": OrganizationStatus.VERIFIED,
        "merchant2@example.com": OrganizationStatus.VERIFIED,
        "pending-merchant@example.com": OrganizationStatus.PENDING,
    }
    primary = accounts.find_user_by_email(demo, "merchant@example.com")
    org = demo.get(MerchantOrganization, primary.organization_id)
    assert "Hangzhou" in org.name and org.credit_code.startswith("913301")


def test_audit_chain_is_intact_and_records_the_reviews(demo):
    report = verify_chain(demo)
    assert report.ok, report.problem
    assert report.checked == _last_seq(demo) > 0
    actions = set(demo.exec(select(AuditEntry.action).distinct()))
    assert {"user.sign_up", "organization.verify", "listing.submit", "listing.approve",
            "listing.publish", "listing.reject", "listing.request_changes",
            "listing.new_version"} <= actions
    assert demo.exec(select(func.count()).select_from(ReviewDecision)).one() >= 18


def test_seeding_again_changes_nothing(demo):
    counts, last_seq = _row_counts(demo), _last_seq(demo)
    assert seed(demo) is False
    demo.commit()
    assert _row_counts(demo) == counts
    assert _last_seq(demo) == last_seq
    assert verify_chain(demo).ok


def test_a_failing_seed_leaves_nothing_behind(db):
    # The second merchant's address is taken: the seed fails after writing its first accounts.
    accounts.sign_up(db, email="merchant2@example.com", password="someone else's",
                     display_name="Someone else")
    db.commit()
    get_runtime().sync()  # the plugins found are recorded by the seed: not demo data
    counts, last_seq = _row_counts(db), _last_seq(db)
    with pytest.raises(accounts.AccountExists):
        seed(db)
    assert _row_counts(db) == counts
    assert _last_seq(db) == last_seq
    assert verify_chain(db).ok


def test_the_seed_is_the_same_on_every_run(seeded, demo):
    def snapshot(session: Session) -> list[tuple]:
        orgs = [(o.name, o.credit_code) for o in session.exec(
            select(MerchantOrganization).order_by(MerchantOrganization.id))]
        listings = [(item.title, item.version, item.state, item.sample_rows)
                    for item in _listings(session)]
        return orgs + listings

    assert snapshot(seeded) == snapshot(demo)


def test_cli_seed_demo_prints_the_logins(app, db):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "Demo data created." in first.output
    for _role, email, password in DEMO_LOGINS:
        assert email in first.output and password in first.output
    # The admin signs in with a second factor: the banner gives its key and a code, and with
    # that code (and the printed password) the demo admin reaches the admin pages.
    assert f"authenticator key {DEMO_ADMIN_TOTP_SECRET}" in first.output
    code = re.search(r"code now: (\d{6})", first.output).group(1)
    client = app.test_client()
    password = dict((email, pw) for _r, email, pw in DEMO_LOGINS)["admin@example.com"]
    signed = client.post("/login", data={"email": "admin@example.com", "password": password})
    assert signed.headers["Location"] == "/login/second-factor"
    passed = client.post("/login/second-factor", data={"code": code})
    assert passed.status_code == 302, passed.get_data(as_text=True)
    assert client.get("/admin").status_code == 200
    assert runner.invoke(args=["demo-code"]).output.strip().isdigit()
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0, again.output
    assert "already present" in again.output
    assert "admin@example.com" in again.output
    assert len(_listings(db, ListingState.PUBLISHED)) >= 16


def test_storefront_and_api_serve_the_seeded_catalog(demo, demo_client):
    assert demo_client.get("/").status_code == 200
    assert demo_client.get("/products").status_code == 200
    published = _listings(demo, ListingState.PUBLISHED)
    for item in published:
        assert demo_client.get(f"/products/{item.product_id}").status_code == 200
        response = demo_client.get(f"/api/v1/products/{item.product_id}")
        assert response.status_code == 200, item.title
        assert response.json["title"] == item.title
        assert response.json["sample_rows"] == item.sample_rows
    listed = demo_client.get("/api/v1/products?page_size=100")
    assert listed.status_code == 200
    assert len(listed.json) == len(published)
    hidden = _listings(demo, ListingState.DRAFT)[0]
    assert demo_client.get(f"/api/v1/products/{hidden.product_id}").status_code == 404


def test_the_demo_buyer_calls_the_gateway_with_the_printed_key(seeded, client, app):
    """``make run`` prints this key and the README's curl line: the call works and is metered."""
    import json

    from marketplace.delivery.models import UsageRecord
    from marketplace.demo.seed import DEMO_API, demo_curl, demo_product_id

    product_id = demo_product_id(seeded)
    plugin, operation = DEMO_API["operation"]
    line = demo_curl("http://127.0.0.1:8000", product_id)
    assert f"/api/v1/gateway/{product_id}/{plugin}/{operation}" in line
    response = client.post(f"/api/v1/gateway/{product_id}/{plugin}/{operation}",
                           data=DEMO_API["body"].encode(),
                           headers={"Authorization": f"Bearer {DEMO_API['key']}",
                                    "Content-Type": "application/json"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["findings"][0]["kind"] == "mobile"
    assert response.headers["X-Quota-Remaining"] == "999"
    assert json.loads(DEMO_API["body"])
    seeded.rollback()
    assert len(seeded.exec(select(UsageRecord)).all()) == 1


def test_a_demo_product_offers_a_trial_that_a_sandbox_key_can_call(seeded, client, app):
    """The demo text promises a sandbox key on request: the PII scan offers one, and a buyer
    who bought nothing calls it on the sample."""
    from marketplace.delivery import trials
    from marketplace.demo.seed import DEMO_API, demo_product_id
    from tests.factories import make_user

    product_id = demo_product_id(seeded)
    listing = seeded.exec(select(Listing).where(Listing.product_id == product_id,
                                                Listing.state == ListingState.PUBLISHED)).one()
    assert trials.offered(listing) == 10
    new = trials.issue_key(seeded, app.config["SECRET_KEY"], make_user(seeded).id, listing)
    seeded.commit()
    plugin, operation = DEMO_API["operation"]
    response = client.post(f"/api/v1/gateway/{product_id}/{plugin}/{operation}",
                           data=DEMO_API["body"].encode(),
                           headers={"Authorization": f"Bearer {new.token}",
                                    "Content-Type": "application/json"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["X-Usage-Kind"] == "sandbox"
    assert response.headers["X-Quota-Remaining"] == "9"


def test_the_demos_data_packages_on_their_way_to_review_carry_their_datasets(demo):
    packages = [listing for listing in _listings(demo)
                if listing.delivery_form == DeliveryForm.DATA_PACKAGE]
    with_data = {listing.state: demo.get(Dataset, listing.dataset_id) for listing in packages
                 if listing.dataset_id is not None}
    assert ListingState.PUBLISHED in with_data
    # the draft shows the editor without a dataset; the business registry, a draft never sold,
    # holds the dataset the company check's listing grants
    drafts = {listing.title_en: listing.dataset_id for listing in packages
              if listing.state == ListingState.DRAFT}
    assert drafts.pop("Business registry (internal)") is not None
    assert list(drafts.values()) == [None]
    published = with_data[ListingState.PUBLISHED]
    assert published.row_count == 2_000 and published.encoding == "UTF-8"
    assert sum(batch.num_rows for batch in read_batches(published)) == 2_000
    for listing in packages:
        if listing.dataset_id is not None:
            dataset = demo.get(Dataset, listing.dataset_id)
            assert disagreements(listing.data_dictionary, dataset.columns) == []


def test_the_demo_buyer_downloads_the_data_package_they_hold(seeded, app, tmp_path):
    """``make run`` shows a working download: the demo buyer's entitlement to a published data
    package offers one, and the file's watermark names that entitlement."""
    from marketplace.delivery.exports.identify import Candidate, identify
    from marketplace.delivery.models import Entitlement
    from marketplace.demo import catalog_data
    from marketplace.demo.seed import DEMO_API, DEMO_PACKAGE
    from tests.download_support import link_of

    buyer = accounts.find_user_by_email(seeded, DEMO_API["buyer"])
    title = next(entry["title"] for entry in catalog_data.PRODUCTS
                 if entry["key"] == DEMO_PACKAGE)
    held = seeded.exec(select(Entitlement).join(Listing, Listing.id == Entitlement.listing_id)
                       .where(Entitlement.buyer_id == buyer.id, Listing.title == title)).one()
    client = app.test_client()
    signed_in = client.post("/login", data={"email": buyer.email, "password": "demo-buyer"})
    assert signed_in.status_code == 302, "the printed demo login works"
    assert f"/account/entitlements/{held.id}/download" in client.get("/account").get_data(
        as_text=True)
    page = client.post(f"/account/entitlements/{held.id}/download", data={"fmt": "csv"})
    response = client.get(link_of(page.get_data(as_text=True)))
    delivered = tmp_path / "demo.csv"
    delivered.write_bytes(response.get_data())
    response.close()
    assert response.status_code == 200
    verdict = identify(delivered, [Candidate(held.id), Candidate(held.id + 1)], "test-secret-key")
    assert [finding.candidate.entitlement_id for finding in verdict.named] == [held.id]
