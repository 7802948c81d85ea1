"""Plugin tables: what is installed (with the admin's decisions) and what went wrong when called."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from marketplace.base import json_column, utcnow


class PluginState(StrEnum):
    ENABLED = "enabled"
    DISABLED = "disabled"  # an admin switched it off; kept across restarts
    FAILED = "failed"  # it did not load: ``load_error`` says why


class PluginHealth(StrEnum):
    UNKNOWN = "unknown"  # never called since it was recorded
    OK = "ok"  # its last call answered
    FAULTING = "faulting"  # its last call was a fault (exception, timeout, bad output, crash)
    PAUSED = "paused"  # a circuit breaker paused one of its operations


class IncidentKind(StrEnum):
    EXCEPTION = "exception"
    TIMEOUT = "timeout"
    BAD_OUTPUT = "bad_output"
    CRASH = "crash"
    BREAKER_OPEN = "breaker_open"


class InstalledPlugin(SQLModel, table=True):
    """A plugin the platform discovered, with what it offers and what admins decided about it.

    Discovery writes the descriptive columns on every start; ``state`` (when ``disabled``) and
    ``trusted`` are the admin's and survive restarts.
    """

    __tablename__ = "installed_plugin"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True, index=True)
    version: str = Field(default="", max_length=64)
    # The owning merchant organization's unified social credit code; "" for the platform's own.
    merchant: str = Field(default="", max_length=64)
    title: str = Field(default="", max_length=200)
    # Where it was found, e.g. "entry point datamarket_x.plugin" or "folder /srv/plugins/x.py".
    source: str = Field(default="", max_length=500)
    # {"operations": [...], "governance_steps": [...], "models": [...], "events": [...]}
    capabilities: dict[str, Any] = Field(default_factory=dict,
                                         sa_column=json_column(nullable=False))
    state: str = Field(default=PluginState.ENABLED, max_length=20)
    trusted: bool = Field(default=False)
    load_error: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    health: str = Field(default=PluginHealth.UNKNOWN, max_length=20)
    updated_at: datetime = Field(default_factory=utcnow)


class PluginIncident(SQLModel, table=True):
    """A fault of a plugin call. The caller sees ``incident``; the traceback is in the log only."""

    __tablename__ = "plugin_incident"

    id: int | None = Field(default=None, primary_key=True)
    incident: str = Field(max_length=32, unique=True, index=True)
    plugin: str = Field(max_length=64, index=True)
    operation: str = Field(default="", max_length=64)
    kind: str = Field(max_length=20)
    message: str = Field(default="", max_length=2000)
    created_at: datetime = Field(default_factory=utcnow, index=True)


class PluginGeneration(SQLModel, table=True):
    """One row (``id`` 1) counting the changes to plugins' records: every server process keeps
    the records in memory with the generation it read them at, and reads them again when this
    moved (:mod:`marketplace.plugins.generation`)."""

    __tablename__ = "plugin_generation"

    id: int = Field(default=1, primary_key=True)
    counter: int = Field(default=0)
