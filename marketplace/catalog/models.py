"""Catalog tables.

A :class:`Product` is the stable identity buyers bookmark; each :class:`Listing` is one version of
its content going through review. At most one listing of a product is ``published`` at a time, so
a new version can be reviewed while the old one stays on sale.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from marketplace.base import json_column, utcnow


class ProductType(StrEnum):
    RAW_DATASET = "raw_dataset"
    DESENSITIZED_DATASET = "desensitized_dataset"
    MODELIZED_DATA = "modelized_data"
    AI_DATA = "ai_data"
    GOVERNANCE_TOOL = "governance_tool"


class DeliveryForm(StrEnum):
    DATA_PACKAGE = "data_package"
    QUERY_API = "query_api"
    VERIFICATION_API = "verification_api"
    SERVICE_API = "service_api"
    BATCH_JOB = "batch_job"


class Scenario(StrEnum):
    FINANCE = "finance"
    TRANSPORT = "transport"
    MEDICAL = "medical"
    SOCIAL_GOVERNANCE = "social_governance"


class Sensitivity(StrEnum):
    NONE = "none"
    PERSONAL = "personal"
    SENSITIVE_PERSONAL = "sensitive_personal"
    CONFIDENTIAL = "confidential"


class PricingModel(StrEnum):
    FREE = "free"
    ONE_TIME = "one_time"
    PER_CALL = "per_call"
    MEMBERSHIP = "membership"
    SERVICE_FEE = "service_fee"


class BillingPeriod(StrEnum):
    MONTH = "month"
    YEAR = "year"


class ListingState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    PUBLISHED = "published"
    SUSPENDED = "suspended"
    RETIRED = "retired"
    # A published version replaced by a newer approved one.
    SUPERSEDED = "superseded"


class Product(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="merchant_organization.id", index=True)
    created_by_id: int = Field(foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow)


class Listing(SQLModel, table=True):
    """One version of a product's content, with its place in the review lifecycle."""

    __table_args__ = (
        # The database itself guarantees a single live version per product.
        Index(
            "uq_listing_one_published_per_product",
            "product_id",
            unique=True,
            sqlite_where=text("state = 'published'"),
            postgresql_where=text("state = 'published'"),
        ),
        UniqueConstraint("product_id", "version", name="uq_listing_product_version"),
    )

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    # Copied from the product (which never changes hands) so that ownership checks need no join.
    organization_id: int = Field(foreign_key="merchant_organization.id", index=True)
    version: str = Field(default="1.0", max_length=20)
    state: str = Field(default=ListingState.DRAFT, max_length=20, index=True)

    # The merchant's text in Chinese (the title required), and optionally in English: pages in
    # English show the English version where there is one (catalog/localized.py). The data
    # dictionary's fields carry an optional ``description_en`` beside ``description``.
    title: str = Field(max_length=200)
    summary: str = Field(default="", max_length=500)
    description_md: str = Field(default="", max_length=50_000)
    title_en: str = Field(default="", max_length=200)
    summary_en: str = Field(default="", max_length=500)
    description_md_en: str = Field(default="", max_length=50_000)
    product_type: str = Field(max_length=30, index=True)
    delivery_form: str = Field(max_length=30, index=True)
    scenario: str = Field(max_length=30, index=True)
    tags: list[str] = Field(default_factory=list, sa_column=json_column(nullable=False))
    classification_level: int = Field(default=1, ge=1, le=4)
    data_dictionary: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=json_column(nullable=False)
    )
    sample_rows: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=json_column(nullable=False)
    )
    # The plugin operation this version sells, if any: both set or both None. Names, not a
    # foreign key: plugins come and go with deployments, and the listing keeps saying what it
    # offered (the product page says when the operation is unavailable).
    plugin_name: str | None = Field(default=None, max_length=64)
    operation_name: str | None = Field(default=None, max_length=64)
    # The merchant asks buyers for an approved authorization application even below level 3.
    requires_application: bool = Field(default=False)
    # Free calls on the sample that each buyer may make with a sandbox key (0: no trial).
    trial_calls: int = Field(default=0, ge=0, le=50)
    # The dataset a data package sells (marketplace/datasets): uploaded to this version, or
    # kept from the version it was copied from until a new one is uploaded.
    dataset_id: int | None = Field(default=None, foreign_key="dataset.id", index=True)

    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    submitted_at: datetime | None = None
    published_at: datetime | None = None


