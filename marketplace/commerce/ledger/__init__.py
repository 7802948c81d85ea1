"""The merchants' ledger: every payment split into merchant earnings and platform commission.

Entries are append-only and keyed by (source, order line, kind), so recording the same payment
or refund twice adds nothing. A refund is split back with the rate its sale was split with. A
merchant's balance is the sum of its merchant entries: sales, minus refunds, minus payouts.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from datamarket_sdk.csv_cells import safe_cell
from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlmodel import Session, col, select

from marketplace.accounts.models import MerchantOrganization, User
from marketplace.audit import services as audit
from marketplace.base import utcnow
from marketplace.commerce.models import (
    CommissionRate,
    LedgerEntry,
    LedgerKind,
    Order,
    OrderLine,
    Payout,
)
from marketplace.errors import ValidationFailed
from marketplace.money import plain_amount
from marketplace.settings import settings

MERCHANT = "merchant"
#: Balances and payouts are kept in the platform's currency (a Payout's default).
PAYOUT_CURRENCY = "CNY"
PLATFORM = "platform"


def default_rate(session: Session) -> int:
    """The platform's commission in basis points (set by an admin, else the setting)."""
    row = session.exec(select(CommissionRate).where(
        col(CommissionRate.organization_id).is_(None))).first()
    return row.rate_bp if row else settings().commission_bp


def rate_for(session: Session, organization_id: int) -> int:
    """The commission rate for one merchant: its override, or the platform's default."""
    row = session.exec(select(CommissionRate).where(
        CommissionRate.organization_id == organization_id)).first()
    return row.rate_bp if row else default_rate(session)


def set_rate(session: Session, admin: User, rate_bp: int,
             organization: MerchantOrganization | None = None) -> None:
    """Set the default rate (no organization) or one merchant's override, audited.

    :raises ValidationFailed: the rate is not between 0 and 100 %.
    """
    if not 0 <= rate_bp <= 10_000:
        raise ValidationFailed({"rate": [str(_l("The commission is between 0 and 100 %."))]})
    org_id = organization.id if organization else None
    row = session.exec(select(CommissionRate).where(
        CommissionRate.organization_id == org_id if org_id else
        col(CommissionRate.organization_id).is_(None))).first()
    before = row.rate_bp if row else None
    row = row or CommissionRate(organization_id=org_id, rate_bp=rate_bp)
    row.rate_bp, row.updated_by, row.updated_at = rate_bp, admin.id, utcnow()
    session.add(row)
    audit.record(session, actor_id=admin.id, action="commission.set",
                 subject_type="organization" if org_id else "platform",
                 subject_id=org_id or "default", details={"from": before, "to": rate_bp})


def clear_override(session: Session, admin: User, organization: MerchantOrganization) -> None:
    """Let a merchant pay the default rate again."""
    row = session.exec(select(CommissionRate).where(
        CommissionRate.organization_id == organization.id)).first()
    if row is not None:
        session.delete(row)
        audit.record(session, actor_id=admin.id, action="commission.clear",
                     subject_type="organization", subject_id=organization.id,
                     details={"was": row.rate_bp})


def commission(amount: int, rate_bp: int) -> int:
    """The platform's share of ``amount``, rounded half up to the smallest unit."""
    return (amount * rate_bp + 5_000) // 10_000


def _exists(session: Session, source_ref: str, line_id: int | None, kind: str) -> bool:
    return session.exec(select(LedgerEntry.id).where(
        LedgerEntry.source_ref == source_ref, LedgerEntry.order_line_id == line_id,
        LedgerEntry.kind == kind)).first() is not None


def split_payment(session: Session, order: Order, lines: list[OrderLine],
                  amount: int, source_ref: str) -> None:
    """Record a payment of ``amount`` on ``order``: per line, earnings and commission."""
    for line, share in zip(lines, allocate(amount, [line.amount for line in lines]),
                           strict=True):
        if share == 0 or _exists(session, source_ref, line.id, LedgerKind.SALE):
            continue
        rate = rate_for(session, line.organization_id)
        cut = commission(share, rate)
        common = {"organization_id": line.organization_id, "currency": order.currency,
                  "order_id": order.id, "order_line_id": line.id, "source_ref": source_ref,
                  "rate_bp": rate}
        session.add(LedgerEntry(account=MERCHANT, kind=LedgerKind.SALE, amount=share - cut,
                                **common))
        session.add(LedgerEntry(account=PLATFORM, kind=LedgerKind.COMMISSION, amount=cut,
                                **common))


def unrefunded_by_line(session: Session, order_id: int,
                       before: str | None = None) -> dict[int, int]:
    """Per order line, what its payments brought in (both accounts) less what was refunded
    (``before`` the entries of that source, when given: a refund reported again is split as
    it was the first time)."""
    query = select(LedgerEntry.order_line_id, func.sum(LedgerEntry.amount)).where(
        LedgerEntry.order_id == order_id, col(LedgerEntry.order_line_id).is_not(None),
        col(LedgerEntry.kind).in_((LedgerKind.SALE, LedgerKind.COMMISSION, LedgerKind.REFUND,
                                   LedgerKind.COMMISSION_REVERSAL)))
    if before is not None:
        query = query.where(LedgerEntry.source_ref != before)
    rows = session.exec(query.group_by(LedgerEntry.order_line_id)).all()
    return {line_id: int(total) for line_id, total in rows}


