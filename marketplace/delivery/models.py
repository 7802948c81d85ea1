"""Delivery tables: what a buyer may use (an entitlement per paid order line) and the calls
made under it (usage records, written by the delivery gateway and billed by commerce).

Foreign keys name commerce's tables by name only; this package never imports commerce.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlmodel import Field, SQLModel

from marketplace.base import json_column, utcnow


class EntitlementState(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    EXPIRED = "expired"


class Entitlement(SQLModel, table=True):
    """What a buyer may use: a product under a plan, its scope, validity and quota.

    One per order line (``order_line_id`` is unique), so fulfilling an order twice cannot grant
    twice. ``quota`` is the number of calls (None: no limit beyond the plan's billing);
    ``valid_to`` None means until revoked.
    """

    __tablename__ = "entitlement"

    id: int | None = Field(default=None, primary_key=True)
    buyer_id: int = Field(foreign_key="user_account.id", index=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    listing_id: int = Field(foreign_key="listing.id")
    plan_id: int = Field(foreign_key="pricing_plan.id")
    order_id: int = Field(foreign_key="commerce_order.id", index=True)
    order_line_id: int = Field(foreign_key="order_line.id", unique=True)
    pricing_model: str = Field(max_length=20)
    scope: dict[str, Any] = Field(default_factory=dict, sa_column=json_column(nullable=False))
    # The approved authorization application whose scope this is, for products that need one.
    application_id: int | None = Field(default=None, foreign_key="authorization_application.id",
                                       index=True)
    valid_from: datetime = Field(default_factory=utcnow)
    valid_to: datetime | None = None
    quota: int | None = Field(default=None, ge=0)
    state: str = Field(default=EntitlementState.ACTIVE, max_length=20, index=True)
    state_reason: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class UsageRecord(SQLModel, table=True):
    """Calls made under an entitlement (written by the delivery gateway), billed per period."""

    __tablename__ = "usage_record"

    id: int | None = Field(default=None, primary_key=True)
    entitlement_id: int = Field(foreign_key="entitlement.id", index=True)
    operation: str = Field(default="", max_length=64)
    units: int = Field(default=1, ge=1)
    occurred_at: datetime = Field(default_factory=utcnow, index=True)
    # The gateway's request id: a retried write of the same call records nothing new.
    request_id: str = Field(max_length=64, unique=True)