class ListingOperation(SQLModel, table=True):
    """One plugin operation a listing sells, in the order the merchant listed them.

    ``Listing.plugin_name`` / ``operation_name`` keep naming the first one (position 0), for
    the pages and events that show a listing's main operation.
    """

    __tablename__ = "listing_operation"
    __table_args__ = (UniqueConstraint("listing_id", "plugin_name", "operation_name",
                                       name="uq_listing_operation"),)

    id: int | None = Field(default=None, primary_key=True)
    listing_id: int = Field(foreign_key="listing.id", index=True)
    plugin_name: str = Field(max_length=64)
    operation_name: str = Field(max_length=64)
    position: int = Field(default=0, ge=0)


class PricingPlan(SQLModel, table=True):
    """A way to buy a listing. Amounts are integers in the currency's smallest unit (fen for CNY).

    Which fields matter depends on ``model``: ``price`` is the one-time price, the membership
    price per period, or the service fee's starting price; ``free_allowance`` and ``tiers`` describe
    per-call billing; ``included_calls`` and ``overage_unit_price`` describe a membership (and the
    calls a one-time call pack includes).
    """

    __tablename__ = "pricing_plan"

    id: int | None = Field(default=None, primary_key=True)
    listing_id: int = Field(foreign_key="listing.id", index=True)
    position: int = Field(default=0)
    name: str = Field(max_length=100)
    model: str = Field(max_length=20)
    currency: str = Field(default="CNY", max_length=3)
    price: int = Field(default=0, ge=0)
    billing_period: str | None = Field(default=None, max_length=10)
    free_allowance: int = Field(default=0, ge=0)
    # [{"up_to": int | None, "unit_price": int}], ascending; the last tier has up_to None.
    tiers: list[dict[str, Any]] = Field(default_factory=list, sa_column=json_column(nullable=False))
    included_calls: int | None = Field(default=None, ge=0)
    overage_unit_price: int | None = Field(default=None, ge=0)
    description: str = Field(default="", max_length=1000)


class ReviewDecision(SQLModel, table=True):
    """A reviewer's decision on a submitted listing, with the reason the merchant sees."""

    __tablename__ = "review_decision"

    id: int | None = Field(default=None, primary_key=True)
    listing_id: int = Field(foreign_key="listing.id", index=True)
    reviewer_id: int = Field(foreign_key="user_account.id")
    decision: str = Field(max_length=30)
    reason: str = Field(default="", max_length=5000)
    created_at: datetime = Field(default_factory=utcnow)


class ComplianceReport(SQLModel, table=True):
    """The automatic compliance scan of a listing, made when it was submitted for review.

    ``findings`` holds one dict per finding: code, message, severity (info, warning or
    blocking), field, and the plugin that reported it; blocking ones first.
    """

    __tablename__ = "compliance_report"

    id: int | None = Field(default=None, primary_key=True)
    listing_id: int = Field(foreign_key="listing.id", index=True)
    findings: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=json_column(nullable=False)
    )
    blocking: int = Field(default=0, ge=0)
    # The plugins that scanned the listing, and those that failed to (with their incident ids).
    scanned_by: list[str] = Field(default_factory=list, sa_column=json_column(nullable=False))
    failures: list[dict[str, str]] = Field(
        default_factory=list, sa_column=json_column(nullable=False)
    )
    created_at: datetime = Field(default_factory=utcnow)


class ListingDatasetGrant(SQLModel, table=True):
    """A dataset of the merchant's own that a listing (version) lends its operations, under the
    name its plugin reads it by (``ctx.dataset(name)``). A new version keeps its grants."""

    __tablename__ = "listing_dataset_grant"
    __table_args__ = (UniqueConstraint("listing_id", "name", name="uq_listing_dataset_grant"),)

    id: int | None = Field(default=None, primary_key=True)
    listing_id: int = Field(foreign_key="listing.id", index=True)
    name: str = Field(max_length=64)
    dataset_id: int = Field(foreign_key="dataset.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
