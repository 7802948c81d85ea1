"""Usage as buyers and merchants read it: gateway calls per entitlement and day.

The usage records are delivery's (written by the gateway); commerce's billing reads the same
records per period. Days are UTC. Sandbox calls (kind ``sandbox``) have no entitlement: they are
listed per product with ``entitlement_id`` None, under the title of the product's newest version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from marketplace.catalog.models import Listing
from marketplace.delivery.models import Entitlement, SandboxTrial, UsageRecord

#: The longest span one usage query covers.
MAX_DAYS = 366


@dataclass(frozen=True)
class UsageRow:
    entitlement_id: int | None
    product_id: int
    title: str
    day: str
    operation: str
    kind: str
    calls: int


def _day(value) -> str:
    return value.isoformat() if isinstance(value, date | datetime) else str(value)[:10]


def _bounds(start: date, end: date):
    low = datetime.combine(start, datetime.min.time(), tzinfo=UTC)
    high = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    return UsageRecord.occurred_at >= low, UsageRecord.occurred_at < high


def _rows(session: Session, where, start: date, end: date) -> list[UsageRow]:
    day = func.date(UsageRecord.occurred_at)
    query = (select(UsageRecord.entitlement_id, Entitlement.product_id, Listing.title, day,
                    UsageRecord.operation, UsageRecord.kind, func.sum(UsageRecord.units))
             .join(Entitlement, Entitlement.id == UsageRecord.entitlement_id)
             .join(Listing, Listing.id == Entitlement.listing_id)
             .where(where, *_bounds(start, end))
             .group_by(UsageRecord.entitlement_id, Entitlement.product_id, Listing.title, day,
                       UsageRecord.operation, UsageRecord.kind)
             .order_by(day.desc(), col(UsageRecord.entitlement_id)))
    return [UsageRow(e, p, t, _day(d), op, kind, int(n))
            for e, p, t, d, op, kind, n in session.exec(query).all()]


def _sandbox_rows(session: Session, where, start: date, end: date) -> list[UsageRow]:
    day = func.date(UsageRecord.occurred_at)
    newest = (select(Listing.product_id, func.max(Listing.id).label("listing_id"))
              .group_by(Listing.product_id).subquery())
    query = (select(SandboxTrial.product_id, Listing.title, day, UsageRecord.operation,
                    UsageRecord.kind, func.sum(UsageRecord.units))
             .join(SandboxTrial, SandboxTrial.id == UsageRecord.trial_id)
             .join(newest, newest.c.product_id == SandboxTrial.product_id)
             .join(Listing, Listing.id == newest.c.listing_id)
             .where(where, *_bounds(start, end))
             .group_by(SandboxTrial.product_id, Listing.title, day, UsageRecord.operation,
                       UsageRecord.kind))
    return [UsageRow(None, p, t, _day(d), op, kind, int(n))
            for p, t, d, op, kind, n in session.exec(query).all()]


def _merged(calls: list[UsageRow], sandbox: list[UsageRow]) -> list[UsageRow]:
    """Newest day first; within a day, entitlements by number, then sandbox calls by product."""
    return sorted(calls + sandbox, key=lambda row: (
        _negated(row.day), row.entitlement_id is None, row.entitlement_id or row.product_id))


def _negated(day: str) -> tuple[int, ...]:
    return tuple(-int(part) for part in day.split("-"))


def for_buyer(session: Session, buyer_id: int, start: date, end: date,
              entitlement_ids: frozenset[int] | None = None) -> list[UsageRow]:
    """A buyer's calls per entitlement, day, operation and kind, from ``start`` to ``end``
    (inclusive); only ``entitlement_ids`` when given (an API key's)."""
    where = Entitlement.buyer_id == buyer_id
    if entitlement_ids:
        where = where & col(Entitlement.id).in_(sorted(entitlement_ids))
        return _rows(session, where, start, end)
    return _merged(_rows(session, where, start, end),
                   _sandbox_rows(session, SandboxTrial.buyer_id == buyer_id, start, end))


def for_organization(session: Session, organization_id: int, start: date,
                     end: date) -> list[UsageRow]:
    """Calls to an organization's products (buyers shown by entitlement number only; sandbox
    calls per product, without the buyer)."""
    where = Listing.organization_id == organization_id
    return _merged(_rows(session, where, start, end), _sandbox_rows(session, where, start, end))


def span(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    """The days a query covers: the last 30 by default, and never more than :data:`MAX_DAYS`
    (an earlier start is moved up to the first of those days). A start after the end covers
    no day, so the answer is empty rather than an error.
    """
    end = end or today
    start = start or end - timedelta(days=29)
    return max(start, end - timedelta(days=MAX_DAYS - 1)), end
