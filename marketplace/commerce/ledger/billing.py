"""Metered usage and its monthly bill.

The delivery gateway writes one :class:`UsageRecord` per successful call (a retried write of the
same request id records nothing). At the end of a period, :func:`bill_period` adds up each
pay-as-you-go entitlement's calls (and each membership's calls beyond its quota), prices them
with the plan as sold, and charges each bill to the card the buyer left when buying (an order of
its own, with its receipt and ledger entries). A period is billed once per entitlement (unique
``usage_bill``), however often the command runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from marketplace.audit import services as audit
from marketplace.base import utcnow
from marketplace.catalog.models import PricingModel
from marketplace.commerce.models import BuyerAccount, Order, OrderLine, UsageBill
from marketplace.commerce.orders import fulfilment, pricing
from marketplace.commerce.orders.cart import new_order_number
from marketplace.commerce.payments import PaymentError, PaymentGateway
from marketplace.commerce.payments.needs import order_metadata
from marketplace.delivery import entitlements
from marketplace.delivery.models import Entitlement, EntitlementState, UsageKind, UsageRecord


def month_bounds(month: str | None, today: datetime | None = None) -> tuple[datetime, datetime]:
    """``[start, end)`` of the month ``YYYY-MM``, or of last month when None.

    :raises ValueError: ``month`` is not written YYYY-MM.
    """
    if month is None:
        today = today or utcnow()
        first = today.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        start = (first - timedelta(days=1)).replace(day=1)
    else:
        try:
            start = datetime.strptime(month, "%Y-%m")
        except ValueError:
            raise ValueError(f"write the month as YYYY-MM, e.g. 2026-10, not {month!r}") from None
    end = (start + timedelta(days=32)).replace(day=1)
    return start, end


def record_usage(session: Session, entitlement: Entitlement, *, request_id: str,
                 operation: str = "", units: int = 1,
                 occurred_at: datetime | None = None) -> bool:
    """Record one metered call; False if ``request_id`` was recorded already."""
    try:
        with session.begin_nested():
            session.add(UsageRecord(entitlement_id=entitlement.id, operation=operation,
                                    units=units, request_id=request_id,
                                    occurred_at=occurred_at or utcnow()))
    except IntegrityError:
        return False
    return True


def calls_in(session: Session, entitlement_id: int, start: datetime, end: datetime) -> int:
    """The calls recorded for an entitlement in ``[start, end)`` (downloads of a data package
    are counted against their own limit, not billed as calls)."""
    return int(session.exec(select(func.coalesce(func.sum(UsageRecord.units), 0)).where(
        UsageRecord.entitlement_id == entitlement_id, UsageRecord.occurred_at >= start,
        UsageRecord.occurred_at < end, UsageRecord.kind != UsageKind.DOWNLOAD)).one())


@dataclass
class BillingRun:
    billed: list[UsageBill]
    nothing_due: int = 0
    failed: int = 0


def _metered(session: Session) -> list[tuple[Entitlement, OrderLine]]:
    rows = session.exec(select(Entitlement, OrderLine).join(
        OrderLine, OrderLine.id == Entitlement.order_line_id).where(
        col(Entitlement.pricing_model).in_([PricingModel.PER_CALL, PricingModel.MEMBERSHIP]),
        col(Entitlement.state).in_([EntitlementState.ACTIVE, EntitlementState.SUSPENDED,
                                    EntitlementState.EXPIRED]))).all()
    return [(e, line) for e, line in rows
            if line.plan_terms.get("postpaid")
            or (line.pricing_model == PricingModel.MEMBERSHIP
                and line.plan_terms.get("overage_unit_price") is not None)]


def bill_period(session: Session, gateway: PaymentGateway, start: datetime,
                end: datetime) -> BillingRun:
    """Bill every metered entitlement's usage in ``[start, end)``; commits per bill."""
    run = BillingRun(billed=[])
    for entitlement, line in _metered(session):
        calls = calls_in(session, entitlement.id, start, end)
        billable, amount = pricing.usage_amount(line.plan_terms, calls)
        if amount == 0:
            run.nothing_due += 1
            continue
        if session.exec(select(UsageBill.id).where(
                UsageBill.entitlement_id == entitlement.id,
                UsageBill.period_start == start)).first() is not None:
            continue  # billed by an earlier run
        bill = _record_bill(session, entitlement, line, start, end, calls, billable, amount)
        if bill is None:
            continue
        session.commit()
        try:
            _charge(session, gateway, bill)
        except PaymentError as exc:
            session.rollback()
            order = session.get(Order, bill.order_id)
            fulfilment.record_failure(session, order, provider_ref=order.payment_intent_id or
                                      f"usage-{bill.id}", reason=str(exc))
            if entitlement.state == EntitlementState.ACTIVE:
                entitlements.change_state(session, entitlement, EntitlementState.SUSPENDED,
                                          reason=entitlements.UNPAID_USAGE)
            session.commit()
            run.failed += 1
        run.billed.append(bill)
    return run


