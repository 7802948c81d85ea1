"""Authorization application tables: the application and its history of events."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlmodel import Field, SQLModel

from marketplace.base import json_column, utcnow


class ApplicationState(StrEnum):
    SUBMITTED = "submitted"
    PENDING_ADMIN = "pending_admin"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    REVOKED = "revoked"
    EXPIRED = "expired"


class LegalBasis(StrEnum):
    """Why the buyer may process the data (the grounds of PIPL article 13, shortened)."""

    CONSENT = "consent"
    CONTRACT = "contract"
    LEGAL_DUTY = "legal_duty"
    PUBLIC_INTEREST = "public_interest"
    GOVERNMENT_AUTHORIZATION = "government_authorization"
    OTHER = "other"


class AuthorizationApplication(SQLModel, table=True):
    """A buyer's application to use a product: what for, on what legal basis, which
    operations and output fields, for which period; and what was approved.

    ``requested`` and ``approved_scope`` have the shape of an entitlement's scope
    (:mod:`marketplace.delivery.scope`): ``{"operations": {"<plugin>.<operation>":
    {"fields": [...] | null, "masking": {field: strategy}}}}``. ``approved_scope`` is set when
    the merchant approves or narrows; the period runs from ``starts_on`` to ``ends_on``
    inclusive (UTC dates).
    """

    __tablename__ = "authorization_application"

    id: int | None = Field(default=None, primary_key=True)
    buyer_id: int = Field(foreign_key="user_account.id", index=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    # The version applied against; the merchant's organization, for its list and the policy.
    listing_id: int = Field(foreign_key="listing.id")
    organization_id: int = Field(foreign_key="merchant_organization.id", index=True)
    classification_level: int = Field(default=1, ge=1, le=4)
    purpose: str = Field(max_length=2000)
    scenario: str = Field(max_length=500)
    legal_basis: str = Field(max_length=30)
    legal_basis_detail: str = Field(default="", max_length=1000)
    requested: dict[str, Any] = Field(default_factory=dict, sa_column=json_column(nullable=False))
    approved_scope: dict[str, Any] | None = Field(default=None,
                                                  sa_column=json_column(nullable=True))
    starts_on: date
    ends_on: date
    state: str = Field(default=ApplicationState.SUBMITTED, max_length=20, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ApplicationEvent(SQLModel, table=True):
    """One step in an application's history, shown to the buyer and the merchant alike."""

    __tablename__ = "application_event"

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="authorization_application.id", index=True)
    # None: the platform itself (an application that expired).
    actor_id: int | None = Field(default=None, foreign_key="user_account.id")
    action: str = Field(max_length=30)
    from_state: str = Field(default="", max_length=20)
    to_state: str = Field(max_length=20)
    reason: str = Field(default="", max_length=2000)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=json_column(nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
