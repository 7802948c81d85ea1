"""The automatic compliance scan that runs when a listing is submitted for review.

The platform does not judge data itself: it hands the listing (data dictionary and sample rows,
and for a data package its dataset's row count and a sample of its real rows) to every enabled
plugin that implements ``datamarket_listing_submitted`` — the governance tools
among them — and keeps what they find as the listing's :class:`ComplianceReport`. A blocking
finding means the listing cannot be approved as it is. When no plugin could scan the listing, the
report says so instead of looking clean.
"""

from __future__ import annotations

from typing import Any

from datamarket_sdk import ListingSnapshot
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, select

from marketplace.catalog.models import ComplianceReport, Listing
from marketplace.datasets.models import Dataset
from marketplace.datasets.reader import SCAN_SAMPLE_ROWS, sample_rows
from marketplace.plugins import events, get_runtime

SEVERITY_ORDER = {"blocking": 0, "warning": 1, "info": 2}

#: The platform's own findings, translated when shown (plugins write their own messages).
PLATFORM_MESSAGES = {
    "platform.no_scan": _l("No plugin scanned this listing: no enabled plugin checks listings. "
                           "Check the samples and the data dictionary by hand."),
    "platform.scan_failed": _l("The plugin %(plugin)s failed while scanning this listing "
                               "(incident %(incident)s); its checks are missing from this "
                               "report."),
}


def snapshot(listing: Listing, dataset: Dataset | None = None) -> ListingSnapshot:
    """The listing as plugins see it when it is submitted.

    With its ``dataset``: the real row count, and :data:`SCAN_SAMPLE_ROWS` rows spread evenly
    over the dataset (the plugins' detectors look at every value they get, in Python, under
    the event's deadline; a thousand rows show each column's kind of data as well as a
    million would, and keep a scan of a 200-column file within a few seconds).
    """
    return ListingSnapshot(
        listing_id=listing.id,
        product_id=listing.product_id,
        title=listing.title,
        product_type=listing.product_type,
        classification_level=listing.classification_level,
        data_dictionary=[dict(field) for field in listing.data_dictionary],
        sample_rows=[dict(row) for row in listing.sample_rows],
        row_count=dataset.row_count if dataset is not None else None,
        data_rows=sample_rows(dataset, SCAN_SAMPLE_ROWS) if dataset is not None else [],
    )


def scan(listing: Listing, dataset: Dataset | None = None) -> ComplianceReport:
    """Run the compliance scan on ``listing``; the report is returned, not yet added.

    Call it before the caller's transaction writes anything: plugins' incidents are recorded
    in a session of the runtime's own, which must not wait for the caller's write lock.
    """
    outcomes = events.dispatch(get_runtime(), "listing_submitted", snapshot(listing, dataset))
    findings: list[dict[str, Any]] = []
    for outcome in outcomes:
        findings += [{"code": f.code, "message": f.message, "severity": f.severity,
                      "field": f.field, "plugin": outcome.plugin} for f in outcome.findings]
        if not outcome.ok:
            findings.append({"code": "platform.scan_failed", "severity": "warning",
                             "field": None, "plugin": outcome.plugin,
                             "incident": outcome.incident,
                             "message": str(PLATFORM_MESSAGES["platform.scan_failed"]
                                            % {"plugin": outcome.plugin,
                                               "incident": outcome.incident})})
    if not any(outcome.ok for outcome in outcomes):
        findings.append({"code": "platform.no_scan", "severity": "warning", "field": None,
                         "plugin": "", "message": str(PLATFORM_MESSAGES["platform.no_scan"])})
    findings.sort(key=lambda f: SEVERITY_ORDER.get(f["severity"], len(SEVERITY_ORDER)))
    return ComplianceReport(
        listing_id=listing.id,
        findings=findings,
        blocking=sum(1 for f in findings if f["severity"] == "blocking"),
        scanned_by=[outcome.plugin for outcome in outcomes if outcome.ok],
        failures=[{"plugin": o.plugin, "incident": o.incident} for o in outcomes if not o.ok],
    )


def latest_report(session: Session, listing_id: int) -> ComplianceReport | None:
    """The report of the listing's latest submission, if it was ever submitted."""
    return session.exec(
        select(ComplianceReport)
        .where(ComplianceReport.listing_id == listing_id)
        .order_by(col(ComplianceReport.id).desc())
    ).first()


def finding_message(finding: dict[str, Any]) -> str:
    """The finding's message in the reader's language where the platform wrote it."""
    template = PLATFORM_MESSAGES.get(finding.get("code", ""))
    if template is None:
        return str(finding.get("message", ""))
    return str(template % {"plugin": finding.get("plugin", ""),
                           "incident": finding.get("incident", "")})
