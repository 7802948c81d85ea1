"""Audit tables: the entries and the chain head that serializes appends."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from marketplace.base import json_column, utcnow


class AuditEntry(SQLModel, table=True):
    """One recorded action. ``entry_hash`` covers ``prev_hash`` and every other field."""

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    # Position in the chain, 1, 2, 3...: gaps and duplicates are visible to ``verify``.
    seq: int = Field(unique=True, index=True)
    occurred_at: datetime = Field(default_factory=utcnow)
    actor_id: int | None = Field(default=None, index=True)
    action: str = Field(max_length=80, index=True)
    subject_type: str = Field(max_length=40)
    subject_id: str = Field(max_length=64)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=json_column(nullable=False))
    prev_hash: str = Field(max_length=64)
    entry_hash: str = Field(max_length=64, unique=True)


class AuditChainHead(SQLModel, table=True):
    """A single row holding the chain's tip; updating it serializes concurrent appends."""

    __tablename__ = "audit_chain_head"

    id: int = Field(default=1, primary_key=True)
    last_seq: int = Field(default=0)
    last_hash: str = Field(max_length=64)
