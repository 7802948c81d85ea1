"""Small pieces shared by every domain's tables."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column

#: The largest id the tables hold: their integer columns are PostgreSQL's INTEGER (32-bit
#: signed); SQLite would hold more, but a larger id must not be a 500 on PostgreSQL.
MAX_ID = 2**31 - 1


def utcnow() -> datetime:
    """The current time, aware and in UTC: SQLModel's datetime columns store and return UTC."""
    return datetime.now(UTC)


def json_column(**kwargs: Any) -> Column:
    """A JSON column (JSONB-free, so the same migration runs on SQLite and PostgreSQL)."""
    return Column(JSON, **kwargs)