def reverse_refund(session: Session, order: Order, lines: list[OrderLine], amount: int,
                   source_ref: str) -> None:
    """Record a refund of ``amount`` of ``lines`` (one line for a line's refund): split between
    them in proportion to what each still holds, and back with the rate each line's sale used.
    """
    left = unrefunded_by_line(session, order.id, before=source_ref)
    weights = [left.get(line.id, 0) for line in lines]
    if sum(weights) <= 0:
        weights = [line.amount for line in lines]
    for line, share in zip(lines, allocate(amount, weights), strict=True):
        if share == 0 or _exists(session, source_ref, line.id, LedgerKind.REFUND):
            continue
        sale = session.exec(select(LedgerEntry).where(
            LedgerEntry.order_line_id == line.id, LedgerEntry.kind == LedgerKind.SALE)
            .order_by(col(LedgerEntry.id))).first()
        rate = sale.rate_bp if sale and sale.rate_bp is not None else rate_for(
            session, line.organization_id)
        cut = commission(share, rate)
        common = {"organization_id": line.organization_id, "currency": order.currency,
                  "order_id": order.id, "order_line_id": line.id, "source_ref": source_ref,
                  "rate_bp": rate}
        session.add(LedgerEntry(account=MERCHANT, kind=LedgerKind.REFUND,
                                amount=-(share - cut), **common))
        session.add(LedgerEntry(account=PLATFORM, kind=LedgerKind.COMMISSION_REVERSAL,
                                amount=-cut, **common))


def allocate(amount: int, weights: list[int]) -> list[int]:
    """Split ``amount`` in proportion to ``weights`` with whole units (largest remainder)."""
    total = sum(weights)
    if total <= 0:
        return [amount] + [0] * (len(weights) - 1) if weights else []
    shares = [amount * w // total for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: -(amount * weights[i] % total))
    for i in remainders[: amount - sum(shares)]:
        shares[i] += 1
    return shares


def balance(session: Session, organization_id: int) -> int:
    """What the platform owes the merchant now: earnings minus refunds and payouts."""
    return int(session.exec(select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
        LedgerEntry.organization_id == organization_id,
        LedgerEntry.account == MERCHANT)).one())


def record_payout(session: Session, admin: User, organization: MerchantOrganization, *,
                  amount: int, reference: str, note: str = "") -> Payout:
    """Record money paid out to a merchant (never more than its balance), audited.

    :raises ValidationFailed: the amount is not positive, exceeds the balance, or the
        reference is missing.
    """
    errors: dict[str, list[str]] = {}
    owed = balance(session, organization.id)
    if amount <= 0:
        errors["amount"] = [str(_l("A payout is a positive amount."))]
    elif amount > owed:
        errors["amount"] = [str(_l("The merchant's balance is only %(amount)s.",
                                   amount=plain_amount(owed, PAYOUT_CURRENCY)))]
    if not reference.strip():
        errors["reference"] = [str(_l("Give the bank transfer's reference."))]
    if errors:
        raise ValidationFailed(errors)
    payout = Payout(organization_id=organization.id, amount=amount,
                    reference=reference.strip()[:100], note=note.strip()[:1000],
                    recorded_by=admin.id)
    session.add(payout)
    session.flush()
    session.add(LedgerEntry(organization_id=organization.id, account=MERCHANT,
                            kind=LedgerKind.PAYOUT, amount=-amount, payout_id=payout.id,
                            source_ref=f"payout:{payout.id}"))
    audit.record(session, actor_id=admin.id, action="payout.record",
                 subject_type="organization", subject_id=organization.id,
                 details={"amount": amount, "reference": payout.reference})
    return payout


@dataclass(frozen=True)
class StatementLine:
    entry: LedgerEntry
    order_number: str | None
    title: str | None
    running_balance: int
    #: The product's English title when its merchant gave one (``title`` is the Chinese).
    title_en: str | None = None


def statement(session: Session, organization_id: int, *, start: datetime | None = None,
              end: datetime | None = None) -> list[StatementLine]:
    """The merchant's entries in a period, oldest first, with the running balance."""
    opening = 0
    if start is not None:
        opening = int(session.exec(select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
            LedgerEntry.organization_id == organization_id, LedgerEntry.account == MERCHANT,
            LedgerEntry.created_at < start)).one())
    query = select(LedgerEntry, Order.number, OrderLine.title, OrderLine.title_en).where(
        LedgerEntry.organization_id == organization_id, LedgerEntry.account == MERCHANT
    ).outerjoin(Order, Order.id == LedgerEntry.order_id).outerjoin(
        OrderLine, OrderLine.id == LedgerEntry.order_line_id)
    if start is not None:
        query = query.where(LedgerEntry.created_at >= start)
    if end is not None:
        query = query.where(LedgerEntry.created_at < end)
    lines, running = [], opening
    for entry, number, title, title_en in session.exec(query.order_by(col(LedgerEntry.id))):
        running += entry.amount
        lines.append(StatementLine(entry, number, title, running, title_en))
    return lines


def commission_for(session: Session, organization_id: int) -> int:
    """The commission the platform kept on the merchant's sales, net of refunds."""
    return int(session.exec(select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
        LedgerEntry.organization_id == organization_id,
        LedgerEntry.account == PLATFORM)).one())


def statement_csv(lines: Iterable[StatementLine]) -> str:
    """The statement as CSV (UTF-8 with BOM for spreadsheet programs), formulas neutralised."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(["date", "kind", "order", "product", "amount", "currency", "commission_rate",
                     "balance"])
    for line in lines:
        entry = line.entry
        rate = None if entry.rate_bp is None else f"{entry.rate_bp / 100:.2f}%"
        writer.writerow([safe_cell(cell) for cell in (
            entry.created_at.strftime("%Y-%m-%d %H:%M"), entry.kind, line.order_number,
            line.title, plain_amount(entry.amount, entry.currency), entry.currency, rate,
            plain_amount(line.running_balance, entry.currency))])
    return out.getvalue()
