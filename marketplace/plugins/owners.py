"""What a plugin's owner sees of it: the merchant organization's own plugins, loaded or not,
with each operation's circuit breaker and the recent incidents, real errors included.

The owner is the organization whose unified social credit code the plugin's manifest names
(``installed_plugin.merchant``). This module compares codes and ids only: who a user is and
which organization they belong to is for the caller (the page) and the policy to say.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import func
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from marketplace.base import utcnow
from marketplace.plugins.breaker import BreakerState
from marketplace.plugins.models import InstalledPlugin, PluginIncident, PluginState

#: Incidents shown per plugin on its owner's page, the latest first.
INCIDENTS_PER_PLUGIN = 10


@dataclass(frozen=True)
class PluginOwner:
    """A plugin as the policy sees it when someone asks for its incidents' real errors:
    the manifest's credit code ("" for the platform's own) and the id of the organization
    registered under that code, if there is one (looked up by the caller)."""

    plugin: str
    merchant: str
    organization_id: int | None

    @property
    def is_platform(self) -> bool:
        return self.merchant == ""


@dataclass(frozen=True)
class OperationStatus:
    """One operation and its breaker in this server process (or in Redis, when shared):
    ``until`` is when a paused operation takes a trial call again."""

    name: str
    state: BreakerState
    retry_after: int = 0
    until: datetime | None = None

    @property
    def paused(self) -> bool:
        return self.state == BreakerState.OPEN


@dataclass(frozen=True)
class OwnedPlugin:
    """A plugin of the owner's, as its record says, with its operations and recent incidents."""

    record: InstalledPlugin
    operations: list[OperationStatus] = field(default_factory=list)
    incidents: list[PluginIncident] = field(default_factory=list)

    @property
    def loaded(self) -> bool:
        return not self.record.load_error

    @property
    def enabled(self) -> bool:
        return self.loaded and self.record.state == PluginState.ENABLED


class BreakerStatuses(Protocol):
    """What :func:`owned_plugins` asks of the breakers (the runtime's board)."""

    def status(self, plugin: str, operation: str) -> tuple[BreakerState, int]: ...


def owned_plugins(session: Session, breakers: BreakerStatuses, credit_code: str, *,
                  incidents_per_plugin: int = INCIDENTS_PER_PLUGIN,
                  now: datetime | None = None) -> list[OwnedPlugin]:
    """Every recorded plugin whose manifest names ``credit_code``, by name, with its operations'
    breakers and its latest incidents; two queries however many plugins and incidents.

    The caller records what discovery found first (``PluginRuntime.sync``): a plugin that did
    not load is then among them with its ``load_error``.
    """
    if not credit_code:
        return []  # the platform's own plugins belong to no merchant
    rows = list(session.exec(select(InstalledPlugin)
                             .where(InstalledPlugin.merchant == credit_code)
                             .order_by(col(InstalledPlugin.name))))
    if not rows:
        return []
    incidents = latest_incidents(session, [row.name for row in rows], incidents_per_plugin)
    now = now or utcnow()
    owned = []
    for row in rows:
        statuses = []
        for name in (row.capabilities or {}).get("operations") or []:
            state, retry_after = (breakers.status(row.name, name) if not row.load_error
                                  else (BreakerState.CLOSED, 0))
            until = now + timedelta(seconds=retry_after) if retry_after else None
            statuses.append(OperationStatus(name, state, retry_after, until))
        owned.append(OwnedPlugin(row, statuses, incidents.get(row.name, [])))
    return owned


def latest_incidents(session: Session, plugins: list[str],
                     per_plugin: int) -> dict[str, list[PluginIncident]]:
    """The latest ``per_plugin`` incidents of each plugin, the latest first, in one query."""
    if not plugins or per_plugin <= 0:
        return {}
    rank = func.row_number().over(
        partition_by=PluginIncident.plugin,
        order_by=(col(PluginIncident.created_at).desc(), col(PluginIncident.id).desc()),
    ).label("rank")
    ranked = (select(PluginIncident, rank)
              .where(col(PluginIncident.plugin).in_(plugins)).subquery())
    incident = aliased(PluginIncident, ranked)
    found: dict[str, list[PluginIncident]] = {}
    for row in session.exec(select(incident).where(ranked.c.rank <= per_plugin)
                            .order_by(ranked.c.plugin, ranked.c.rank)):
        found.setdefault(row.plugin, []).append(row)
    return found
