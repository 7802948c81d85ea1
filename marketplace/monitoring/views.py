"""Dashboards of use: a buyer's (``/account/usage``) and a merchant's (``/merchant/insights``),
each with charts per day, the numbers in tables and every table as CSV (``?format=csv&table=``).
The admin's platform dashboard is in ``admin/views/usage.py``."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _

from marketplace.db import get_session
from marketplace.money import plain_amount
from marketplace.monitoring.buyer_usage import buyer_dashboard
from marketplace.monitoring.merchant_stats import merchant_dashboard
from marketplace.monitoring.pages import SPANS, chart, money_text, requested_span, wants_csv
from marketplace.policy import authorize, current_actor
from marketplace.web.csv_export import csv_response

blp = Blueprint("usage_dashboards", __name__, template_folder="templates")


@blp.route("/account/usage")
def buyer_usage():
    """The buyer's calls, downloads and quota per entitlement and API key."""
    authorize("usage.dashboard")
    days, start, end = requested_span()
    board = buyer_dashboard(get_session(), current_actor().id, start, end)
    if wants_csv():
        table = request.args.get("table", "days")
        if table == "days":
            return csv_response(f"usage-{start}-{end}.csv", ["day", "calls", "downloads"],
                                [(d.day, d.calls, d.downloads) for d in board.days])
        if table == "entitlements":
            return csv_response(
                f"usage-entitlements-{start}-{end}.csv",
                ["entitlement", "product", "state", "calls", "downloads", "quota", "quota_used"],
                [(e.entitlement.id, e.title, e.entitlement.state, e.calls, e.downloads,
                  e.entitlement.quota, e.quota_used) for e in board.entitlements])
        if table == "keys":
            return csv_response(f"usage-keys-{start}-{end}.csv",
                                ["key", "name", "calls", "last_call"],
                                [(f"dmk_{k.key.prefix}", k.key.name, k.calls,
                                  k.last_call.isoformat() if k.last_call else "")
                                 for k in board.keys])
        abort(404)
    points = [(d.day, d.calls) for d in board.days]
    return render_template(
        "monitoring/buyer_usage.html", board=board, days=days, spans=SPANS,
        calls_chart=chart(points, _("Calls per day"), _("Day (UTC)"), _("Calls")),
        downloads_chart=chart([(d.day, d.downloads) for d in board.days],
                              _("Downloads per day"), _("Day (UTC)"), _("Downloads")))


@blp.route("/merchant/insights")
def merchant_insights():
    """Calls to and revenue from the merchant's products, per day, product and buyer."""
    authorize("usage.merchant")
    days, start, end = requested_span()
    board = merchant_dashboard(get_session(), current_actor().organization_id, start, end)
    if wants_csv():
        table = request.args.get("table", "days")
        money = board.currency
        if table == "days":
            return csv_response(f"insights-{start}-{end}.csv",
                                ["day", "calls", f"revenue_{money}"],
                                [(d.day, d.calls, plain_amount(d.revenue, money))
                                 for d in board.days])
        if table in ("products", "buyers"):
            return csv_response(f"insights-{table}-{start}-{end}.csv",
                                ["id", "name", "calls", f"revenue_{money}"],
                                [(row.id, row.name, row.calls, plain_amount(row.revenue, money))
                                 for row in getattr(board, table)])
        abort(404)
    return render_template(
        "monitoring/merchant_insights.html", board=board, days=days, spans=SPANS,
        calls_chart=chart([(d.day, d.calls) for d in board.days], _("Calls per day"),
                          _("Day (UTC)"), _("Calls")),
        revenue_chart=chart([(d.day, d.revenue) for d in board.days],
                            _("Revenue per day (your share, after refunds)"), _("Day (UTC)"),
                            _("Revenue"), money_text(board.currency)))
