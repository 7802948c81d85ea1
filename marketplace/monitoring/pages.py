"""Parts every dashboard page uses: the span asked for, and charts of its day series."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from flask import request
from markupsafe import Markup

from marketplace.base import utcnow
from marketplace.money import format_money
from marketplace.monitoring.series import DEFAULT_DAYS, MAX_DAYS, span
from marketplace.web.charts import bar_chart

#: The spans offered on every dashboard.
SPANS = (7, 30, 90, 365)


def requested_span() -> tuple[int, date, date]:
    """``?days=`` (1 to a year; 30 when missing or not a number) and its first and last day."""
    days = request.args.get("days", type=int) or DEFAULT_DAYS
    days = min(max(days, 1), MAX_DAYS)
    start, end = span(days, utcnow().date())
    return days, start, end


def wants_csv() -> bool:
    return request.args.get("format") == "csv"


def chart(points: Sequence[tuple[str, float]], title: str, x_label: str, y_label: str,
          value_text: Callable[[float], str] | None = None) -> Markup:
    return bar_chart(points, title=title, x_label=x_label, y_label=y_label,
                     **({"value_text": value_text} if value_text else {}))


def money_text(currency: str) -> Callable[[float], str]:
    """How an amount in fen reads on a chart's axis and tooltips."""
    return lambda amount: format_money(int(round(amount)), currency)
