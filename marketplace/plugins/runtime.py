"""The plugin runtime: the one object the platform asks about plugins and their operations.

Created by the app factory (:func:`marketplace.plugins.init_app`) and kept on the app, never in a
module global. It owns what discovery found (plain descriptions made in a child process, see
:mod:`marketplace.plugins.describe`: no plugin code runs here at discovery), the pluggy plugin
manager of the trusted plugins it imported on their first call, a circuit breaker per operation
and a worker process per untrusted plugin.

Recording plugins in ``installed_plugin`` happens on first use (:meth:`PluginRuntime.sync`), not
in the app factory, so an app starts even before ``datamarket db upgrade`` made the tables.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import math
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from datamarket_sdk import Context, Dataset, Operation, Scope
from flask import Flask, current_app, has_app_context
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session

from marketplace.db import get_engine, new_session
from marketplace.notifications.services import deliver_outbox
from marketplace.plugins import services
from marketplace.plugins.breaker import BreakerBoard, BreakerState, CircuitBreaker
from marketplace.plugins.describe import DESCRIBE_TIMEOUT, describe_candidates
from marketplace.plugins.errors import (
    OperationNotFound,
    OperationPaused,
    PluginBadInput,
    PluginFault,
    PluginNotFoundError,
    PluginTimeout,
)
from marketplace.plugins.manager import (
    LoadedPlugin,
    OperationSpec,
    PluginDescription,
    build_manager,
    fingerprinted_candidates,
    load_plugin,
)
from marketplace.plugins.models import IncidentKind, InstalledPlugin, PluginHealth, PluginState
from marketplace.plugins.worker import (
    WorkerBusy,
    WorkerCrashed,
    WorkerProcess,
    WorkerTimeout,
    run_operation,
)

log = logging.getLogger(__name__)

FAULTS = {
    "exception": IncidentKind.EXCEPTION,
    "timeout": IncidentKind.TIMEOUT,
    "bad_output": IncidentKind.BAD_OUTPUT,
    "crash": IncidentKind.CRASH,
}


@dataclass(frozen=True)
class OperationInfo:
    """An operation as the platform describes it: plain values, no plugin objects."""

    plugin: str
    name: str
    summary: str
    description: str
    merchant: str  # the owning organization's credit code; "" for the platform's own plugins
    input_schema: dict[str, Any]
    output_schema: dict[str, Any]
    timeout_seconds: float
    pricing_hint: dict[str, Any] | None
    example_input: dict[str, Any] | None


@dataclass(frozen=True)
class ModelInfo:
    """A model a plugin registered, with its model card (plain values)."""

    plugin: str
    name: str
    summary: str
    training_data: str
    metrics: dict[str, float]
    version: str
    intended_use: str
    limitations: str


def _describe(plugin: PluginDescription, operation: OperationSpec) -> OperationInfo:
    assert plugin.manifest is not None
    return OperationInfo(
        plugin=plugin.name,
        name=operation.name,
        summary=operation.summary,
        description=operation.description,
        merchant=plugin.manifest.merchant,
        input_schema=copy.deepcopy(operation.input_schema),
        output_schema=copy.deepcopy(operation.output_schema),
        timeout_seconds=operation.timeout_seconds,
        pricing_hint=dict(operation.pricing_hint) if operation.pricing_hint else None,
        example_input=copy.deepcopy(operation.example_input),
    )


def _output_problem(result: Any, schema: Mapping[str, Any]) -> str | None:
    """Why ``result`` does not satisfy the operation's output JSON Schema, or None.

    The worker validated the result with the plugin's own output model; this is the platform's
    own full check of what an untrusted worker claims, without importing the plugin's code.
    """
    validator = Draft202012Validator(schema)
    error = best_match(validator.iter_errors(result))
    if error is None:
        return None
    where = "/".join(str(part) for part in error.absolute_path) or "the result"
    return f"{where}: {error.message}"


class PluginImportFailed(Exception):
    """A trusted plugin could not be imported into the platform process on its first call."""


def _stop_workers(workers: dict[str, WorkerProcess]) -> None:
    for worker in list(workers.values()):
        worker.stop()
    workers.clear()


class PluginRuntime:
    """Discovered plugins, and the one way to call their operations: :meth:`invoke`."""

    def __init__(self, app: Flask, plugins: list[PluginDescription], *,
                 clock: Callable[[], float] = time.monotonic):
        self.app = app
        # Trusted plugins are imported here on their first call, registered on this manager.
        self.manager = build_manager()
        self._imported: dict[str, LoadedPlugin] = {}
        self._import_lock = threading.Lock()
        self.plugins: dict[str, PluginDescription] = {}
        for plugin in plugins:
            # A plugin that loaded wins over a failed one that ended up with the same name.
            if plugin.name not in self.plugins or self.plugins[plugin.name].failed:
                self.plugins[plugin.name] = plugin
        config = app.config
        self.breakers = BreakerBoard(config["PLUGIN_BREAKER_THRESHOLD"],
                                     config["PLUGIN_BREAKER_COOLDOWN"], clock)
        self.cpu_seconds = int(config["PLUGIN_WORKER_CPU_SECONDS"])
        self.memory_mb = int(config["PLUGIN_WORKER_MEMORY_MB"])
        self._workers: dict[str, WorkerProcess] = {}
        self._workers_lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self._synced = False
        self._health: dict[str, PluginHealth] = {}
        self._descriptions: dict[tuple[str, str], OperationInfo] = {}
        # Workers die with the runtime (or at exit), never left behind.
        self._finalizer = weakref.finalize(self, _stop_workers, self._workers)

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
        with self._workers_lock:
            _stop_workers(self._workers)

    # ------------------------------------------------------------------------ records

    @contextlib.contextmanager
    def _session(self) -> Iterator[Session]:
        """A session of the runtime's own, so incidents outlive a caller's rollback."""
        same_app = has_app_context() and current_app._get_current_object() is self.app
        with contextlib.ExitStack() as stack:
            if not same_app:
                stack.enter_context(self.app.app_context())  # notifications translate
            session = new_session(get_engine(self.app))
            stack.callback(session.close)
            yield session

    def sync(self) -> bool:
        """Record what discovery found in ``installed_plugin``.

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
            )
            for plugin in self.plugins.values()
        ]
        with self._sync_lock:
            for attempt in (1, 2):
                try:
                    with self._session() as session:
                        services.sync_installed(session, found)
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
                return True
        return False  # pragma: no cover - the loop always returns

    def _ensure_synced(self) -> None:
        if not self._synced:
            self.sync()

    def records(self, *, sync: bool = True) -> dict[str, InstalledPlugin]:
        """The ``installed_plugin`` rows by name; empty when the tables do not exist yet.

        :param sync: record what discovery found first, if not done yet in this process. Pass
            False from inside a caller's write transaction: on SQLite the sync would wait for
            the caller's lock (plugins not recorded yet then get their default state).
        """
        if sync:
            self._ensure_synced()
        try:
            with self._session() as session:
                return {row.name: row for row in services.installed(session)}
        except DBAPIError:
            return {}

    def _status(self, plugin: PluginDescription,
                records: Mapping[str, InstalledPlugin]) -> tuple[str, bool]:
        """(state, trusted) from the record, or the defaults when there is none yet."""
        row = records.get(plugin.name)
        if row is None:
            return (PluginState.FAILED if plugin.failed else PluginState.ENABLED,
                    plugin.builtin)
        return row.state, row.trusted

    def breaker_states(self, plugin: str) -> dict[str, BreakerState]:
        """The breaker state of each operation of ``plugin`` in this server process."""
        loaded = self.plugins.get(plugin)
        names = sorted(loaded.operations) if loaded else []
        return {name: self.breakers.state(plugin, name) for name in names}

    # ------------------------------------------------------------------------ operations

    def operations(self) -> list[OperationInfo]:
        """Every operation of every enabled plugin, by plugin then operation name."""
        records = self.records()
        return [
            _describe(plugin, operation)
            for name, plugin in sorted(self.plugins.items())
            if not plugin.failed and self._status(plugin, records)[0] == PluginState.ENABLED
            for _op, operation in sorted(plugin.operations.items())
        ]

    def models(self, plugin_name: str) -> list[ModelInfo]:
        """The models (with their cards) that a loaded plugin registered, as discovery found
        them; no database is read."""
        plugin = self.plugins.get(plugin_name)
        if plugin is None or plugin.failed:
            return []
        found = []
        for model in plugin.models:
            card = model.get("card") or {}
            found.append(ModelInfo(
                plugin=plugin.name, name=str(model.get("name", "")),
                summary=str(model.get("summary", "")),
                training_data=str(card.get("training_data", "")),
                metrics={str(k): float(v) for k, v in (card.get("metrics") or {}).items()},
                version=str(card.get("version", "")),
                intended_use=str(card.get("intended_use", "")),
                limitations=str(card.get("limitations", ""))))
        return found

    def operations_by_ref(self, refs: Iterable[tuple[str, str]]
                          ) -> dict[tuple[str, str], OperationInfo | None]:
        """Each (plugin, operation) asked for, described, or None when no enabled plugin offers
        it; the plugins' records are read once, however many are asked for."""
        refs = list(dict.fromkeys(refs))
        records = self.records() if refs else {}
        found: dict[tuple[str, str], OperationInfo | None] = {}
        for plugin_name, name in refs:
            plugin = self.plugins.get(plugin_name)
            operation = plugin.operations.get(name) if plugin is not None else None
            enabled = (plugin is not None and not plugin.failed
                       and self._status(plugin, records)[0] == PluginState.ENABLED)
            found[(plugin_name, name)] = (self._described(plugin, operation)
                                          if enabled and operation is not None else None)
        return found

    def _described(self, plugin: PluginDescription, operation: OperationSpec) -> OperationInfo:
        """An operation's description, made once (for pages that only read it; the copies
        :func:`_describe` makes of its schemas were most of a product list's time)."""
        key = (plugin.name, operation.name)
        info = self._descriptions.get(key)
        if info is None:
            info = self._descriptions[key] = _describe(plugin, operation)
        return info

    def operation(self, plugin: str, name: str) -> OperationInfo:
        """One operation of an enabled plugin.

        :raises OperationNotFound: no enabled plugin of that name offers it.
        """
        loaded, operation, _trusted = self._resolve(plugin, name)
        return _describe(loaded, operation)

    def _resolve(self, plugin_name: str,
                 operation_name: str) -> tuple[PluginDescription, OperationSpec, bool]:
        plugin = self.plugins.get(plugin_name)
        operation = plugin.operations.get(operation_name) if plugin is not None else None
        if plugin is None or operation is None or plugin.failed:
            raise OperationNotFound(plugin_name, operation_name)
        self._ensure_synced()
        try:
            with self._session() as session:
                row = services.find(session, plugin_name)
        except DBAPIError:
            row = None
        state, trusted = self._status(plugin, {plugin_name: row} if row else {})
        if state != PluginState.ENABLED:
            raise OperationNotFound(plugin_name, operation_name)
        return plugin, operation, trusted

    def invoke(self, plugin_name: str, operation_name: str, payload: dict[str, Any], *,
               buyer: str, scope: Scope,
               datasets: Mapping[str, Dataset] | None = None) -> dict[str, Any]:
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
        :raises OperationNotFound: no enabled plugin offers the operation (404).
        :raises OperationPaused: its breaker is open; ``retry_after`` says when to retry (503).
        :raises PluginBadInput: the plugin refused the input, with its message (422).
        :raises PluginNotFoundError: the plugin found nothing, with its message (404).
        :raises PluginFault: it raised, crashed or broke its output schema (502, ``incident``).
        :raises PluginTimeout: it missed its deadline (504, ``incident``).
        """
        plugin, operation, trusted = self._resolve(plugin_name, operation_name)
        breaker = self.breakers.get(plugin_name, operation_name)
        admission = breaker.admit()
        if not admission.allowed:
            raise OperationPaused(admission.retry_after, admission.incident)
        context = Context(
            buyer=buyer,
            scope=scope,
            settings=None,  # the plugin's own settings model: in-process or in its worker
            logger=logging.getLogger(f"datamarket.plugin.{plugin_name}"),
            deadline=time.monotonic() + operation.timeout_seconds,
            datasets=MappingProxyType(dict(datasets or {})),
        )
        try:
            if trusted:
                self._stop_worker(plugin_name)
                answer = self._run_trusted(plugin, operation, context, payload)
            else:
                answer = self._run_in_worker(plugin, operation, context, payload)
        except BaseException:
            breaker.release()  # our failure, not the plugin's: let another call try
            raise
        return self._settle(plugin, operation, breaker, answer)

    def _import_trusted(self, plugin: PluginDescription) -> LoadedPlugin:
        """The plugin's own objects, imported into this process on its first trusted call."""
        with self._import_lock:
            loaded = self._imported.get(plugin.name)
            if loaded is None:
                settings = self.app.config.get("PLUGIN_SETTINGS") or {}
                loaded = load_plugin(self.manager, plugin.name, plugin.origin, settings)
                if loaded.failed:
                    raise PluginImportFailed(loaded.error)
                if loaded.name != plugin.name:
                    self.manager.unregister(name=f"{plugin.name} ({plugin.origin.describe()})")
                    raise PluginImportFailed(
                        f"it now calls itself {loaded.name}, not {plugin.name}")
                log.info("trusted plugin %s imported into the platform process", plugin.name)
                self._imported[plugin.name] = loaded
            return loaded

    def _run_trusted(self, plugin: PluginDescription, spec: OperationSpec, context: Context,
                     payload: dict[str, Any]) -> dict[str, Any]:
        try:
            loaded = self._import_trusted(plugin)
        except PluginImportFailed as exc:
            return {"outcome": "crash",
                    "message": f"the plugin could not be imported into the platform: {exc}"}
        operation = loaded.operations.get(spec.name)
        if operation is None:
            return {"outcome": "crash", "message": f"the imported plugin no longer offers "
                    f"the operation {spec.name}"}
        # Importing is not charged to the call's deadline, as a worker's start-up is not.
        context = replace(context, settings=loaded.settings,
                          deadline=time.monotonic() + operation.timeout_seconds)
        return self._run_in_thread(operation, context, payload)

    def _run_in_thread(self, operation: Operation, context: Context,
                       payload: dict[str, Any]) -> dict[str, Any]:
        box: dict[str, dict[str, Any]] = {}

        def call() -> None:
            box["answer"] = run_operation(operation, context, payload)

        thread = threading.Thread(target=call, daemon=True,
                                  name=f"plugin operation {operation.name}")
        thread.start()
        thread.join(max(0.0, context.deadline - time.monotonic()))
        if thread.is_alive():
            # A thread cannot be killed: it is left to finish, and its answer is dropped.
            return {"outcome": "timeout", "message": f"no answer within "
                    f"{operation.timeout_seconds:g} seconds (trusted, on a thread)"}
        return box["answer"]

    def _worker(self, plugin: PluginDescription) -> WorkerProcess:
        with self._workers_lock:
            worker = self._workers.get(plugin.name)
            if worker is None:
                settings = plugin.settings or {}
                worker = WorkerProcess(plugin.name, plugin.origin.to_wire(), settings,
                                       cpu_seconds=self.cpu_seconds, memory_mb=self.memory_mb)
                self._workers[plugin.name] = worker
            return worker

    def _stop_worker(self, plugin_name: str) -> None:
        with self._workers_lock:
            worker = self._workers.pop(plugin_name, None)
        if worker is not None:
            worker.stop()

    def release_worker(self, plugin_name: str) -> None:
        """Stop a plugin's worker, if any (after it was disabled or trusted)."""
        self._stop_worker(plugin_name)

    def worker_pid(self, plugin_name: str) -> int | None:
        """The process id of a plugin's running worker, if it has one."""
        worker = self._workers.get(plugin_name)
        return worker.pid if worker is not None and worker.running else None

    def _run_in_worker(self, plugin: PluginDescription, operation: OperationSpec,
                       context: Context, payload: dict[str, Any]) -> dict[str, Any]:
        timeout = operation.timeout_seconds
        request = {"operation": operation.name, "payload": payload,
                   # The worker has the plugin's settings itself.
                   "context": replace(context, settings=None).to_wire()}
        try:
            answer = self._worker(plugin).call(request, timeout)
        except WorkerBusy:
            return {"outcome": "timeout", "message": "earlier calls kept the worker busy past "
                    f"this call's {timeout:g} seconds"}
        except WorkerTimeout:
            return {"outcome": "timeout", "message": f"no answer within {timeout:g} seconds; "
                    "the worker was killed"}
        except WorkerCrashed as exc:
            return {"outcome": "timeout" if exc.cpu_exhausted else "crash", "message": str(exc)}
        except OSError as exc:
            return {"outcome": "crash", "message": f"the worker could not start: {exc}"}
        if answer.get("outcome") == "ok":
            # The worker validated the result with the plugin's output model; checked again
            # here against the schema from discovery, whatever the worker process claims.
            problem = _output_problem(answer.get("result"), operation.output_schema)
            if problem:
                return {"outcome": "bad_output", "message": f"the worker's answer does not "
                        f"match the output schema: {problem}"}
        return answer

    # ------------------------------------------------------------------------ outcomes

    def _settle(self, plugin: PluginDescription, operation: OperationSpec,
                breaker: CircuitBreaker,
                answer: dict[str, Any]) -> dict[str, Any]:
        outcome = answer.get("outcome")
        if outcome in ("ok", "bad_input", "not_found"):
            breaker.record_success()  # the plugin worked, even if it refused the input
            self._set_health(plugin.name, self._health_unless_paused(plugin, PluginHealth.OK))
            if outcome == "bad_input":
                raise PluginBadInput(answer.get("message") or "")
            if outcome == "not_found":
                raise PluginNotFoundError(answer.get("message") or "")
            return answer["result"]
        kind = FAULTS.get(str(outcome), IncidentKind.CRASH)
        incident = self._record_incident(plugin.name, operation.name, kind,
                                         answer.get("message") or str(outcome),
                                         answer.get("traceback", ""))
        if breaker.record_fault():
            breaker.incident = self._paused(plugin.name, operation.name, breaker)
        else:
            self._set_health(plugin.name,
                             self._health_unless_paused(plugin, PluginHealth.FAULTING))
        if kind == IncidentKind.TIMEOUT:
            raise PluginTimeout(incident)
        raise PluginFault(incident)

    def _record_incident(self, plugin: str, operation: str, kind: IncidentKind, message: str,
                         traceback: str = "") -> str:
        incident = services.new_incident_id()
        log.error("plugin %s, operation %s: %s, incident %s: %s%s", plugin, operation,
                  kind.value, incident, message, f"\n{traceback}" if traceback else "")
        try:
            with self._session() as session:
                services.record_incident(session, incident=incident, plugin=plugin,
                                         operation=operation, kind=kind, message=message)
                session.commit()
        except DBAPIError:
            log.exception("incident %s could not be recorded in the database", incident)
        return incident

    def _paused(self, plugin: str, operation: str, breaker: CircuitBreaker) -> str:
        """The breaker opened: record it, mark the plugin paused and tell the admins."""
        cooldown = breaker.cooldown
        incident = self._record_incident(
            plugin, operation, IncidentKind.BREAKER_OPEN,
            f"paused for {cooldown:g} seconds after {breaker.consecutive_faults} consecutive "
            "faults")
        try:
            with self._session() as session:
                services.set_health(session, plugin, PluginHealth.PAUSED)
                services.tell_admins_paused(session, plugin=plugin, operation=operation,
                                            faults=breaker.consecutive_faults,
                                            cooldown=math.ceil(cooldown))
                session.commit()
                self._health[plugin] = PluginHealth.PAUSED
                try:
                    deliver_outbox(session, self.app.config)
                except Exception:  # mail must never turn a fault into a crash
                    log.exception("e-mail delivery failed; the outbox keeps the messages")
        except DBAPIError:
            log.exception("could not tell the admins that %s.%s is paused", plugin, operation)
        return incident

    def _health_unless_paused(self, plugin: PluginDescription,
                              health: PluginHealth) -> PluginHealth:
        """``health``, unless a breaker still pauses another operation of the plugin."""
        states = self.breaker_states(plugin.name).values()
        return PluginHealth.PAUSED if BreakerState.OPEN in states else health

    def _set_health(self, plugin: str, health: PluginHealth) -> None:
        if self._health.get(plugin) == health:
            return
        try:
            with self._session() as session:
                services.set_health(session, plugin, health)
                session.commit()
        except DBAPIError:
            log.warning("could not record the health of plugin %s", plugin)
            return
        self._health[plugin] = health
