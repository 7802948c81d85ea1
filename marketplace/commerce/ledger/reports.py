"""What the merchant's and the admin's commerce pages read: sales, orders, books and payouts.

Read-only queries and the names of commerce values shown on those pages. Everything that moves
money or changes a state is in :mod:`~marketplace.commerce.payments.flow`,
:mod:`~marketplace.commerce.ledger` and :mod:`~marketplace.commerce.orders.quotes`; the views guard
every page with the policy before calling these.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from marketplace.accounts.models import MerchantOrganization, OrganizationStatus, User
from marketplace.commerce import ledger
from marketplace.commerce.models import (
    CommissionRate,
    LedgerEntry,
    LedgerKind,
    Order,
    OrderLine,
    OrderState,
    PaymentEventKind,
    Payout,
    QuoteState,
)

LEDGER_KIND_LABELS = {
    LedgerKind.SALE: _l("Sale"),
    LedgerKind.COMMISSION: _l("Commission"),
    LedgerKind.REFUND: _l("Refund"),
    LedgerKind.COMMISSION_REVERSAL: _l("Commission returned"),
    LedgerKind.PAYOUT: _l("Payout"),
}

LEDGER_ACCOUNT_LABELS = {
    ledger.MERCHANT: _l("Merchant"),
    ledger.PLATFORM: _l("Platform"),
}

PAYMENT_EVENT_LABELS = {
    PaymentEventKind.CHARGE_SUCCEEDED: _l("Payment received"),
    PaymentEventKind.CHARGE_FAILED: _l("Payment failed"),
    PaymentEventKind.REFUND_SUCCEEDED: _l("Refund paid"),
    PaymentEventKind.REFUND_REQUESTED: _l("Refund requested"),
    PaymentEventKind.DUPLICATE_CHARGE: _l("Duplicate charge (returned, not counted as paid)"),
    PaymentEventKind.DUPLICATE_REFUNDED: _l("Duplicate charge refunded"),
}

QUOTE_STATE_LABELS = {
    QuoteState.REQUESTED: _l("Awaiting your quote"),
    QuoteState.QUOTED: _l("Quoted"),
    QuoteState.ACCEPTED: _l("Accepted"),
    QuoteState.DECLINED: _l("Declined"),
    QuoteState.WITHDRAWN: _l("Withdrawn by the buyer"),
}

# The merchant's statement shows its own entries; these are the platform's share of the same
# payment or refund, shown beside them.
_PLATFORM_SIDE = {LedgerKind.SALE: LedgerKind.COMMISSION,
                  LedgerKind.REFUND: LedgerKind.COMMISSION_REVERSAL}


@dataclass(frozen=True)
class Page:
    """One page of rows and how many there are in all."""

    rows: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max((self.total + self.per_page - 1) // self.per_page, 1)


def _page_number(page: int) -> int:
    return max(page or 1, 1)


@dataclass(frozen=True)
class Sale:
    """An order as a merchant sees it: its own lines only."""

    order: Order
    lines: list[OrderLine]

    @property
    def amount(self) -> int:
        """What the merchant's lines cost the buyer."""
        return sum(line.amount for line in self.lines)


def sales_for_organization(session: Session, organization_id: int, *, page: int = 1,
                           per_page: int = 25, state: str | None = None) -> Page:
    """Orders with at least one line of the organization, newest first, with those lines."""
    page = _page_number(page)
    owned = select(OrderLine.order_id).where(OrderLine.organization_id == organization_id)
    conditions = [col(Order.id).in_(owned)]
    if state:
        conditions.append(Order.state == state)
    total = session.exec(select(func.count()).select_from(Order).where(*conditions)).one()
    found = list(session.exec(select(Order).where(*conditions).order_by(col(Order.id).desc())
                              .offset((page - 1) * per_page).limit(per_page)))
    lines: dict[int, list[OrderLine]] = {order.id: [] for order in found}
    if found:
        for line in session.exec(select(OrderLine).where(
                col(OrderLine.order_id).in_(list(lines)),
                OrderLine.organization_id == organization_id).order_by(col(OrderLine.id))):
            lines[line.order_id].append(line)
    return Page([Sale(order, lines[order.id]) for order in found], total, page, per_page)


def orders_page(session: Session, *, state: str | None = None, search: str = "",
                page: int = 1, per_page: int = 50) -> Page:
    """All orders, newest first; ``search`` matches part of the order number or the buyer's
    e-mail address."""
    page = _page_number(page)
    query = select(Order).join(User, col(User.id) == Order.buyer_id)
    count = select(func.count()).select_from(Order).join(User, col(User.id) == Order.buyer_id)
    conditions = []
    if state:
        conditions.append(Order.state == state)
    if search.strip():
        pattern = f"%{search.strip().lower()}%"
        conditions.append(or_(func.lower(Order.number).like(pattern),
                              func.lower(User.email).like(pattern)))
    total = session.exec(count.where(*conditions)).one()
    rows = list(session.exec(query.where(*conditions).order_by(col(Order.id).desc())
                             .offset((page - 1) * per_page).limit(per_page)))
    return Page(rows, total, page, per_page)


