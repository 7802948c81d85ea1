"""Delivery tables: what a buyer may use (an entitlement per paid order line) and the calls
made under it (usage records, written by the delivery gateway and billed by commerce).

Foreign keys name commerce's tables by name only; this package never imports commerce.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import UniqueConstraint
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
    #: A membership's price per call beyond its quota, as sold (fen); None: no overage, the
    #: quota is a hard stop. Copied from the order line, so a later change to the plan
    #: never changes what an entitlement already bought allows.
    overage_unit_price: int | None = Field(default=None, ge=0)
    #: Data package downloads made under it, counted by a conditional ``UPDATE`` against the
    #: download limit (:func:`marketplace.delivery.downloads.claim`).
    downloads_used: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    state: str = Field(default=EntitlementState.ACTIVE, max_length=20, index=True)
    state_reason: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class UsageRecord(SQLModel, table=True):
    """Calls made under an entitlement (written by the delivery gateway), billed per period."""

    __tablename__ = "usage_record"

    id: int | None = Field(default=None, primary_key=True)
    #: The entitlement the call was made under; None for a sandbox call (see ``trial_id``).
    entitlement_id: int | None = Field(default=None, foreign_key="entitlement.id", index=True)
    #: The buyer's trial of a product, for a sandbox call on its sample (never billed).
    trial_id: int | None = Field(default=None, foreign_key="sandbox_trial.id", index=True)
    operation: str = Field(default="", max_length=64)
    units: int = Field(default=1, ge=1)
    occurred_at: datetime = Field(default_factory=utcnow, index=True)
    # The gateway's request id: a retried write of the same call records nothing new.
    request_id: str = Field(max_length=64, unique=True)
    #: The key the call was made with (None: recorded outside the gateway).
    api_key_id: int | None = Field(default=None, foreign_key="api_key.id", index=True)
    #: ``call`` within the quota (or unmetered), ``overage`` beyond a membership's quota,
    #: ``sandbox`` a trial call on the sample.
    kind: str = Field(default="call", max_length=20)
    #: The audit entry (its ``seq``) that sealed this record in a batch; None until sealed.
    audit_batch: int | None = Field(default=None, index=True)
    #: What abnormal-use detection needs of the call's input, and nothing more (see
    #: :mod:`marketplace.delivery.input_keys`): a keyed digest of an identifier's leading part
    #: and its last digits; None when the input has no identifier. Cleared after
    #: ``USAGE_INPUT_KEY_DAYS``.
    input_key: str | None = Field(default=None, max_length=64)
    #: A verification product's answer: ``match`` or ``no_match``; None for other products.
    outcome: str | None = Field(default=None, max_length=10)


class UsageKind(StrEnum):
    CALL = "call"
    OVERAGE = "overage"
    SANDBOX = "sandbox"
    #: A data package downloaded under an entitlement (counted on the buyer's dashboard).
    DOWNLOAD = "download"


class ApiKey(SQLModel, table=True):
    """A buyer's API key for the delivery gateway (see :mod:`marketplace.delivery.keys`).

    Only ``prefix`` (the visible part, for lookup) and an HMAC of the secret are kept; the
    secret is shown once. ``entitlement_ids`` empty means every entitlement of the buyer, now
    and later; ``allowed_networks`` empty means any address.
    """

    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    buyer_id: int = Field(foreign_key="user_account.id", index=True)
    name: str = Field(max_length=100)
    prefix: str = Field(max_length=16, unique=True, index=True)
    secret_hash: str = Field(max_length=64)
    entitlement_ids: list[int] = Field(default_factory=list,
                                       sa_column=json_column(nullable=False))
    allowed_networks: list[str] = Field(default_factory=list,
                                        sa_column=json_column(nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    #: The key that replaced this one on rotation (this one then expires after the overlap).
    replaced_by_id: int | None = Field(default=None, foreign_key="api_key.id")
    #: A sandbox key: the trial it spends (one product's sample only); None for a real key.
    trial_id: int | None = Field(default=None, foreign_key="sandbox_trial.id", index=True)
    #: Suspended by abnormal-use detection (or an admin): refused with ``suspension_reason``
    #: until an admin lifts it. Unlike revocation, it can be undone.
    suspended_at: datetime | None = None
    suspension_reason: str = Field(default="", max_length=500)


class SandboxTrial(SQLModel, table=True):
    """A buyer's trial of a product: the free calls on its sample made so far.

    One per buyer and product, whatever sandbox keys come and go, so that revoking a sandbox
    key and asking for another does not give more calls. ``used`` is counted like a quota
    (:func:`marketplace.delivery.quota.reserve_trial`); the number allowed is the product's
    published listing's ``trial_calls``, read at each call.
    """

    __tablename__ = "sandbox_trial"
    __table_args__ = (UniqueConstraint("buyer_id", "product_id"),)

    id: int | None = Field(default=None, primary_key=True)
    buyer_id: int = Field(foreign_key="user_account.id", index=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    used: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow)


class QuotaCounter(SQLModel, table=True):
    """Calls counted against an entitlement's quota in one period (``period``: ``pack`` for a
    call pack, the period's end for a membership, so that a renewal starts a new row).

    The gateway reserves a call with a conditional ``UPDATE ... SET used = used + 1 WHERE
    used < quota`` before invoking, and gives it back if the call fails.
    """

    __tablename__ = "quota_counter"
    __table_args__ = (UniqueConstraint("entitlement_id", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    entitlement_id: int = Field(foreign_key="entitlement.id", index=True)
    period: str = Field(max_length=40)
    used: int = Field(default=0)
