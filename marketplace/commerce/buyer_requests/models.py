"""Buyers' refund requests and invoice requests (amounts in the currency's smallest unit)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from marketplace.base import utcnow


class RefundRequestState(StrEnum):
    OPEN = "open"
    APPROVED = "approved"  # refunded (``approved_amount``) through the refund path
    REJECTED = "rejected"


class InvoiceRequestState(StrEnum):
    REQUESTED = "requested"
    ISSUED = "issued"


class RefundRequest(SQLModel, table=True):
    """A buyer asks for (part of) an order line back, with a reason; the line's merchant
    decides, or an admin once the merchant has let three working days pass.

    ``open_line_id`` is the line while the request is open and NULL once decided: its unique
    constraint keeps one open request per line, whatever arrives at once.
    """

    __tablename__ = "refund_request"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="commerce_order.id", index=True)
    order_line_id: int = Field(foreign_key="order_line.id", index=True)
    open_line_id: int | None = Field(default=None, foreign_key="order_line.id", unique=True)
    buyer_id: int = Field(foreign_key="user_account.id", index=True)
    organization_id: int = Field(foreign_key="merchant_organization.id", index=True)
    amount: int = Field(gt=0)
    currency: str = Field(default="CNY", max_length=3)
    reason: str = Field(max_length=2000)
    state: str = Field(default=RefundRequestState.OPEN, max_length=10, index=True)
    approved_amount: int | None = Field(default=None, ge=0)
    decision_reason: str = Field(default="", max_length=2000)
    decided_by: int | None = Field(default=None, foreign_key="user_account.id")
    decided_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    #: When the admins were told the request had become theirs to decide (once, by the sweep).
    admins_told_at: datetime | None = None


class InvoiceRequest(SQLModel, table=True):
    """A buyer's request for a 增值税普通发票 for one merchant's part of an order.

    An order with lines of two merchants gets one invoice from each (unique per order and
    organization). The merchant issues it and attaches the PDF (``pdf_name`` in the invoice
    folder).
    """

    __tablename__ = "invoice_request"
    __table_args__ = (UniqueConstraint("order_id", "organization_id"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="commerce_order.id", index=True)
    organization_id: int = Field(foreign_key="merchant_organization.id", index=True)
    buyer_id: int = Field(foreign_key="user_account.id", index=True)
    amount: int = Field(ge=0)
    currency: str = Field(default="CNY", max_length=3)
    company_name: str = Field(max_length=200)
    taxpayer_id: str = Field(max_length=18)  # the unified social credit code, compact
    address: str = Field(default="", max_length=300)
    phone: str = Field(default="", max_length=40)
    bank_name: str = Field(default="", max_length=200)
    bank_account: str = Field(default="", max_length=40)
    state: str = Field(default=InvoiceRequestState.REQUESTED, max_length=10, index=True)
    invoice_number: str = Field(default="", max_length=40)
    pdf_name: str | None = Field(default=None, max_length=100)
    pdf_size: int | None = Field(default=None, ge=0)
    issued_by: int | None = Field(default=None, foreign_key="user_account.id")
    issued_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
