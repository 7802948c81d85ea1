"""A merchant's dashboard: calls and revenue per day, per product and per buyer, and the
downloads of its data packages.

Revenue is the merchant's net share from the ledger (sales less refunds, after commission),
booked on the day of the entry. Six queries, whatever the span or the number of products
and buyers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from marketplace.accounts.models import User
from marketplace.catalog.models import Listing
from marketplace.commerce.models import LedgerEntry, LedgerKind, Order, OrderLine
from marketplace.delivery.models import Entitlement, UsageKind, UsageRecord
from marketplace.monitoring.buyer_usage import CALL_KINDS
from marketplace.monitoring.series import bounds, day_of, day_text, every_day


@dataclass(frozen=True)
class DayFigures:
    day: str
    calls: int
    revenue: int


@dataclass(frozen=True)
class Breakdown:
    """One product's or buyer's calls and revenue (fen) over the span."""

    id: int
    name: str
    #: A product's English title when its merchant gave one (``name`` is the Chinese).
    name_en: str
    calls: int
    revenue: int


@dataclass(frozen=True)
class MerchantDashboard:
    start: date
    end: date
    currency: str
    days: list[DayFigures]
    products: list[Breakdown]
    buyers: list[Breakdown]
    #: Data package downloads of the merchant's products over the span.
    downloads: int = 0

    @property
    def total_calls(self) -> int:
        return sum(day.calls for day in self.days)

    @property
    def total_revenue(self) -> int:
        return sum(day.revenue for day in self.days)


def _ranked(calls: dict[int, int], revenue: dict[int, int],
            names: dict[int, tuple[str, str]]) -> list[Breakdown]:
    """Rows by revenue, then calls; ``names`` holds each id's name and its English version."""
    ids = set(calls) | set(revenue)
    rows = [Breakdown(i, *names.get(i, (f"#{i}", "")), calls.get(i, 0), revenue.get(i, 0))
            for i in ids]
    return sorted(rows, key=lambda row: (-row.revenue, -row.calls, row.id))


def merchant_dashboard(session: Session, organization_id: int, start: date,
                       end: date) -> MerchantDashboard:
    """Calls to, and revenue from, ``organization_id``'s products from ``start`` to ``end``."""
    day = day_of(UsageRecord.occurred_at)
    calls_by_day: dict[str, int] = defaultdict(int)
    calls_by_product: dict[int, int] = defaultdict(int)
    calls_by_buyer: dict[int, int] = defaultdict(int)
    for on, product_id, buyer_id, units in session.exec(
            select(day, Entitlement.product_id, Entitlement.buyer_id, func.sum(UsageRecord.units))
            .join(Entitlement, Entitlement.id == UsageRecord.entitlement_id)
            .join(Listing, Listing.id == Entitlement.listing_id)
            .where(Listing.organization_id == organization_id,
                   col(UsageRecord.kind).in_(CALL_KINDS),
                   *bounds(UsageRecord.occurred_at, start, end))
            .group_by(day, Entitlement.product_id, Entitlement.buyer_id)).all():
        calls_by_day[day_text(on)] += int(units)
        calls_by_product[product_id] += int(units)
        calls_by_buyer[buyer_id] += int(units)

    booked = day_of(LedgerEntry.created_at)
    revenue_by_day: dict[str, int] = defaultdict(int)
    revenue_by_product: dict[int, int] = defaultdict(int)
    revenue_by_buyer: dict[int, int] = defaultdict(int)
    currencies = set()
    for on, product_id, buyer_id, currency, amount in session.exec(
            select(booked, OrderLine.product_id, Order.buyer_id, LedgerEntry.currency,
                   func.sum(LedgerEntry.amount))
            .join(OrderLine, OrderLine.id == LedgerEntry.order_line_id)
            .join(Order, Order.id == LedgerEntry.order_id)
            .where(LedgerEntry.organization_id == organization_id,
                   LedgerEntry.account == "merchant",
                   col(LedgerEntry.kind).in_([LedgerKind.SALE, LedgerKind.REFUND]),
                   *bounds(LedgerEntry.created_at, start, end))
            .group_by(booked, OrderLine.product_id, Order.buyer_id, LedgerEntry.currency)).all():
        revenue_by_day[day_text(on)] += int(amount)
        revenue_by_product[product_id] += int(amount)
        revenue_by_buyer[buyer_id] += int(amount)
        currencies.add(currency)

    titles = {product_id: (title, title_en) for product_id, title, title_en in session.exec(
        select(Listing.product_id, Listing.title, Listing.title_en)
        .where(Listing.organization_id == organization_id).order_by(col(Listing.id)))}
    buyer_ids = sorted(set(calls_by_buyer) | set(revenue_by_buyer))
    names = {user_id: (name, "") for user_id, name in session.exec(
        select(User.id, User.display_name).where(col(User.id).in_(buyer_ids)))} \
        if buyer_ids else {}
    days = [DayFigures(d, calls_by_day.get(d, 0), revenue_by_day.get(d, 0))
            for d in every_day(start, end)]
    downloads = session.exec(
        select(func.coalesce(func.sum(UsageRecord.units), 0))
        .join(Entitlement, Entitlement.id == UsageRecord.entitlement_id)
        .join(Listing, Listing.id == Entitlement.listing_id)
        .where(Listing.organization_id == organization_id,
               UsageRecord.kind == UsageKind.DOWNLOAD,
               *bounds(UsageRecord.occurred_at, start, end))).one()
    return MerchantDashboard(start, end, min(currencies) if currencies else "CNY", days,
                             _ranked(calls_by_product, revenue_by_product, titles),
                             _ranked(calls_by_buyer, revenue_by_buyer, names), int(downloads))
