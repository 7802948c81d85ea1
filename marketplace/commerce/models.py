"""Commerce tables: carts, orders and their payment events and attempts, subscriptions, usage
bills, the merchants' ledger, payouts and receipts. (What a buyer may use, and the calls made
under it, are the delivery package's: :mod:`marketplace.delivery.models`.)

Amounts are integers in the currency's smallest unit (fen for CNY). Money that moved is
recorded as append-only events (:class:`PaymentEvent`, :class:`LedgerEntry`) with unique keys
from the payment provider, so a replayed webhook cannot record it twice; totals are computed
from the events, never adjusted in place.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from marketplace.base import json_column, utcnow


class OrderState(StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"
    FAILED = "failed"
    REFUNDED = "refunded"
    PARTLY_REFUNDED = "partly_refunded"


class PaymentEventKind(StrEnum):
    CHARGE_SUCCEEDED = "charge_succeeded"
    CHARGE_FAILED = "charge_failed"
    REFUND_SUCCEEDED = "refund_succeeded"
    # A refund asked of the provider (amount not counted): one per refund form submission.
    REFUND_REQUESTED = "refund_requested"
    # A second charge for an order that was already paid (a double submission, a second hosted
    # checkout, a charge made at the provider): not counted as paid, refunded automatically.
    DUPLICATE_CHARGE = "duplicate_charge"
    # The automatic refund of a duplicate charge (the ledger never saw the charge).
    DUPLICATE_REFUNDED = "duplicate_refunded"


class AttemptKind(StrEnum):
    CHARGE = "charge"
    REFUND = "refund"  # asked by a merchant or an admin: reserves its amount
    DUPLICATE = "duplicate"  # the automatic refund of a duplicate charge


class AttemptState(StrEnum):
    PENDING = "pending"  # claimed; the provider may be working on it
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class LedgerKind(StrEnum):
    SALE = "sale"  # the merchant's share of a payment (positive)
    COMMISSION = "commission"  # the platform's share of a payment (positive, platform account)
    REFUND = "refund"  # the merchant's share of a refund (negative)
    COMMISSION_REVERSAL = "commission_reversal"  # the platform's share of a refund (negative)
    PAYOUT = "payout"  # money paid out to the merchant (negative)


class QuoteState(StrEnum):
    REQUESTED = "requested"
    QUOTED = "quoted"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class CartItem(SQLModel, table=True):
    """A plan a buyer means to buy; ``quantity`` is the number of packs for a call pack."""

    __tablename__ = "cart_item"
    __table_args__ = (UniqueConstraint("buyer_id", "plan_id"),)

    id: int | None = Field(default=None, primary_key=True)
    buyer_id: int = Field(foreign_key="user_account.id", index=True)
    listing_id: int = Field(foreign_key="listing.id")
    plan_id: int = Field(foreign_key="pricing_plan.id")
    quantity: int = Field(default=1, ge=1)
    quote_id: int | None = Field(default=None, foreign_key="service_quote.id")
    added_at: datetime = Field(default_factory=utcnow)


class Order(SQLModel, table=True):
    """What a buyer checked out; its state moves only through :mod:`commerce.orders`."""

    __tablename__ = "commerce_order"

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=32, unique=True)
    buyer_id: int = Field(foreign_key="user_account.id", index=True)
    state: str = Field(default=OrderState.PENDING_PAYMENT, max_length=20, index=True)
    currency: str = Field(default="CNY", max_length=3)
    total: int = Field(default=0, ge=0)
    # The same checkout (same cart contents, same attempt) always yields this one order.
    checkout_key: str = Field(max_length=64, unique=True)
    payment_intent_id: str | None = Field(default=None, max_length=100, unique=True)
    failure_reason: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    paid_at: datetime | None = None
    fulfilled_at: datetime | None = None
    closed_at: datetime | None = None  # cancelled or failed


class OrderLine(SQLModel, table=True):
    """One plan bought in an order, with the plan as it was sold (``plan_terms``)."""

    __tablename__ = "order_line"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="commerce_order.id", index=True)
    listing_id: int = Field(foreign_key="listing.id")
    product_id: int = Field(foreign_key="product.id", index=True)
    plan_id: int = Field(foreign_key="pricing_plan.id")
    organization_id: int = Field(foreign_key="merchant_organization.id", index=True)
    # The listing's title when it was bought, in Chinese and (optionally) English.
    title: str = Field(max_length=200)
    title_en: str = Field(default="", max_length=200)
    plan_name: str = Field(max_length=100)
    pricing_model: str = Field(max_length=20)
    plan_terms: dict[str, Any] = Field(default_factory=dict, sa_column=json_column(nullable=False))
    quantity: int = Field(default=1, ge=1)
    amount: int = Field(default=0, ge=0)
    quote_id: int | None = Field(default=None, foreign_key="service_quote.id")


class PaymentEvent(SQLModel, table=True):
    """Money that moved for an order, once per provider object (``provider_ref``)."""

    __tablename__ = "payment_event"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="commerce_order.id", index=True)
    kind: str = Field(max_length=20)
    amount: int = Field(ge=0)
    currency: str = Field(default="CNY", max_length=3)
    # The PaymentIntent, Invoice or Refund id; unique, so a replayed event records nothing.
    provider_ref: str = Field(max_length=100, unique=True)
    detail: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow)


class PaymentAttempt(SQLModel, table=True):
    """One request to the payment provider about an order, claimed before the provider is called.

    A charge attempt is claimed under the order's row lock while no other attempt is pending, so
    an order is charged at most once whatever arrives; a refund attempt reserves its amount, so
    two refunds at the same moment cannot together exceed what was paid. ``key`` is unique: a
    refund form submitted twice, or a duplicate charge refunded by two processes, claims once.
    """

    __tablename__ = "payment_attempt"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="commerce_order.id", index=True)
    kind: str = Field(max_length=10)
    state: str = Field(default=AttemptState.PENDING, max_length=10, index=True)
    amount: int = Field(default=0, ge=0)
    key: str = Field(max_length=120, unique=True)
    # The PaymentIntent, subscription or Refund id, once the provider has made it.
    provider_ref: str | None = Field(default=None, max_length=100, index=True)
    actor_id: int | None = Field(default=None, foreign_key="user_account.id")
    reason: str = Field(default="", max_length=500)
    # A refund of one line (a buyer's approved refund request); None: of the whole order.
    order_line_id: int | None = Field(default=None, foreign_key="order_line.id")
    created_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None


class Subscription(SQLModel, table=True):
    """A membership bought through a provider subscription; renewals extend its entitlement."""

    __tablename__ = "subscription"

    id: int | None = Field(default=None, primary_key=True)
    order_line_id: int = Field(foreign_key="order_line.id", unique=True)
    buyer_id: int = Field(foreign_key="user_account.id", index=True)
    provider_id: str = Field(max_length=100, unique=True)
    status: str = Field(default="incomplete", max_length=30)
    current_period_start: datetime | None = None
    current_period_end: datetime | None = None
    cancel_at_period_end: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class UsageBill(SQLModel, table=True):
    """The bill for one entitlement's metered usage in one period (at most one per period)."""

    __tablename__ = "usage_bill"
    __table_args__ = (UniqueConstraint("entitlement_id", "period_start"),)

    id: int | None = Field(default=None, primary_key=True)
    entitlement_id: int = Field(foreign_key="entitlement.id", index=True)
    order_id: int = Field(foreign_key="commerce_order.id", unique=True)
    period_start: datetime
    period_end: datetime
    calls: int = Field(ge=0)
    billable_calls: int = Field(ge=0)
    amount: int = Field(ge=0)
    invoice_id: str | None = Field(default=None, max_length=100, unique=True)
    created_at: datetime = Field(default_factory=utcnow)


