"""The demo buyer downloads the data package they hold, in the browser: from their account's
entitlements to the format form, the signed link and the file, whose watermark names their
entitlement; then their usage page counts the download. Each page is audited like the
journeys (fits 1,280 and 390 px, no axe-core violation) and kept as a screenshot."""

from __future__ import annotations

import pytest
from sqlmodel import select

from marketplace.catalog.models import Listing
from marketplace.db import get_engine, new_session
from marketplace.delivery.exports.identify import Candidate, identify
from marketplace.delivery.models import Entitlement, UsageRecord
from marketplace.demo import catalog_data
from marketplace.demo.seed import DEMO_PACKAGE
from tests.browser.audit import Findings, audit_page
from tests.browser.sign_in import log_in

pytestmark = pytest.mark.browser


def _held_package(app) -> Entitlement:
    title = next(entry["title"] for entry in catalog_data.PRODUCTS
                 if entry["key"] == DEMO_PACKAGE)
    with app.app_context(), new_session(get_engine(app)) as session:
        return session.exec(select(Entitlement).join(Listing, Listing.id == Entitlement.listing_id)
                            .where(Listing.title == title)).one()


def test_the_demo_buyer_downloads_their_data_package(live_server, page, tmp_path):
    app, base = live_server
    held = _held_package(app)
    findings = Findings()

    log_in(page, base, "buyer@example.com", "demo-buyer")
    page.goto(f"{base}/account")
    page.get_by_test_id(f"download-{held.id}").click()
    page.wait_for_url(f"{base}/account/entitlements/{held.id}/download")
    audit_page(page, "buyer-en-download-form", findings)
    page.get_by_label("CSV").check()
    page.locator("main form button[type=submit], main form input[type=submit]").click()
    page.get_by_test_id("download-link").wait_for()
    audit_page(page, "buyer-en-download-link", findings)
    with page.expect_download() as asked:
        page.get_by_test_id("download-link").click()
    delivered = tmp_path / "package.csv"
    asked.value.save_as(delivered)

    verdict = identify(delivered, [Candidate(held.id), Candidate(held.id + 1)],
                       app.config["SECRET_KEY"])
    assert [finding.candidate.entitlement_id for finding in verdict.named] == [held.id]
    with app.app_context(), new_session(get_engine(app)) as session:
        kinds = session.exec(select(UsageRecord.kind)
                             .where(UsageRecord.entitlement_id == held.id)).all()
    assert kinds == ["download"]

    page.goto(f"{base}/account/usage")
    audit_page(page, "buyer-en-usage-after-download", findings)
    assert not findings.problems, findings.report()
