"""Days as dashboards count them: UTC calendar days, grouped in SQL (``date(...)`` reads the
same on SQLite and PostgreSQL), and filled with zeros where nothing happened."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func

#: The longest span a dashboard shows.
MAX_DAYS = 366
DEFAULT_DAYS = 30


def day_of(column):
    """The SQL expression of a timestamp's day."""
    return func.date(column)


def day_text(value) -> str:
    return value.isoformat()[:10] if isinstance(value, date | datetime) else str(value)[:10]


def bounds(column, start: date, end: date):
    """Conditions keeping ``column`` within the days ``start`` to ``end`` (inclusive)."""
    low = datetime.combine(start, datetime.min.time(), tzinfo=UTC)
    high = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    return column >= low, column < high


def span(days: int | None, today: date) -> tuple[date, date]:
    """The last ``days`` days up to ``today`` (the default when None; at most a year)."""
    count = min(max(days or DEFAULT_DAYS, 1), MAX_DAYS)
    return today - timedelta(days=count - 1), today


def every_day(start: date, end: date) -> list[str]:
    return [(start + timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]


def filled(start: date, end: date, values: Mapping[str, float]) -> list[tuple[str, float]]:
    """``(day, value)`` for every day of the span, 0 where ``values`` has none."""
    return [(day, values.get(day, 0)) for day in every_day(start, end)]
