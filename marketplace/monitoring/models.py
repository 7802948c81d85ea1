"""Tables of watching use: alerts raised by abnormal-use detection, and the version notices
sent (one per holder and version)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from marketplace.base import json_column, utcnow


class AlertRule(StrEnum):
    BURST = "burst"
    ENUMERATION = "enumeration"
    FISHING = "fishing"


class AlertState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class UsageAlert(SQLModel, table=True):
    """Abnormal use of one API key, found by a sweep, with the evidence an admin judges it by.

    ``open_key`` (``<rule>:<key id>``) is set while the alert is open and unique, so a key has
    at most one open alert per rule however often sweeps run; closing clears it.
    """

    __tablename__ = "usage_alert"

    id: int | None = Field(default=None, primary_key=True)
    rule: str = Field(max_length=20, index=True)
    api_key_id: int = Field(foreign_key="api_key.id", index=True)
    buyer_id: int = Field(foreign_key="user_account.id", index=True)
    entitlement_id: int | None = Field(default=None, foreign_key="entitlement.id")
    #: The calls the rule looked at, first and last.
    window_start: datetime
    window_end: datetime
    #: What the rule found: counts, thresholds, times and the usage records' ids.
    evidence: dict[str, Any] = Field(default_factory=dict, sa_column=json_column(nullable=False))
    state: str = Field(default=AlertState.OPEN, max_length=10, index=True)
    open_key: str | None = Field(default=None, max_length=40, unique=True)
    #: Whether raising it suspended the key (the rule is in ``USAGE_SUSPEND_RULES``).
    key_suspended: bool = False
    created_at: datetime = Field(default_factory=utcnow, index=True)
    closed_at: datetime | None = None
    closed_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    close_note: str = Field(default="", max_length=1000)


class VersionNotice(SQLModel, table=True):
    """That a holder was told of a product's new version (``listing_id``): once per holder
    and version, whatever sweeps repeat."""

    __tablename__ = "version_notice"
    __table_args__ = (UniqueConstraint("user_id", "listing_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    product_id: int = Field(foreign_key="product.id")
    listing_id: int = Field(foreign_key="listing.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
