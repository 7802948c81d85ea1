"""The platform's dashboard for admins: GMV, paid orders and gateway calls per day, review
turnaround (a listing's submission to the admin's decision) and open abnormal-use alerts.
Five queries, whatever the span."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from marketplace.catalog.models import Listing, ReviewDecision
from marketplace.commerce.models import Order, PaymentEvent, PaymentEventKind
from marketplace.delivery.models import UsageRecord
from marketplace.monitoring import alerts
from marketplace.monitoring.buyer_usage import CALL_KINDS
from marketplace.monitoring.series import bounds, day_of, day_text, every_day


@dataclass(frozen=True)
class PlatformDay:
    day: str
    gmv: int
    orders: int
    calls: int
    reviews: int
    #: Median hours from submission to decision of the reviews decided that day (None: none).
    review_hours: float | None


@dataclass(frozen=True)
class PlatformDashboard:
    start: date
    end: date
    days: list[PlatformDay]
    open_alerts: int
    #: Median and mean hours from submission to decision over the span (None: no decision).
    review_median_hours: float | None
    review_mean_hours: float | None

    @property
    def total_gmv(self) -> int:
        return sum(day.gmv for day in self.days)

    @property
    def total_orders(self) -> int:
        return sum(day.orders for day in self.days)

    @property
    def total_calls(self) -> int:
        return sum(day.calls for day in self.days)


def _by_day(session: Session, query) -> dict[str, int]:
    return {day_text(on): int(value or 0) for on, value in session.exec(query).all()}


def platform_dashboard(session: Session, start: date, end: date) -> PlatformDashboard:
    """The platform's figures from ``start`` to ``end`` (UTC days, inclusive)."""
    charged = day_of(PaymentEvent.created_at)
    gmv = _by_day(session, select(charged, func.sum(PaymentEvent.amount)).where(
        PaymentEvent.kind == PaymentEventKind.CHARGE_SUCCEEDED,
        *bounds(PaymentEvent.created_at, start, end)).group_by(charged))
    paid = day_of(Order.paid_at)
    orders = _by_day(session, select(paid, func.count()).where(
        col(Order.paid_at).is_not(None), *bounds(Order.paid_at, start, end)).group_by(paid))
    called = day_of(UsageRecord.occurred_at)
    calls = _by_day(session, select(called, func.sum(UsageRecord.units)).where(
        col(UsageRecord.kind).in_(CALL_KINDS),
        *bounds(UsageRecord.occurred_at, start, end)).group_by(called))
    turnaround: dict[str, list[float]] = defaultdict(list)
    for decided, submitted in session.exec(
            select(ReviewDecision.created_at, Listing.submitted_at)
            .join(Listing, Listing.id == ReviewDecision.listing_id)
            .where(col(Listing.submitted_at).is_not(None),
                   *bounds(ReviewDecision.created_at, start, end))).all():
        if submitted <= decided:  # a later resubmission moved submitted_at past this decision
            turnaround[day_text(decided)].append((decided - submitted).total_seconds() / 3600)
    every = [hours for values in turnaround.values() for hours in values]
    days = [PlatformDay(d, gmv.get(d, 0), orders.get(d, 0), calls.get(d, 0),
                        len(turnaround.get(d, [])),
                        round(statistics.median(turnaround[d]), 1) if d in turnaround else None)
            for d in every_day(start, end)]
    return PlatformDashboard(
        start, end, days, alerts.open_count(session),
        round(statistics.median(every), 1) if every else None,
        round(statistics.fmean(every), 1) if every else None)