def _record_bill(session: Session, entitlement: Entitlement, line: OrderLine, start: datetime,
                 end: datetime, calls: int, billable: int, amount: int) -> UsageBill | None:
    order = Order(number=new_order_number(), buyer_id=entitlement.buyer_id,
                  currency=line.plan_terms.get("currency", "CNY"), total=amount,
                  checkout_key=f"usage-{entitlement.id}-{start:%Y%m%d}")
    try:
        with session.begin_nested():
            session.add(order)
            session.flush()
            session.add(OrderLine(
                order_id=order.id, listing_id=line.listing_id, product_id=line.product_id,
                plan_id=line.plan_id, organization_id=line.organization_id, title=line.title,
                title_en=line.title_en, plan_name=line.plan_name, pricing_model=line.pricing_model,
                plan_terms={**line.plan_terms, "usage_of_line_id": line.id, "calls": calls,
                            "billable_calls": billable},
                quantity=max(1, billable), amount=amount))
            bill = UsageBill(entitlement_id=entitlement.id, order_id=order.id,
                             period_start=start, period_end=end, calls=calls,
                             billable_calls=billable, amount=amount)
            session.add(bill)
            session.flush()
    except IntegrityError:
        return None  # another run billed this period
    audit.record(session, actor_id=None, action="usage.bill", subject_type="entitlement",
                 subject_id=entitlement.id,
                 details={"order": order.number, "calls": calls, "billable": billable,
                          "amount": amount, "period": f"{start:%Y-%m-%d}..{end:%Y-%m-%d}"})
    return bill


def _charge(session: Session, gateway: PaymentGateway, bill: UsageBill) -> None:
    """Collect a usage bill from the card the buyer saved when it started pay-as-you-go.

    The bill itself (period, calls, amount, order line) is ours; the provider sees one payment
    of the bill's amount, described and tagged with the bill's order. (localstripe cannot
    invoice a customer without a subscription, and tests must run the production path.)
    """
    order = session.get(Order, bill.order_id)
    account = session.get(BuyerAccount, order.buyer_id)
    card = gateway.default_card(account.customer_id) if account is not None else None
    if card is None:
        raise PaymentError(_l("No card is on file to pay for pay-as-you-go calls."), "no_card")
    if not order.payment_intent_id:
        intent = gateway.create_payment_intent(
            amount=bill.amount, currency=order.currency, customer_id=account.customer_id,
            metadata=order_metadata(order, usage_bill_order_id=order.id),
            idempotency_key=f"usage-{order.number}")
        order.payment_intent_id = intent.id
        bill.invoice_id = intent.id
        session.add(order)
        session.add(bill)
        session.commit()
    intent = gateway.confirm_payment_intent(order.payment_intent_id, payment_method=card)
    if intent.status == "succeeded":
        fulfilment.record_charge(session, order, amount=intent.amount_received,
                                 provider_ref=intent.id)
        session.commit()
