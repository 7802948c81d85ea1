"""The admin overview: how much work waits, and the oldest listings in the review queue."""

from __future__ import annotations

from flask import render_template

from marketplace.accounts import services as accounts
from marketplace.admin import services
from marketplace.admin.views import blp
from marketplace.catalog import queries
from marketplace.db import get_session
from marketplace.monitoring import alerts
from marketplace.policy import authorize


@blp.route("")
def dashboard():
    authorize("admin.dashboard")
    db = get_session()
    oldest = queries.review_queue(db)[:5]
    return render_template(
        "admin/dashboard.html",
        counts=services.dashboard_counts(db),
        oldest=oldest,
        organizations=accounts.organizations_by_id(db, (item.organization_id for item in oldest)),
        waiting_time=services.waiting_time,
        open_alerts=alerts.open_count(db),
    )
