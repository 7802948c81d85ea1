"""The search outbox: what the index still has to catch up with.

A row is written in the same transaction as the change it reports (see :mod:`marketplace.changes`),
so a committed change always leaves one, whatever happens to the process afterwards; the index
updater removes rows only once the index has committed what they asked for.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from marketplace.base import utcnow


class SearchOutbox(SQLModel, table=True):
    """One product (or every product of one organization) whose document must be rebuilt."""

    __tablename__ = "search_outbox"

    id: int | None = Field(default=None, primary_key=True)
    product_id: int | None = None
    organization_id: int | None = None
    reason: str = Field(max_length=40)
    created_at: datetime = Field(default_factory=utcnow)