class ServiceQuote(SQLModel, table=True):
    """A buyer's request for a scoped job under a service-fee plan, and the merchant's quote."""

    __tablename__ = "service_quote"

    id: int | None = Field(default=None, primary_key=True)
    buyer_id: int = Field(foreign_key="user_account.id", index=True)
    listing_id: int = Field(foreign_key="listing.id")
    plan_id: int = Field(foreign_key="pricing_plan.id")
    organization_id: int = Field(foreign_key="merchant_organization.id", index=True)
    request: str = Field(max_length=5000)
    state: str = Field(default=QuoteState.REQUESTED, max_length=20)
    amount: int | None = Field(default=None, ge=0)
    #: What the quoted price buys: calls through the gateway, usable for so many days from
    #: payment (both set when the merchant quotes; None on quotes made before they were asked).
    calls: int | None = Field(default=None, ge=1)
    valid_days: int | None = Field(default=None, ge=1)
    merchant_note: str = Field(default="", max_length=5000)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class LedgerEntry(SQLModel, table=True):
    """One side of the split of a payment, refund or payout (append-only).

    Merchant entries carry the organization; the platform's commission entries carry
    ``organization_id`` too (whose sale it came from) and ``account`` "platform".
    """

    __tablename__ = "ledger_entry"
    __table_args__ = (UniqueConstraint("source_ref", "order_line_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="merchant_organization.id", index=True)
    account: str = Field(default="merchant", max_length=20)
    kind: str = Field(max_length=24)
    amount: int  # signed: positive credits the account, negative debits it
    currency: str = Field(default="CNY", max_length=3)
    order_id: int | None = Field(default=None, foreign_key="commerce_order.id", index=True)
    order_line_id: int | None = Field(default=None, foreign_key="order_line.id")
    payout_id: int | None = Field(default=None, foreign_key="payout.id")
    # The payment event, refund or payout this entry comes from: unique with the line and kind.
    source_ref: str = Field(max_length=100)
    rate_bp: int | None = None  # the commission rate applied, in basis points
    created_at: datetime = Field(default_factory=utcnow, index=True)


class CommissionRate(SQLModel, table=True):
    """The platform's commission in basis points; the row without organization is the default."""

    __tablename__ = "commission_rate"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int | None = Field(default=None, foreign_key="merchant_organization.id",
                                        unique=True)
    rate_bp: int = Field(ge=0, le=10000)
    updated_by: int | None = Field(default=None, foreign_key="user_account.id")
    updated_at: datetime = Field(default_factory=utcnow)


class Payout(SQLModel, table=True):
    """Money the platform paid out to a merchant, recorded by an admin."""

    __tablename__ = "payout"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="merchant_organization.id", index=True)
    amount: int = Field(gt=0)
    currency: str = Field(default="CNY", max_length=3)
    reference: str = Field(max_length=100)
    note: str = Field(default="", max_length=1000)
    recorded_by: int = Field(foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow)


class Receipt(SQLModel, table=True):
    """The receipt of one payment (one per charge event)."""

    __tablename__ = "receipt"

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=32, unique=True)
    order_id: int = Field(foreign_key="commerce_order.id", index=True)
    payment_event_id: int = Field(foreign_key="payment_event.id", unique=True)
    buyer_id: int = Field(foreign_key="user_account.id", index=True)
    amount: int = Field(ge=0)
    currency: str = Field(default="CNY", max_length=3)
    issued_at: datetime = Field(default_factory=utcnow)


class ProcessedWebhook(SQLModel, table=True):
    """A provider event already handled: a replay of the same id is a no-op."""

    __tablename__ = "processed_webhook"

    event_id: str = Field(primary_key=True, max_length=100)
    event_type: str = Field(max_length=60)
    outcome: str = Field(default="", max_length=200)
    received_at: datetime = Field(default_factory=utcnow)


class BuyerAccount(SQLModel, table=True):
    """The buyer's customer record at the payment provider."""

    __tablename__ = "buyer_payment_account"

    buyer_id: int = Field(foreign_key="user_account.id", primary_key=True)
    customer_id: str = Field(max_length=100, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
