"""The record of every background job, and the keys of effects that must happen only once."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlmodel import Field, SQLModel

from marketplace.base import json_column, utcnow


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class JobRun(SQLModel, table=True):
    """One job asked for: what, for whom, how far it got and how it ended.

    The queue (Huey) only carries this row's id; the row is the truth. A job is ``queued``
    until a worker claims it (``running``, with a fresh ``run_token`` and heartbeat), then
    ``succeeded``, or ``queued`` again for a retry (``due_at`` in the future), or ``failed``
    after its last attempt.
    """

    __tablename__ = "job_run"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=100, index=True)
    args: dict[str, Any] = Field(default_factory=dict, sa_column=json_column(nullable=False))
    state: str = Field(default=JobState.QUEUED, max_length=20, index=True)
    attempts: int = 0
    max_attempts: int = 5
    #: 0 to 100, with what the job is doing now in ``message``.
    progress: int = 0
    message: str = Field(default="", max_length=300)
    #: The last attempt's error (the exception's type and text).
    error: str = Field(default="", max_length=4000)
    #: The user who asked for it, if one did (they may follow its progress).
    asked_by: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    #: Set by the worker that claimed the current attempt; only that worker may settle it.
    run_token: str | None = Field(default=None, max_length=32)
    #: When the job is next due (the first run, or a retry after its backoff).
    due_at: datetime = Field(default_factory=utcnow)
    heartbeat_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None


class JobEffect(SQLModel, table=True):
    """An effect done once under ``key`` (see :func:`marketplace.jobs.effect_once`)."""

    __tablename__ = "job_effect"

    key: str = Field(primary_key=True, max_length=200)
    job_id: int | None = Field(default=None, foreign_key="job_run.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
