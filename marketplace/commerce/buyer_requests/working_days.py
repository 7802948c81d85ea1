"""Working days (Monday to Friday) for the admin's turn on a refund request.

Times are UTC, like every stored time. Public holidays are not known here: a holiday counts as a
working day, so around one an admin may step in earlier than a holiday calendar would allow.
"""

from __future__ import annotations

from datetime import datetime, timedelta

#: Working days a merchant has to decide a refund request before an admin may decide it.
MERCHANT_DAYS = 3


def is_working_day(moment: datetime) -> bool:
    return moment.weekday() < 5


def add_working_days(start: datetime, days: int) -> datetime:
    """The moment ``days`` working days after ``start``.

    A start on a weekend counts from the Monday after it, at midnight; each working day then
    moves to the same time on the next working day (a Friday's next is the Monday).
    """
    moment = start
    if not is_working_day(moment):
        moment = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        while not is_working_day(moment):
            moment += timedelta(days=1)
    for _ in range(days):
        moment += timedelta(days=1)
        while not is_working_day(moment):
            moment += timedelta(days=1)
    return moment


def admin_may_decide_from(requested_at: datetime) -> datetime:
    """When an admin may decide a refund request the merchant has not decided."""
    return add_working_days(requested_at, MERCHANT_DAYS)
