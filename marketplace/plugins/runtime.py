"""The plugin runtime: the one object the platform asks about plugins and their operations.

Created by the app factory (:func:`marketplace.plugins.init_app`) and kept on the app, never in a
module global. It is a thin front over parts with one job each:

- :mod:`~marketplace.plugins.records`: what discovery found (plain descriptions made in a child
  process, see :mod:`~marketplace.plugins.describe`: no plugin code runs here at discovery),
  the ``installed_plugin`` rows and the health last written;
- :mod:`~marketplace.plugins.execution`: running an operation or a governance step on a pool
  thread (trusted plugins, imported on their first call) or in the plugin's worker process,
  within its deadline;
- :mod:`~marketplace.plugins.breaker` (in memory) or :mod:`~marketplace.plugins.shared_breaker`
  (in Redis, when ``REDIS_URL`` is set) and :mod:`~marketplace.plugins.incidents`: a circuit
  breaker per operation, and what each answer means for the caller, the breaker and the
  incidents.

The runtime reports what happened through :mod:`~marketplace.plugins.signals`; it tells no one
itself.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any

from datamarket_sdk import Context, Dataset, Scope
from flask import Flask

from marketplace.plugins.breaker import BreakerBoard, BreakerState
from marketplace.plugins.describe import DESCRIBE_TIMEOUT, describe_candidates
from marketplace.plugins.descriptions import OperationSpec, PluginDescription
from marketplace.plugins.errors import (
    GovernanceStepFailed,
    GovernanceStepUnavailable,
    OperationPaused,
)
from marketplace.plugins.execution import Execution
from marketplace.plugins.incidents import FAULTS, Incidents
from marketplace.plugins.info import ModelInfo, OperationInfo, describe_operation, models_of
from marketplace.plugins.manager import fingerprinted_candidates
from marketplace.plugins.models import IncidentKind, InstalledPlugin
from marketplace.plugins.records import InstalledPlugins, Snapshot
from marketplace.plugins.shared_breaker import SharedBreakerBoard
from marketplace.plugins.steps import BATCH_MASKING

__all__ = ["ModelInfo", "OperationInfo", "PluginRuntime", "Snapshot"]

log = logging.getLogger(__name__)

#: Seconds a governance step may take over one call's values.
GOVERNANCE_TIMEOUT = 10.0
#: The platform's own governance plugin, asked first for a step several plugins offer.
GOVERNANCE_PLUGIN = "governance_tools"


class PluginRuntime:
    """Discovered plugins, and the one way to call their operations: :meth:`invoke`."""

    def __init__(self, app: Flask, plugins: list[PluginDescription], *,
                 clock: Callable[[], float] = time.monotonic):
        self.app = app
        config = app.config
        self.installed = InstalledPlugins(app, plugins)
        #: The discovered plugins by name (the same mapping the records part holds).
        self.plugins: dict[str, PluginDescription] = self.installed.plugins
        self.breakers: BreakerBoard | SharedBreakerBoard
        if config.get("REDIS_URL"):  # every server process agrees on each breaker
            self.breakers = SharedBreakerBoard(config["REDIS_URL"],
                                               config["PLUGIN_BREAKER_THRESHOLD"],
                                               config["PLUGIN_BREAKER_COOLDOWN"])
        else:
            self.breakers = BreakerBoard(config["PLUGIN_BREAKER_THRESHOLD"],
                                         config["PLUGIN_BREAKER_COOLDOWN"], clock)
        self.execution = Execution(config)
        self.incidents = Incidents(app, self.installed, self.breakers)
        self._descriptions: dict[tuple[str, str], OperationInfo] = {}

    @classmethod
    def from_app(cls, app: Flask) -> PluginRuntime:
        """Discover the plugins the app's settings point at, describing them out of process."""
        config = app.config
        plugins = describe_candidates(
            fingerprinted_candidates(
                config.get("DATAMARKET_PLUGINS_DIR") or None,
                autoload=not config.get("DATAMARKET_DISABLE_PLUGIN_AUTOLOAD")),
            config.get("PLUGIN_SETTINGS") or {},
            timeout=float(config.get("PLUGIN_DESCRIBE_TIMEOUT") or DESCRIBE_TIMEOUT),
            cpu_seconds=int(config["PLUGIN_WORKER_CPU_SECONDS"]),
            memory_mb=int(config["PLUGIN_WORKER_MEMORY_MB"]),
        )
        loaded = [p.name for p in plugins if not p.failed]
        failed = [p.name for p in plugins if p.failed]
        log.info("plugins loaded: %s; failed: %s", ", ".join(loaded) or "none",
                 ", ".join(failed) or "none")
        return cls(app, plugins)

    def close(self) -> None:
        """Stop every worker process."""
        self.execution.close()

    # ------------------------------------------------------------------------ records

    def sync(self) -> bool:
        """Record what discovery found in ``installed_plugin`` (see
        :meth:`~marketplace.plugins.records.InstalledPlugins.sync`)."""
        return self.installed.sync()

    def ensure_synced(self) -> None:
        """Record what discovery found, once per process (see :meth:`sync`)."""
        self.installed.ensure_synced()

    def records(self, *, sync: bool = True) -> dict[str, InstalledPlugin]:
        """The ``installed_plugin`` rows by name; empty when the tables do not exist yet.

        :param sync: record what discovery found first, if not done yet in this process. Pass
            False from inside a caller's write transaction: on SQLite the sync would wait for
            the caller's lock (plugins not recorded yet then get their default state).
        """
        return self.installed.read(sync=sync)

    def snapshot(self) -> Snapshot:
        """Every plugin's record, read once: pass it to :meth:`operations`, :meth:`operation`
        and :meth:`invoke` so that one request reads the records once."""
        return self.installed.snapshot()

    def breaker_states(self, plugin: str) -> dict[str, BreakerState]:
        """The breaker state of each operation of ``plugin`` in this server process."""
        return self.incidents.breaker_states(plugin)

    # ------------------------------------------------------------------------ operations

    def operations(self, snapshot: Snapshot | None = None) -> list[OperationInfo]:
        """Every operation of every enabled plugin, by plugin then operation name.

        :param snapshot: the records to go by; read now when not given.
        """
        if snapshot is None:
            snapshot = self.snapshot()
        return [
            describe_operation(plugin, operation)
            for _name, plugin in sorted(self.plugins.items()) if snapshot.enabled(plugin)
            for _op, operation in sorted(plugin.operations.items())
        ]

    def models(self, plugin_name: str) -> list[ModelInfo]:
        """The models (with their cards) that a loaded plugin registered, as discovery found
        them; no database is read."""
        return models_of(self.plugins.get(plugin_name))

    def operations_by_ref(self, refs: Iterable[tuple[str, str]]
                          ) -> dict[tuple[str, str], OperationInfo | None]:
        """Each (plugin, operation) asked for, described, or None when no enabled plugin offers
        it; the plugins' records are read once, however many are asked for."""
        refs = list(dict.fromkeys(refs))
        snapshot = self.snapshot() if refs else Snapshot(self.plugins, {})
        found: dict[tuple[str, str], OperationInfo | None] = {}
        for plugin_name, name in refs:
            plugin = self.plugins.get(plugin_name)
            operation = plugin.operations.get(name) if plugin is not None else None
            offered = plugin is not None and operation is not None and snapshot.enabled(plugin)
            found[(plugin_name, name)] = (self._described(plugin, operation)
                                          if offered else None)
        return found

    def _described(self, plugin: PluginDescription, operation: OperationSpec) -> OperationInfo:
        """An operation's description, made once (for pages that only read it; the copies
        :func:`describe_operation` makes of its schemas were most of a product list's time)."""
        key = (plugin.name, operation.name)
        info = self._descriptions.get(key)
        if info is None:
            info = self._descriptions[key] = describe_operation(plugin, operation)
        return info

    def operation(self, plugin: str, name: str,
                  snapshot: Snapshot | None = None) -> OperationInfo:
        """One operation of an enabled plugin, described once per process (the gateway asks on
        every call: copying its schemas each time cost more than the rest of the lookup).
        The description is shared: callers must not change its schemas.

        :param snapshot: the records to go by; the plugin's record is read now when not given.
        :raises OperationNotFound: no enabled plugin of that name offers it.
        """
        if snapshot is None:
            snapshot = self.installed.snapshot_of(plugin)
        resolved = snapshot.resolve(plugin, name)
        return self._described(resolved.plugin, resolved.operation)

    def invoke(self, plugin_name: str, operation_name: str, payload: dict[str, Any], *,
               buyer: str, scope: Scope, datasets: Mapping[str, Dataset] | None = None,
               snapshot: Snapshot | None = None) -> dict[str, Any]:
        """Call an operation within its deadline and return its JSON-ready output.

        Trusted plugins run on a thread of this process; untrusted ones in their worker process.
        A fault is recorded as an incident (the traceback goes to the log) and counts towards
        the operation's circuit breaker.

        Billing: this returns only when the operation answered within its schema; every
        refusal and fault raises before the caller gets anything to meter, so faults are never
        billed. Metering belongs after a successful return.

        :param buyer: the pseudonymous buyer id the plugin sees.
        :param scope: what the buyer's entitlement allows.
        :param datasets: platform-held datasets the product was granted, by name.
        :param snapshot: the records to go by (from :meth:`snapshot`, read earlier in the same
            request); the plugin's record is read now when not given.
        :raises OperationNotFound: no enabled plugin offers the operation (404).
        :raises OperationPaused: its breaker is open; ``retry_after`` says when to retry (503).
        :raises PluginBadInput: the plugin refused the input, with its message (422).
        :raises PluginNotFoundError: the plugin found nothing, with its message (404).
        :raises PluginFault: it raised, crashed or broke its output schema (502, ``incident``).
        :raises PluginTimeout: it missed its deadline (504, ``incident``).
        """
        if snapshot is None:
            snapshot = self.installed.snapshot_of(plugin_name)
        resolved = snapshot.resolve(plugin_name, operation_name)
        breaker = self.breakers.get(plugin_name, operation_name)
        admission = breaker.admit()
        if not admission.allowed:
            raise OperationPaused(admission.retry_after, admission.incident)
        context = Context(
            buyer=buyer,
            scope=scope,
            settings=None,  # the plugin's own settings model: in-process or in its worker
            logger=logging.getLogger(f"datamarket.plugin.{plugin_name}"),
            deadline=time.monotonic() + resolved.operation.timeout_seconds,
            datasets=MappingProxyType(dict(datasets or {})),
        )
        try:
            answer = self.execution.run(resolved, context, payload)
        except BaseException:
            breaker.release()  # our failure, not the plugin's: let another call try
            raise
        return self.incidents.settle(resolved, breaker, answer)

    # ------------------------------------------------------------------------ governance

    def governance_provider(self, kind: str, name: str,
                            snapshot: Snapshot | None = None) -> str | None:
        """The enabled plugin that offers the governance step (the platform's own governance
        plugin first, then by name), or None."""
        if snapshot is None:
            snapshot = self.snapshot()
        names = sorted(self.plugins, key=lambda plugin: (plugin != GOVERNANCE_PLUGIN, plugin))
        for plugin_name in names:
            plugin = self.plugins[plugin_name]
            if snapshot.enabled(plugin) and any(
                    step.get("kind") == kind and step.get("name") == name
                    for step in plugin.governance_steps):
                return plugin_name
        return None

    def run_governance(self, plugin_name: str, kind: str, name: str, values: list[Any], *,
                       params: Mapping[str, Any] | None = None, key: bytes | None = None,
                       timeout: float = GOVERNANCE_TIMEOUT,
                       snapshot: Snapshot | None = None) -> list[Any]:
        """Run a plugin's governance step (a masking strategy, a detector) over ``values``:
        in this process on a pool thread when the plugin is trusted, else in its worker.

        :param params: the step's parameters (checked by the step's own model).
        :param key: for a step whose function takes a ``key`` (keyed masking strategies).
        :returns: one result per value, in order.
        :raises GovernanceStepUnavailable: the plugin is not enabled or offers no such step.
        :raises GovernanceStepFailed: the step failed (recorded as an incident); no value is
            returned unprocessed.
        """
        if snapshot is None:
            snapshot = self.installed.snapshot_of(plugin_name)
        plugin = self.plugins.get(plugin_name)
        if plugin is None or not snapshot.enabled(plugin) or not any(
                step.get("kind") == kind and step.get("name") == name
                for step in plugin.governance_steps):
            raise GovernanceStepUnavailable(kind, name)
        values = list(values)
        answer = self.execution.run_step(plugin, snapshot.trusted(plugin), kind, name, values,
                                         params, key, timeout)
        if answer.get("outcome") == "ok":
            return list(answer["result"])
        raise self._step_failed(plugin_name, kind, name, answer)

    def _step_failed(self, plugin_name: str, kind: str, name: str,
                     answer: Mapping[str, Any]) -> GovernanceStepFailed:
        incident = self.incidents.record(
            plugin_name, f"{kind}:{name}", FAULTS.get(str(answer.get("outcome")),
                                                      IncidentKind.EXCEPTION),
            str(answer.get("message") or answer.get("outcome")), answer.get("traceback", ""))
        return GovernanceStepFailed(kind, name, incident)

    def batch_masker(self, plugin_name: str, snapshot: Snapshot | None = None
                     ) -> Callable[[Any, list[dict[str, Any]], bytes | None], Any] | None:
        """A function masking one Arrow record batch with ``plugin_name``'s batch-masking step
        (``(batch, policies, key) -> batch``), or None when that plugin is not enabled and
        trusted or offers no such step (mask value by value with :meth:`run_governance` then).

        The function raises :class:`GovernanceStepFailed` (an incident recorded) on failure.
        """
        if snapshot is None:
            snapshot = self.installed.snapshot_of(plugin_name)
        plugin = self.plugins.get(plugin_name)
        if plugin is None or not snapshot.enabled(plugin) or not snapshot.trusted(plugin):
            return None
        step = next((step for step in plugin.governance_steps
                     if step.get("kind") == BATCH_MASKING), None)
        if step is None:
            return None
        name = str(step.get("name"))

        def mask(batch: Any, policies: list[dict[str, Any]], key: bytes | None) -> Any:
            answer = self.execution.run_batch_step(plugin, BATCH_MASKING, name, batch,
                                                   policies, key, GOVERNANCE_TIMEOUT)
            if answer.get("outcome") == "ok":
                return answer["result"]
            raise self._step_failed(plugin_name, BATCH_MASKING, name, answer)

        return mask

    # ------------------------------------------------------------------------ workers

    def release_worker(self, plugin_name: str) -> None:
        """Stop a plugin's worker, if any (after it was disabled or trusted)."""
        self.execution.stop_worker(plugin_name)

    def worker_pid(self, plugin_name: str) -> int | None:
        """The process id of a plugin's running worker, if it has one."""
        return self.execution.worker_pid(plugin_name)
