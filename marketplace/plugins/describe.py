"""Describing plugins out of process: discovery never runs a plugin's code in the platform.

The platform starts ``python -m marketplace.plugins.describe CPU MB`` once per discovery, with
the same stripped environment and resource limits as an untrusted plugin's worker
(:mod:`marketplace.plugins.worker`). It sends one JSON line ``{"candidates": [{"name": ...,
"origin": {...}}, ...], "settings": {...}}``; the child imports each candidate in turn,
registers it on a pluggy manager of its own with ``check_pending()``, checks its SDK range and
answers one line ``{"index": i, "description": {...}}`` per candidate
(:class:`~marketplace.plugins.descriptions.PluginDescription` as JSON), the load error included.

A candidate that does not answer within the describe timeout (a hanging import) is failed, the
child is killed, and a fresh child describes the candidates after it; so is one whose import
ends the child. Descriptions are cached in this process by origin and fingerprint (file
modification times, or the distribution's version), so building many apps (the test suite)
starts one child only for plugins it has not seen.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any

from marketplace.plugins.descriptions import PluginDescription, describe_loaded
from marketplace.plugins.manager import Origin, build_manager, load_plugin
from marketplace.plugins.worker import (
    WorkerCrashed,
    WorkerProcess,
    WorkerTimeout,
    _answer,
    _limit_resources,
    worker_environment,
)

log = logging.getLogger(__name__)

#: Seconds a candidate may take to be imported and described before it is failed.
DESCRIBE_TIMEOUT = 20.0

_cache: dict[tuple[str, ...], PluginDescription] = {}
_cache_lock = threading.Lock()


class DescribeProcess(WorkerProcess):
    """The child process that describes plugins; the worker's pipes, limits and kill."""

    def __init__(self, *, cpu_seconds: int, memory_mb: int):
        super().__init__("describe", {}, {}, cpu_seconds=cpu_seconds, memory_mb=memory_mb)

    def begin(self, request: dict[str, Any]) -> None:
        self.stop()
        self._process = subprocess.Popen(
            [sys.executable, "-m", "marketplace.plugins.describe",
             str(self.cpu_seconds), str(self.memory_mb)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=worker_environment(),
            start_new_session=True,
            close_fds=True,
        )
        self._send(request)

    def next_answer(self, deadline: float) -> dict[str, Any]:
        return self._receive(deadline)


def _cache_key(origin: Origin, fingerprint: str, settings_key: str) -> tuple[str, ...]:
    return (origin.entry_point, origin.path, fingerprint, settings_key,
            worker_environment().get("PYTHONPATH", ""), sys.executable)


def describe_candidates(found: Iterable[tuple[str, Origin, str]],
                        settings: Mapping[str, Mapping[str, Any]] | None = None, *,
                        timeout: float = DESCRIBE_TIMEOUT, cpu_seconds: int = 300,
                        memory_mb: int = 1024) -> list[PluginDescription]:
    """Describe every candidate (name, origin, fingerprint), in order, in one child process.

    A plugin claiming a name an earlier one already has fails, as in
    :func:`~marketplace.plugins.manager.discover`. Never raises because of a plugin.
    """
    found = list(found)
    settings_key = json.dumps(settings or {}, sort_keys=True, default=str)
    keys = [_cache_key(origin, fingerprint, settings_key) for _n, origin, fingerprint in found]
    with _cache_lock:
        described: dict[int, PluginDescription] = {
            index: _cache[key] for index, key in enumerate(keys) if key in _cache}
    missing = [index for index in range(len(found)) if index not in described]
    if missing:
        started = time.monotonic()
        fresh = _describe_in_child([found[i][:2] for i in missing], settings or {},
                                   timeout=timeout, cpu_seconds=cpu_seconds,
                                   memory_mb=memory_mb)
        log.info("described %d plugin(s) in %.2f s", len(missing), time.monotonic() - started)
        with _cache_lock:
            for index, (description, cacheable) in zip(missing, fresh, strict=True):
                described[index] = description
                if cacheable:
                    _cache[keys[index]] = description
    results: list[PluginDescription] = []
    taken: set[str] = set()
    for index in range(len(found)):
        description = described[index]
        if description.manifest is not None and description.manifest.name in taken:
            description = PluginDescription(
                name=found[index][0], origin=description.origin,
                error=f"Another plugin is already loaded under the name "
                      f"{description.manifest.name}.")
        if description.failed:
            log.warning("plugin %s is not loaded: %s", description.name, description.error)
        else:
            taken.add(description.name)
        results.append(description)
    return results


def _describe_in_child(found: list[tuple[str, Origin]], settings: Mapping[str, Any], *,
                       timeout: float, cpu_seconds: int,
                       memory_mb: int) -> list[tuple[PluginDescription, bool]]:
    """(description, cacheable) per candidate; a child is restarted after one hangs or kills it."""
    results: list[tuple[PluginDescription, bool]] = []
    process = DescribeProcess(cpu_seconds=cpu_seconds, memory_mb=memory_mb)
    try:
        while len(results) < len(found):
            rest = found[len(results):]
            try:
                process.begin({"settings": dict(settings), "candidates": [
                    {"name": name, "origin": origin.to_wire()} for name, origin in rest]})
                for _candidate in rest:
                    answer = process.next_answer(time.monotonic() + timeout)
                    results.append((PluginDescription.from_wire(answer["description"]), True))
            except WorkerTimeout:
                name, origin = found[len(results)]
                results.append((PluginDescription(
                    name=name, origin=origin,
                    error=f"It could not be imported: it did not finish loading within "
                          f"{timeout:g} seconds."), False))
            except (WorkerCrashed, OSError, KeyError, TypeError, ValueError) as exc:
                name, origin = found[len(results)]
                results.append((PluginDescription(
                    name=name, origin=origin,
                    error="It could not be imported: "
                          + str(exc).replace("the worker", "the process describing it", 1)),
                    False))
            finally:
                process.stop()
    finally:
        process.stop()
    return results


# ---------------------------------------------------------------------------- the child side


def main(argv: list[str]) -> int:
    cpu_seconds, memory_mb = int(argv[0]), int(argv[1])
    _limit_resources(cpu_seconds, memory_mb)
    # The protocol keeps the real stdout; whatever a plugin prints goes to stderr.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(levelname)s [plugin describe] %(name)s: %(message)s")
    request = json.loads(sys.stdin.buffer.readline() or "{}")
    settings = request.get("settings") or {}
    for index, candidate in enumerate(request.get("candidates") or []):
        loaded = load_plugin(build_manager(), candidate["name"], Origin(**candidate["origin"]),
                             settings)
        description = describe_loaded(loaded).to_wire()
        try:
            line = {"index": index, "description": json.loads(json.dumps(description))}
        except (TypeError, ValueError) as exc:
            line = {"index": index, "description": PluginDescription(
                name=loaded.name, origin=loaded.origin,
                error=f"It failed while registering its capabilities: its operations cannot "
                      f"be described as JSON: {exc}").to_wire()}
        _answer(out, line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
