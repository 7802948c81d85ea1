"""The platform's dashboard: GMV, paid orders, gateway calls and review turnaround per day,
and the open abnormal-use alerts; every table also as CSV."""

from __future__ import annotations

from flask import abort, render_template, request
from flask_babel import gettext as _

from marketplace.admin.views import blp
from marketplace.db import get_session
from marketplace.money import plain_amount
from marketplace.monitoring.pages import SPANS, chart, money_text, requested_span, wants_csv
from marketplace.monitoring.platform_stats import platform_dashboard
from marketplace.policy import authorize
from marketplace.web.csv_export import csv_response

#: The platform's figures are in the default currency.
CURRENCY = "CNY"


@blp.route("/usage")
def platform_usage():
    """The platform's figures per day over the span asked for (``?days=``)."""
    authorize("usage.platform")
    days, start, end = requested_span()
    board = platform_dashboard(get_session(), start, end)
    if wants_csv():
        if request.args.get("table", "days") != "days":
            abort(404)
        return csv_response(
            f"platform-{start}-{end}.csv",
            ["day", f"gmv_{CURRENCY}", "paid_orders", "calls", "reviews_decided",
             "review_median_hours"],
            [(d.day, plain_amount(d.gmv, CURRENCY), d.orders, d.calls, d.reviews,
              "" if d.review_hours is None else d.review_hours) for d in board.days])
    day = _("Day (UTC)")
    return render_template(
        "admin/usage.html", board=board, days=days, spans=SPANS, currency=CURRENCY,
        charts=[
            chart([(d.day, d.gmv) for d in board.days], _("GMV per day"), day, _("GMV"),
                  money_text(CURRENCY)),
            chart([(d.day, d.orders) for d in board.days], _("Paid orders per day"), day,
                  _("Orders")),
            chart([(d.day, d.calls) for d in board.days], _("Gateway calls per day"), day,
                  _("Calls")),
        ])
