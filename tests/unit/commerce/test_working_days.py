"""Three working days (Monday to Friday) before an admin may decide a buyer's refund request."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from marketplace.commerce.buyer_requests.working_days import (
    add_working_days,
    admin_may_decide_from,
    is_working_day,
)


def at(day: int, hour: int = 10) -> datetime:
    """A moment in December 2026 (the 7th is a Monday)."""
    return datetime(2026, 12, day, hour, 30, tzinfo=UTC)


@pytest.mark.parametrize(("start", "expected"), [
    (at(7), at(10)),  # Monday -> Thursday
    (at(9), at(14)),  # Wednesday -> Monday, over the weekend
    (at(10), at(15)),  # Thursday -> Tuesday
    (at(11), at(16)),  # Friday -> Wednesday
    (at(11, 23), at(16, 23)),  # late Friday still counts Friday
])
def test_three_working_days_skip_the_weekend(start, expected):
    assert admin_may_decide_from(start) == expected


@pytest.mark.parametrize("weekend_day", [12, 13])  # Saturday, Sunday
def test_a_request_made_at_the_weekend_counts_from_monday_morning(weekend_day):
    # Monday, Tuesday and Wednesday whole: the admin may decide from Thursday 00:00.
    assert admin_may_decide_from(at(weekend_day)) == datetime(2026, 12, 17, tzinfo=UTC)


def test_zero_days_is_the_start_or_the_next_monday():
    assert add_working_days(at(8), 0) == at(8)
    assert add_working_days(at(13), 0) == datetime(2026, 12, 14, tzinfo=UTC)


def test_working_days_are_monday_to_friday():
    assert [is_working_day(at(day)) for day in range(7, 14)] == [True] * 5 + [False] * 2
