"""Running a plugin's operation within its deadline, on a thread or in the plugin's worker.

Trusted plugins are imported into this process on their first call (registered on a pluggy
plugin manager of their own) and run on a pool of started threads
(:mod:`~marketplace.plugins.pool`); untrusted ones run in a worker process per plugin, with CPU
and memory limits. Governance steps (:mod:`~marketplace.plugins.steps`) run the same two
ways. Either way the answer is a plain dict with an ``outcome`` ("ok", "bad_input",
"not_found", "exception", "timeout", "bad_output" or "crash");
nothing a plugin does makes this module raise.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from datamarket_sdk import Context, Operation
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from marketplace.plugins.descriptions import OperationSpec, PluginDescription
from marketplace.plugins.manager import LoadedPlugin, build_manager, load_plugin
from marketplace.plugins.pool import CallTimeout, ThreadPool
from marketplace.plugins.records import ResolvedOperation
from marketplace.plugins.steps import find_step, run_batch_step, run_step
from marketplace.plugins.worker import (
    WorkerBusy,
    WorkerCrashed,
    WorkerProcess,
    WorkerTimeout,
    run_operation,
)

log = logging.getLogger(__name__)


class PluginImportFailed(Exception):
    """A trusted plugin could not be imported into the platform process on its first call."""


def output_problem(result: Any, schema: Mapping[str, Any]) -> str | None:
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


def _stop_workers(workers: dict[str, WorkerProcess]) -> None:
    for worker in list(workers.values()):
        worker.stop()
    workers.clear()


class Execution:
    """The trusted plugins imported here and the worker processes of the untrusted ones.

    :param config: the app's settings, read when a plugin is first imported or started
        (``PLUGIN_SETTINGS``, the worker's ``PLUGIN_WORKER_CPU_SECONDS`` and ``_MEMORY_MB``).
    """

    def __init__(self, config: Mapping[str, Any]):
        self.config = config
        self.cpu_seconds = int(config["PLUGIN_WORKER_CPU_SECONDS"])
        self.memory_mb = int(config["PLUGIN_WORKER_MEMORY_MB"])
        # Trusted plugins are imported here on their first call, registered on this manager.
        self.manager = build_manager()
        self._imported: dict[str, LoadedPlugin] = {}
        self._import_lock = threading.Lock()
        self._workers: dict[str, WorkerProcess] = {}
        self._workers_lock = threading.Lock()
        self.pool = ThreadPool(int(config.get("PLUGIN_TRUSTED_THREADS") or 8))
        # Workers die with the runtime (or at exit), never left behind.
        self._finalizer = weakref.finalize(self, _stop_workers, self._workers)

    def close(self) -> None:
        """Stop every worker process and the trusted calls' threads."""
        with self._workers_lock:
            _stop_workers(self._workers)
        self.pool.close()

    def run(self, resolved: ResolvedOperation, context: Context,
            payload: dict[str, Any]) -> dict[str, Any]:
        """Run the operation where its plugin's trust says, within ``context``'s deadline."""
        if resolved.trusted:
            self.stop_worker(resolved.plugin.name)
            return self._run_trusted(resolved.plugin, resolved.operation, context, payload)
        return self._run_in_worker(resolved.plugin, resolved.operation, context, payload)

    # ------------------------------------------------------------------------ trusted

    def import_trusted(self, plugin: PluginDescription) -> LoadedPlugin:
        """The plugin's own objects, imported into this process on its first trusted call."""
        with self._import_lock:
            loaded = self._imported.get(plugin.name)
            if loaded is None:
                settings = self.config.get("PLUGIN_SETTINGS") or {}
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
            loaded = self.import_trusted(plugin)
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
        try:
            return self.pool.run(lambda: run_operation(operation, context, payload),
                                 context.deadline)
        except CallTimeout:
            # A thread cannot be killed: it is left to finish, and its answer is dropped.
            return {"outcome": "timeout", "message": f"no answer within "
                    f"{operation.timeout_seconds:g} seconds (trusted, on a thread)"}

    # ------------------------------------------------------------------------ governance steps

    def run_step(self, plugin: PluginDescription, trusted: bool, kind: str, name: str,
                 values: list[Any], params: Mapping[str, Any] | None, key: bytes | None,
                 timeout: float) -> dict[str, Any]:
        """Run a governance step of ``plugin`` over ``values``, where its trust says; an answer
        of the worker protocol (see :mod:`~marketplace.plugins.steps`)."""
        if not trusted:
            return self._step_in_worker(plugin, kind, name, values, params, key, timeout)
        self.stop_worker(plugin.name)
        return self._trusted_step(plugin, kind, name, timeout,
                                  lambda step: run_step(step, values, params, key))

    def run_batch_step(self, plugin: PluginDescription, kind: str, name: str, batch: Any,
                       policies: list[dict[str, Any]], key: bytes | None,
                       timeout: float) -> dict[str, Any]:
        """Run a trusted plugin's batch-masking step over one record batch on a pool thread."""
        return self._trusted_step(plugin, kind, name, timeout,
                                  lambda step: run_batch_step(step, batch, policies, key))

    def _trusted_step(self, plugin: PluginDescription, kind: str, name: str, timeout: float,
                      call: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
        """Import ``plugin``, find its step and ``call`` it on a pool thread within ``timeout``;
        an answer of the worker protocol either way."""
        try:
            loaded = self.import_trusted(plugin)
        except PluginImportFailed as exc:
            return {"outcome": "crash",
                    "message": f"the plugin could not be imported into the platform: {exc}"}
        step = find_step(loaded.governance_steps, kind, name)
        if step is None:
            return {"outcome": "bad_input",
                    "message": f"the imported plugin no longer offers {kind} {name}"}
        try:
            return self.pool.run(lambda: call(step), time.monotonic() + timeout)
        except CallTimeout:
            return {"outcome": "timeout", "message": f"{kind} {name} gave no answer within "
                    f"{timeout:g} seconds (trusted, on a thread)"}

    def _step_in_worker(self, plugin: PluginDescription, kind: str, name: str,
                        values: list[Any], params: Mapping[str, Any] | None,
                        key: bytes | None, timeout: float) -> dict[str, Any]:
        request = {"governance": {"kind": kind, "name": name}, "values": values,
                   "params": dict(params or {}), "key": key.hex() if key else None}
        try:
            answer = self.worker(plugin).call(request, timeout)
        except (WorkerBusy, WorkerTimeout):
            return {"outcome": "timeout",
                    "message": f"{kind} {name} gave no answer within {timeout:g} seconds"}
        except WorkerCrashed as exc:
            return {"outcome": "crash", "message": str(exc)}
        except OSError as exc:
            return {"outcome": "crash", "message": f"the worker could not start: {exc}"}
        result = answer.get("result")
        if answer.get("outcome") == "ok" and (not isinstance(result, list)
                                              or len(result) != len(values)):
            return {"outcome": "bad_output", "message": f"{kind} {name} answered "
                    f"{type(result).__name__}, not one value per value given"}
        return answer

    # ------------------------------------------------------------------------ untrusted

    def worker(self, plugin: PluginDescription) -> WorkerProcess:
        """The plugin's worker process, made (not yet started) on first use."""
        with self._workers_lock:
            worker = self._workers.get(plugin.name)
            if worker is None:
                settings = plugin.settings or {}
                worker = WorkerProcess(plugin.name, plugin.origin.to_wire(), settings,
                                       cpu_seconds=self.cpu_seconds, memory_mb=self.memory_mb)
                self._workers[plugin.name] = worker
            return worker

    def stop_worker(self, plugin_name: str) -> None:
        """Stop a plugin's worker, if it has one."""
        with self._workers_lock:
            worker = self._workers.pop(plugin_name, None)
        if worker is not None:
            worker.stop()

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
            answer = self.worker(plugin).call(request, timeout)
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
            problem = output_problem(answer.get("result"), operation.output_schema)
            if problem:
                return {"outcome": "bad_output", "message": f"the worker's answer does not "
                        f"match the output schema: {problem}"}
        return answer
