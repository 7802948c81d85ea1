"""The plugins' records: what discovery found, their ``installed_plugin`` rows, and their health.

Recording plugins happens on first use (:meth:`InstalledPlugins.sync`), not in the app factory,
so an app starts even before ``datamarket db upgrade`` made the tables. Whether an operation is
offered, and whether it runs trusted, is read from the records as a :class:`Snapshot`: take it
once for a request and pass it down. Snapshots come from the records kept in memory, read
again only when the plugins' generation moved (:mod:`~marketplace.plugins.generation`), so an
admin's change reaches every process on its next call.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from flask import Flask
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session

from marketplace.db import get_engine, new_session
from marketplace.plugins import generation, services
from marketplace.plugins.descriptions import OperationSpec, PluginDescription
from marketplace.plugins.errors import OperationNotFound
from marketplace.plugins.models import InstalledPlugin, PluginHealth, PluginState
from marketplace.plugins.signals import LoadFailed, announce, load_failed

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ResolvedOperation:
    """An operation of an enabled plugin, with how it runs, as one read of its record said."""

    plugin: PluginDescription
    operation: OperationSpec
    trusted: bool


@dataclass(frozen=True)
class Snapshot:
    """The plugins' records as read once, beside what discovery found.

    ``records`` may hold every record or only those asked for; a plugin without one (not
    recorded yet, or the tables do not exist yet) gets its defaults: enabled unless it failed to
    load, trusted when it is the platform's own.
    """

    plugins: Mapping[str, PluginDescription]
    records: Mapping[str, InstalledPlugin]

    def status(self, plugin: PluginDescription) -> tuple[str, bool]:
        """(state, trusted) from the record, or the defaults when there is none yet."""
        row = self.records.get(plugin.name)
        if row is None:
            return (PluginState.FAILED if plugin.failed else PluginState.ENABLED,
                    plugin.builtin)
        return row.state, row.trusted

    def enabled(self, plugin: PluginDescription) -> bool:
        return not plugin.failed and self.status(plugin)[0] == PluginState.ENABLED

    def trusted(self, plugin: PluginDescription) -> bool:
        """Whether the plugin runs inside the platform (else in its limited worker)."""
        return self.status(plugin)[1]

    def resolve(self, plugin_name: str, operation_name: str) -> ResolvedOperation:
        """The operation, if an enabled plugin offers it.

        :raises OperationNotFound: no enabled plugin of that name offers it.
        """
        plugin = self.plugins.get(plugin_name)
        operation = plugin.operations.get(operation_name) if plugin is not None else None
        if plugin is None or operation is None or not self.enabled(plugin):
            raise OperationNotFound(plugin_name, operation_name)
        return ResolvedOperation(plugin, operation, self.trusted(plugin))


class InstalledPlugins:
    """What discovery found and the records of it, with a session of their own so that what the
    runtime writes (records, health, incidents) outlives a caller's rollback."""

    def __init__(self, app: Flask, plugins: list[PluginDescription]):
        self.app = app
        self.plugins: dict[str, PluginDescription] = {}
        for plugin in plugins:
            # A plugin that loaded wins over a failed one that ended up with the same name.
            if plugin.name not in self.plugins or self.plugins[plugin.name].failed:
                self.plugins[plugin.name] = plugin
        self._sync_lock = threading.Lock()
        self._synced = False
        # The health this process last wrote, so that a call writes only when it changes.
        self._health: dict[str, PluginHealth] = {}
        # (generation, records by name) as last read; the records are shared: never changed.
        self._kept: tuple[int, Mapping[str, InstalledPlugin]] | None = None

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        session = new_session(get_engine(self.app))
        try:
            yield session
        finally:
            session.close()

    def sync(self) -> bool:
        """Record what discovery found in ``installed_plugin``; announce each plugin whose record
        newly says it did not load (:data:`~.signals.load_failed`).

        :returns: False when the tables do not exist yet (before ``datamarket db upgrade``);
            the next use tries again.
        """
        found = [
            services.Discovered(
                name=plugin.name,
                version=plugin.manifest.version if plugin.manifest else "",
                merchant=plugin.manifest.merchant if plugin.manifest else "",
                title=plugin.manifest.title if plugin.manifest else "",
                source=plugin.origin.describe(),
                capabilities=plugin.capabilities(),
                load_error=plugin.error,
                builtin=plugin.builtin,
                manifest_read=plugin.manifest is not None,
            )
            for plugin in self.plugins.values()
        ]
        with self._sync_lock:
            for attempt in (1, 2):
                try:
                    with self.session() as session:
                        synced = services.sync_installed(session, found)
                        session.commit()
                except IntegrityError:
                    if attempt == 2:
                        raise
                    continue  # another server process recorded the same plugin first
                except DBAPIError as exc:
                    log.warning("plugins are not recorded yet (%s); run `datamarket db "
                                "upgrade`", exc.orig)
                    return False
                self._synced = True
                break
            else:  # pragma: no cover - the loop always returns or breaks
                return False
        for row in synced.newly_failed:
            announce(load_failed, self.app, LoadFailed(
                plugin=row.name, merchant=row.merchant, source=row.source, error=row.load_error,
                version=row.version))
        return True

    def ensure_synced(self) -> None:
        if not self._synced:
            self.sync()

    def read(self, *, sync: bool = True) -> dict[str, InstalledPlugin]:
        """The ``installed_plugin`` rows by name; empty when the tables do not exist yet.

        :param sync: record what discovery found first, if not done yet in this process. Pass
            False from inside a caller's write transaction: on SQLite the sync would wait for
            the caller's lock (plugins not recorded yet then get their default state).
        """
        if sync:
            self.ensure_synced()
        try:
            with self.session() as session:
                return {row.name: row for row in services.installed(session)}
        except DBAPIError:
            return {}

    def kept(self, *, sync: bool = True) -> Mapping[str, InstalledPlugin]:
        """The records as kept in memory, read again when the generation moved (or when it
        cannot be read: before the tables exist). Callers must not change them."""
        if sync:
            self.ensure_synced()
        engine = get_engine(self.app)
        current = generation.read(engine)
        kept = self._kept
        if current is not None and kept is not None and kept[0] == current:
            return kept[1]
        records = self.read(sync=False)
        if current is not None:
            self._kept = (current, records)
        return records

    def snapshot(self, *, sync: bool = True) -> Snapshot:
        """Every record, as kept in memory (see :meth:`kept`)."""
        return Snapshot(self.plugins, self.kept(sync=sync))

    def snapshot_of(self, plugin_name: str) -> Snapshot:
        """The record of one plugin (for a call that asks about only one); nothing is read for
        a plugin that discovery did not find or that failed to load."""
        plugin = self.plugins.get(plugin_name)
        if plugin is None or plugin.failed:
            return Snapshot(self.plugins, {})
        row = self.kept().get(plugin_name)
        return Snapshot(self.plugins, {plugin_name: row} if row is not None else {})

    def set_health(self, plugin: str, health: PluginHealth) -> None:
        """Record the plugin's health, when it differs from what this process last recorded."""
        if self._health.get(plugin) == health:
            return
        try:
            with self.session() as session:
                services.set_health(session, plugin, health)
                session.commit()
        except DBAPIError:
            log.warning("could not record the health of plugin %s", plugin)
            return
        self._health[plugin] = health
