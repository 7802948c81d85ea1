"""The compliance scan on submission: plugins' findings reach the review, blocking ones stop
approval, and a plugin that fails leaves a visible gap instead of a clean-looking report."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlmodel import select

from marketplace.accounts.models import Role
from marketplace.catalog import compliance
from marketplace.catalog import services as catalog
from marketplace.catalog.lifecycle import Transition
from marketplace.catalog.models import ComplianceReport, ListingState
from marketplace.errors import InvalidTransition
from marketplace.plugins.models import PluginIncident
from tests.factories import (
    listing_content,
    logged_in_client,
    make_listing,
    make_merchant,
    make_user,
    page_text,
    plans,
)

# A resident ID number in real format: valid check digit, birth date and region.
REAL_ID = "110105199003071239"

PERSON_DICTIONARY = [
    {"name": "xm", "type": "string", "description": "Name", "sensitivity": "personal"},
    {"name": "sfzh", "type": "string", "description": "ID number", "sensitivity": "none"},
    {"name": "matched", "type": "boolean", "description": "Match", "sensitivity": "none"},
]


def person_listing(db, *, sample_id: str, level: int = 2, title: str = "Driver check"):
    merchant, org = make_merchant(db)
    content = listing_content(
        title=title, classification_level=level, data_dictionary=PERSON_DICTIONARY,
        sample_rows=[{"xm": "张*", "sfzh": sample_id, "matched": True}])
    listing = catalog.create_listing(db, merchant, org, content, plans("one_time"))
    db.commit()
    return merchant, listing


def submit(db, merchant, listing) -> ComplianceReport:
    catalog.submit(db, merchant, listing)
    db.commit()
    return compliance.latest_report(db, listing.id)


def test_a_real_id_number_in_the_sample_blocks_the_listing_at_review(app, db):
    merchant, listing = person_listing(db, sample_id=REAL_ID)
    report = submit(db, merchant, listing)

    assert listing.state == ListingState.SUBMITTED
    codes = [f["code"] for f in report.findings]
    assert "sample.unmasked_resident_id" in codes
    assert "dictionary.under_declared" in codes
    assert "classification.too_low" in codes
    assert report.blocking >= 3
    assert report.findings[0]["severity"] == "blocking"  # blocking first
    assert report.scanned_by == ["governance_tools"]
    # The report never repeats the sensitive value it found.
    assert REAL_ID not in str(report.findings)

    admin = make_user(db, Role.ADMIN)
    client = logged_in_client(app, admin)
    page = client.get(f"/admin/reviews/{listing.id}")
    text, html = page_text(page), page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.index('id="compliance-heading"') < html.index('id="overview-heading"')
    assert "blocking findings: the listing cannot be approved as it is" in text
    assert 'data-code="sample.unmasked_resident_id"' in html
    # Approve is offered neither selected nor selectable, and the page says why.
    approve = re.search(r'<input[^>]*value="approve"[^>]*>', html).group(0)
    assert "disabled" in approve and "checked" not in approve
    assert "Approval is not possible: the compliance report has" in text

    refused = client.post(f"/admin/reviews/{listing.id}/decision",
                          data={"decision": "approve", "reason": ""})
    assert refused.status_code == 422
    assert "cannot be approved as it is" in page_text(refused)
    approve = re.search(r'<input[^>]*value="approve"[^>]*>', refused.get_data(as_text=True))
    assert "checked" not in approve.group(0)  # not even after it was tried
    db.refresh(listing)
    assert listing.state == ListingState.SUBMITTED

    changes = client.post(f"/admin/reviews/{listing.id}/decision",
                          data={"decision": "request_changes",
                                "reason": "Mask the ID numbers in the sample."})
    assert changes.status_code == 302
    db.refresh(listing)
    assert listing.state == ListingState.CHANGES_REQUESTED


def test_a_masked_sample_at_the_right_level_can_be_approved(app, db):
    merchant, listing = person_listing(db, sample_id="110***********1239", level=4)
    listing.data_dictionary = [dict(f, sensitivity="sensitive_personal")
                               if f["name"] == "sfzh" else f for f in PERSON_DICTIONARY]
    db.add(listing)
    db.commit()
    report = submit(db, merchant, listing)

    assert report.blocking == 0, report.findings
    html = logged_in_client(app, make_user(db, Role.ADMIN, name="Reviewer")).get(
        f"/admin/reviews/{listing.id}").get_data(as_text=True)
    approve = re.search(r'<input[^>]*value="approve"[^>]*>', html).group(0)
    assert "disabled" not in approve and 'data-testid="approval-blocked"' not in html
    catalog.decide(db, make_user(db, Role.ADMIN), listing, Transition.APPROVE)
    db.commit()
    assert listing.state == ListingState.PUBLISHED


def test_check_now_shows_a_draft_the_report_its_submission_would_get(app, db):
    merchant, listing = person_listing(db, sample_id=REAL_ID)
    client = logged_in_client(app, merchant)
    detail = f"/merchant/listings/{listing.id}"
    assert 'data-testid="check-now"' in client.get(detail).get_data(as_text=True)

    checked = client.post(f"{detail}/check")
    html, text = checked.get_data(as_text=True), page_text(checked)
    assert checked.status_code == 200 and 'data-testid="check-now-report"' in html
    assert 'data-code="sample.unmasked_resident_id"' in html
    assert "blocking findings would send this listing back at review" in text
    # Nothing is kept and nothing moves: the listing is still a draft with no report.
    db.refresh(listing)
    assert listing.state == ListingState.DRAFT
    assert compliance.latest_report(db, listing.id) is None

    # The same scan as at submission: fixing the sample clears what the check found.
    content = listing.model_dump()
    content["classification_level"] = 4
    content["sample_rows"] = [{"xm": "张*", "sfzh": "110***********1239", "matched": True}]
    content["data_dictionary"] = [dict(f, sensitivity="sensitive_personal")
                                  if f["name"] == "sfzh" else f for f in PERSON_DICTIONARY]
    catalog.update_listing(db, merchant, listing, content)
    db.commit()
    text = page_text(client.post(f"{detail}/check"))
    assert "nothing blocks this listing" in text
    assert submit(db, merchant, listing).blocking == 0

    # Once submitted there is nothing left to check: the reviewer has the report.
    assert client.post(f"{detail}/check").status_code == 403


def test_the_service_refuses_approval_while_blocking_findings_stand(db):
    merchant, listing = person_listing(db, sample_id=REAL_ID)
    submit(db, merchant, listing)
    with pytest.raises(InvalidTransition, match="blocking"):
        catalog.decide(db, make_user(db, Role.ADMIN), listing, Transition.APPROVE)


def test_resubmitting_after_fixing_the_sample_gives_a_new_clean_report(app, db):
    merchant, listing = person_listing(db, sample_id=REAL_ID, level=4)
    first = submit(db, merchant, listing)
    catalog.decide(db, make_user(db, Role.ADMIN), listing, Transition.REQUEST_CHANGES,
                   "Mask the sample.")
    db.commit()
    content = listing.model_dump()
    content["sample_rows"] = [{"xm": "张*", "sfzh": "110***********1239", "matched": True}]
    content["data_dictionary"] = [dict(f, sensitivity="sensitive_personal")
                                  if f["name"] == "sfzh" else f for f in PERSON_DICTIONARY]
    catalog.update_listing(db, merchant, listing, content)
    db.commit()
    second = submit(db, merchant, listing)

    assert first.blocking > 0
    assert second.id != first.id and second.blocking == 0
    assert compliance.latest_report(db, listing.id).id == second.id


def test_the_merchant_sees_the_report_of_its_submission(app, db):
    merchant, listing = person_listing(db, sample_id=REAL_ID)
    submit(db, merchant, listing)
    page = logged_in_client(app, merchant).get(f"/merchant/listings/{listing.id}")
    assert page.status_code == 200
    assert "sample.unmasked_resident_id" in page.get_data(as_text=True)


class TestPluginsFromAFolder:
    @pytest.fixture
    def app_config(self, app_config):
        folder = Path(__file__).resolve().parent / "compliance_plugins"
        return {**app_config, "DATAMARKET_PLUGINS_DIR": str(folder)}

    def test_every_plugin_is_heard_and_a_failing_one_leaves_a_visible_gap(self, app, db):
        merchant, org = make_merchant(db)
        listing = make_listing(db, merchant, org, title="Forbidden data")
        report = submit(db, merchant, listing)

        by_code = {f["code"]: f for f in report.findings}
        # The merchant's plugin runs untrusted, in its worker process.
        assert by_code["strict.forbidden_title"]["plugin"] == "strict_reviewer"
        assert by_code["strict.forbidden_title"]["severity"] == "blocking"
        failed = by_code["platform.scan_failed"]
        assert failed["plugin"] == "crashing_reviewer"
        assert report.scanned_by == ["governance_tools", "strict_reviewer"]
        incident = db.exec(select(PluginIncident).where(
            PluginIncident.incident == failed["incident"])).one()
        assert incident.plugin == "crashing_reviewer"
        assert "cannot scan listing" in incident.message
        assert listing.state == ListingState.SUBMITTED

    def test_without_any_scanning_plugin_the_report_says_so(self, app, db, monkeypatch):
        app.config["DATAMARKET_PLUGINS_DIR"] = ""
        from marketplace.plugins import get_runtime

        monkeypatch.setattr(get_runtime(app), "plugins", {})
        merchant, org = make_merchant(db)
        report = submit(db, merchant, make_listing(db, merchant, org))
        assert [f["code"] for f in report.findings] == ["platform.no_scan"]
        assert report.blocking == 0