def ledger_for_order(session: Session, order_id: int) -> list[LedgerEntry]:
    """Every ledger entry an order's payments and refunds made, both accounts, oldest first."""
    return list(session.exec(select(LedgerEntry).where(LedgerEntry.order_id == order_id)
                             .order_by(col(LedgerEntry.id))))


def platform_shares(session: Session, organization_id: int,
                    entries: list[LedgerEntry]) -> dict[int, int]:
    """For each sale or refund entry of the merchant (by entry id), the platform's commission
    on the same payment or refund (negative for a refund)."""
    refs = {entry.source_ref for entry in entries if entry.kind in _PLATFORM_SIDE}
    if not refs:
        return {}
    platform = {(row.source_ref, row.order_line_id, row.kind): row.amount
                for row in session.exec(select(LedgerEntry).where(
                    LedgerEntry.organization_id == organization_id,
                    LedgerEntry.account == ledger.PLATFORM,
                    col(LedgerEntry.source_ref).in_(refs)))}
    return {entry.id: platform[key] for entry in entries if entry.kind in _PLATFORM_SIDE
            and (key := (entry.source_ref, entry.order_line_id,
                         _PLATFORM_SIDE[LedgerKind(entry.kind)])) in platform}


@dataclass(frozen=True)
class PeriodTotals:
    """What a statement period added up to, for the merchant's account."""

    sales: int
    refunds: int
    payouts: int


def period_totals(lines: list[ledger.StatementLine]) -> PeriodTotals:
    """Sums by kind of the merchant's entries on a statement."""
    def total(kind: LedgerKind) -> int:
        return sum(line.entry.amount for line in lines if line.entry.kind == kind)

    return PeriodTotals(total(LedgerKind.SALE), total(LedgerKind.REFUND),
                        total(LedgerKind.PAYOUT))


@dataclass(frozen=True)
class MerchantBooks:
    """One merchant's position with the platform, for the payouts page."""

    organization: MerchantOrganization
    balance: int
    commission: int
    rate_bp: int
    last_payout: Payout | None


def _sums_by_organization(session: Session, account: str) -> dict[int, int]:
    return {org_id: int(amount) for org_id, amount in session.exec(
        select(LedgerEntry.organization_id, func.sum(LedgerEntry.amount))
        .where(LedgerEntry.account == account).group_by(LedgerEntry.organization_id))}


def merchant_books(session: Session) -> list[MerchantBooks]:
    """Every verified merchant and every merchant with ledger entries, by name: its balance,
    the commission kept on its sales, its rate and its last payout."""
    balances = _sums_by_organization(session, ledger.MERCHANT)
    commissions = _sums_by_organization(session, ledger.PLATFORM)
    organizations = session.exec(select(MerchantOrganization).where(or_(
        MerchantOrganization.status == OrganizationStatus.VERIFIED,
        col(MerchantOrganization.id).in_(list(balances) or [-1])))
        .order_by(func.lower(MerchantOrganization.name), col(MerchantOrganization.id))).all()
    latest_ids = select(func.max(Payout.id)).group_by(Payout.organization_id)
    last = {payout.organization_id: payout for payout in session.exec(
        select(Payout).where(col(Payout.id).in_(latest_ids)))}
    overrides = {row.organization_id: row.rate_bp for row in session.exec(
        select(CommissionRate).where(col(CommissionRate.organization_id).is_not(None)))}
    default = ledger.default_rate(session)
    return [MerchantBooks(org, balances.get(org.id, 0), commissions.get(org.id, 0),
                          overrides.get(org.id, default), last.get(org.id))
            for org in organizations]


def payout_history(session: Session, limit: int = 100) -> list[Payout]:
    """The most recent payouts, newest first."""
    return list(session.exec(select(Payout).order_by(col(Payout.id).desc()).limit(limit)))


@dataclass(frozen=True)
class RateOverride:
    organization: MerchantOrganization
    rate: CommissionRate


def commission_overrides(session: Session) -> list[RateOverride]:
    """The merchants that pay a rate of their own, by name."""
    rows = session.exec(select(CommissionRate, MerchantOrganization).join(
        MerchantOrganization, col(MerchantOrganization.id) == CommissionRate.organization_id)
        .order_by(func.lower(MerchantOrganization.name)))
    return [RateOverride(org, rate) for rate, org in rows]


def default_rate_updated(session: Session) -> datetime | None:
    """When an admin last set the default rate (None: the rate comes from the settings)."""
    row = session.exec(select(CommissionRate).where(
        col(CommissionRate.organization_id).is_(None))).first()
    return row.updated_at if row else None


def merchant_organizations(session: Session) -> list[MerchantOrganization]:
    """Every merchant organization, by name (for choosing one in a form)."""
    return list(session.exec(select(MerchantOrganization).order_by(
        func.lower(MerchantOrganization.name), col(MerchantOrganization.id))))


#: Order states an admin can filter on, in the order an order passes through them.
ORDER_STATES = list(OrderState)
