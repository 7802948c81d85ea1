"""Notifications shown under the bell, and the outbox of e-mails to send after commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from marketplace.base import json_column, utcnow


class Notification(SQLModel, table=True):
    """A decision or event that concerns one user.

    Stored as a ``kind`` plus parameters, not as text, so it is rendered in the reader's language.
    """

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    kind: str = Field(max_length=60)
    params: dict[str, Any] = Field(default_factory=dict, sa_column=json_column(nullable=False))
    link: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    read_at: datetime | None = Field(default=None, index=True)


class OutboundEmail(SQLModel, table=True):
    """An e-mail written in the same transaction as the change it reports, sent after commit."""

    __tablename__ = "outbound_email"

    id: int | None = Field(default=None, primary_key=True)
    to_address: str = Field(max_length=254)
    subject: str = Field(max_length=300)
    body: str
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = Field(default=None, index=True)
    attempts: int = Field(default=0)
    last_error: str = Field(default="", max_length=1000)
