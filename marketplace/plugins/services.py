"""The plugin records: installed plugins and the admins' decisions on them, and incidents.

These functions take a session and plain values; the runtime (:mod:`marketplace.plugins.runtime`)
and the admin views call them. The caller commits. Telling people about plugins is not done here:
the runtime announces what happened (:mod:`marketplace.plugins.signals`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, select

from marketplace.audit import services as audit
from marketplace.base import utcnow
from marketplace.errors import Conflict
from marketplace.plugins.models import (
    IncidentKind,
    InstalledPlugin,
    PluginHealth,
    PluginIncident,
    PluginState,
)

NO_LONGER_INSTALLED = "It is no longer installed."


class Actor(Protocol):
    """Who decides about a plugin (an admin's account); only the id is recorded, in the audit."""

    id: int | None


@dataclass(frozen=True)
class Discovered:
    """What discovery found about one plugin, as plain values for its record."""

    name: str
    version: str
    merchant: str
    title: str
    source: str
    capabilities: dict[str, list[str]]
    load_error: str
    builtin: bool
    #: False when it failed before its manifest was read (its import failed): the record
    #: then keeps the owner it had, if it comes from the same place.
    manifest_read: bool = True


def _clip(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


@dataclass(frozen=True)
class Synced:
    """The records after a sync, and those that this sync newly marked as not loading."""

    rows: list[InstalledPlugin]
    newly_failed: list[InstalledPlugin]


def sync_installed(session: Session, found: Iterable[Discovered]) -> Synced:
    """Bring ``installed_plugin`` in line with what this start discovered.

    New plugins are enabled, and trusted only when they are the platform's own (no merchant).
    An admin's ``disabled`` and ``trusted`` decisions are kept. A plugin that did not load is
    ``failed`` (unless disabled) with its error; one recorded earlier but not found now is marked
    failed as no longer installed. A record counts as newly failed when its load error appeared
    or changed, or its version changed, in this sync.

    A plugin whose import failed has no manifest: its record keeps the merchant and title it
    had when it last loaded from the same place, so that its owner still sees it.
    """
    rows = {row.name: row for row in session.exec(select(InstalledPlugin))}
    seen: set[str] = set()
    newly_failed: list[InstalledPlugin] = []
    for item in found:
        seen.add(item.name)
        row = rows.get(item.name)
        if row is None:
            row = InstalledPlugin(name=item.name, trusted=item.builtin)
            rows[item.name] = row
        version = _clip(item.version, 64)
        if item.load_error and (row.id is None or row.load_error != item.load_error
                                or row.version != version):
            newly_failed.append(row)
        merchant, title = _clip(item.merchant, 64), _clip(item.title, 200)
        if not item.manifest_read and row.id is not None and row.source == item.source:
            merchant, title = row.merchant, row.title
        _update(row, version=version, merchant=merchant,
                title=title, source=_clip(item.source, 500),
                capabilities=item.capabilities, load_error=item.load_error,
                state=_state_after_load(row, item.load_error))
        session.add(row)
    for name, row in rows.items():
        if name not in seen and row.id is not None:
            if row.load_error != NO_LONGER_INSTALLED:
                newly_failed.append(row)
            _update(row, load_error=NO_LONGER_INSTALLED,
                    state=_state_after_load(row, NO_LONGER_INSTALLED))
            session.add(row)
    session.flush()
    return Synced(sorted(rows.values(), key=lambda row: row.name),
                  sorted(newly_failed, key=lambda row: row.name))


def _state_after_load(row: InstalledPlugin, load_error: str) -> str:
    if row.id is not None and row.state == PluginState.DISABLED:
        return PluginState.DISABLED  # the admin's decision outlives restarts and failures
    return PluginState.FAILED if load_error else PluginState.ENABLED


def _update(row: InstalledPlugin, **values: Any) -> None:
    if row.id is None or any(getattr(row, key) != value for key, value in values.items()):
        for key, value in values.items():
            setattr(row, key, value)
        row.updated_at = utcnow()


def installed(session: Session) -> list[InstalledPlugin]:
    return list(session.exec(select(InstalledPlugin).order_by(col(InstalledPlugin.name))))


def states(session: Session) -> tuple[tuple[str, str], ...]:
    """(name, state) of every installed plugin, by name, in plain SQL: pages whose content
    depends on which plugins answer ask it on every request."""
    return tuple(session.connection().exec_driver_sql(
        "SELECT name, state FROM installed_plugin ORDER BY name").all())


def find(session: Session, name: str) -> InstalledPlugin | None:
    return session.exec(select(InstalledPlugin).where(InstalledPlugin.name == name)).first()


def set_state(session: Session, actor: Actor, plugin: InstalledPlugin, state: str) -> None:
    """Enable or disable a plugin, audited. A plugin that did not load cannot be enabled.

    :raises Conflict: for a plugin that failed to load, or an unknown state.
    """
    if state not in (PluginState.ENABLED, PluginState.DISABLED):
        raise Conflict(_l("A plugin can only be enabled or disabled."))
    if state == PluginState.ENABLED and plugin.load_error:
        raise Conflict(_l("The plugin %(name)s did not load, so it cannot be enabled; fix the "
                          "error shown and restart the platform.", name=plugin.name))
    if plugin.state == state:
        return
    old = plugin.state
    plugin.state = state
    plugin.updated_at = utcnow()
    session.add(plugin)
    action = "plugin.enable" if state == PluginState.ENABLED else "plugin.disable"
    audit.record(session, actor_id=actor.id, action=action,
                 subject_type="plugin", subject_id=plugin.name,
                 details={"from": old, "to": state})


def set_trusted(session: Session, actor: Actor, plugin: InstalledPlugin, trusted: bool) -> None:
    """Let a plugin run inside the platform (trusted) or only in a limited worker, audited.

    :raises Conflict: trusting a plugin that did not load (nothing of it has been seen running).
    """
    if plugin.trusted == trusted:
        return
    if trusted and plugin.load_error:
        raise Conflict(_l("The plugin %(name)s did not load, so it cannot be trusted; fix the "
                          "error shown and restart the platform.", name=plugin.name))
    plugin.trusted = trusted
    plugin.updated_at = utcnow()
    session.add(plugin)
    audit.record(session, actor_id=actor.id, action="plugin.trust" if trusted else "plugin.untrust",
                 subject_type="plugin", subject_id=plugin.name, details={"trusted": trusted})


def set_health(session: Session, name: str, health: PluginHealth) -> None:
    plugin = find(session, name)
    if plugin is not None and plugin.health != health:
        plugin.health = health
        session.add(plugin)


def new_incident_id() -> str:
    return uuid.uuid4().hex[:16]


def record_incident(session: Session, *, incident: str, plugin: str, operation: str,
                    kind: IncidentKind, message: str) -> PluginIncident:
    """Keep a fault under its incident id (the caller is told the id, never the details)."""
    row = PluginIncident(incident=incident, plugin=plugin, operation=operation, kind=kind,
                         message=_clip(message, 2000))
    session.add(row)
    session.flush()
    return row


def find_incident(session: Session, incident: str) -> PluginIncident | None:
    """The incident kept under ``incident`` (the id its caller was told), if any."""
    return session.exec(select(PluginIncident).where(PluginIncident.incident == incident)).first()


def recent_incidents(session: Session, limit: int = 20) -> list[PluginIncident]:
    return list(session.exec(
        select(PluginIncident)
        .order_by(col(PluginIncident.created_at).desc(), col(PluginIncident.id).desc())
        .limit(limit)
    ))
