"""Small pieces shared by every domain's tables."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column

#: The largest id the tables hold (64-bit signed integer columns, on SQLite and PostgreSQL).
MAX_ID = 2**63 - 1


def utcnow() -> datetime:
    """The current time, aware and in UTC: SQLModel's datetime columns store and return UTC."""
    return datetime.now(UTC)


def json_column(**kwargs: Any) -> Column:
    """A JSON column (JSONB-free, so the same migration runs on SQLite and PostgreSQL)."""
    return Column(JSON, **kwargs)
