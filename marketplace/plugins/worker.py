"""The separate process an untrusted plugin runs in, and the platform's handle on it.

The platform starts ``python -m marketplace.plugins.worker`` per untrusted plugin, on first use,
and keeps it for later calls. They talk in JSON lines over the worker's stdin and stdout:

1. platform -> worker: ``{"plugin": name, "origin": {...}, "settings": {...}}``;
   worker -> platform: ``{"ready": true}`` or ``{"ready": false, "error": "..."}``.
2. per call, platform -> worker: ``{"operation": name, "payload": {...}, "context": {...},
   "timeout": seconds}``, for an event ``{"event": name, "payload": {...}, "timeout": s}``, or
   for a governance step ``{"governance": {"kind": k, "name": n}, "values": [...], "params":
   {...}, "key": hex or null, "timeout": s}`` (see :mod:`~marketplace.plugins.steps`);
   worker -> platform: ``{"outcome": "ok", "result": {...}, "cpu": s}``
   or ``{"outcome": kind, "message": "...", "traceback": "...", "cpu": s}`` where ``kind`` is one
   of ``bad_input``, ``not_found``, ``bad_output``, ``timeout`` or ``exception``.

The worker limits itself before it imports the plugin: ``RLIMIT_AS`` (memory) and a hard
``RLIMIT_CPU`` for its whole life, plus a soft ``RLIMIT_CPU`` per call. Its environment holds
none of the platform's secrets (:func:`worker_environment` keeps only an allowlist), and what the
plugin prints goes to stderr so it cannot corrupt the protocol. A worker that misses its
deadline is killed, with anything it started, and a new one is started for the next call.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
import resource
import select
import signal
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from datamarket_sdk import BadInput, Context, DeadlineExceeded, NotFound, SchemaViolation

from marketplace.plugins.manager import (
    Origin,
    build_manager,
    call_event,
    event_result_to_wire,
    load_plugin,
)
from marketplace.plugins.steps import find_step, run_step

# Variables a worker may see: nothing that could carry a secret (keys, passwords, URLs).
SAFE_VARIABLES = frozenset({
    "PATH", "HOME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TEMP", "TMP", "VIRTUAL_ENV",
    "PYTHONHASHSEED", "PYTHONDONTWRITEBYTECODE", "PYTHONPATH", "SYSTEMROOT",
})
MAX_ANSWER_BYTES = 32 * 1024 * 1024
# Worker start-up (Python, pydantic, the plugin) is not charged to the first call's deadline.
START_TIMEOUT = 20.0
# A worker that has used this share of its lifetime CPU allowance is replaced after its call,
# so that an innocent call never meets the hard limit.
RECYCLE_AT = 0.75
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def worker_environment(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The worker's environment: the allowlisted variables (and locale ones) only."""
    source = os.environ if environ is None else environ
    env = {key: value for key, value in source.items()
           if key in SAFE_VARIABLES or key.startswith("LC_")}
    # The platform's own package must import in the worker even when it is not installed.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT),
                                                       env.get("PYTHONPATH", "")]))
    return env


class WorkerTimeout(Exception):
    """The worker did not answer before the deadline; it has been killed."""


class WorkerCrashed(Exception):
    """The worker died, could not start, or broke the protocol. The message says how."""

    def __init__(self, message: str, *, cpu_exhausted: bool = False):
        super().__init__(message)
        self.cpu_exhausted = cpu_exhausted


class WorkerBusy(Exception):
    """Earlier calls kept the worker busy until this call's deadline."""


class WorkerProcess:
    """The platform's handle on one plugin's worker process; calls are serialized."""

    def __init__(self, plugin: str, origin: dict[str, str], settings: dict[str, Any], *,
                 cpu_seconds: int, memory_mb: int, environment: dict[str, str] | None = None):
        self.plugin = plugin
        #: The worker's environment; :func:`worker_environment` when not given.
        self.environment = environment
        self.origin = origin
        self.settings = settings
        self.cpu_seconds = cpu_seconds
        self.memory_mb = memory_mb
        self._process: subprocess.Popen | None = None
        self._buffer = b""
        self._lock = threading.Lock()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def call(self, request: dict[str, Any], timeout: float) -> dict[str, Any]:
        """Send one call and wait at most ``timeout`` seconds (after start-up) for the answer.

        :raises WorkerBusy: the worker stayed busy with earlier calls for the whole ``timeout``.
        :raises WorkerTimeout: no answer in time; the worker was killed.
        :raises WorkerCrashed: the worker died or answered something that is not the protocol.
        """
        if not self._lock.acquire(timeout=timeout):
            raise WorkerBusy(self.plugin)
        try:
            if not self.running:
                self._start()
            deadline = time.monotonic() + timeout
            request = {**request, "timeout": timeout}
            self._send(request)
            answer = self._receive(deadline)
            if answer.get("cpu", 0) > self.cpu_seconds * RECYCLE_AT:
                self.stop()
            return answer
        except (WorkerTimeout, WorkerCrashed):
            self.stop()
            raise
        finally:
            self._lock.release()

    def _start(self) -> None:
        self.stop()
        self._process = subprocess.Popen(
            [sys.executable, "-m", "marketplace.plugins.worker",
             str(self.cpu_seconds), str(self.memory_mb)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=self.environment if self.environment is not None else worker_environment(),
            # Its own process group: killing it at the deadline kills what it started, too.
            start_new_session=True,
            close_fds=True,
        )
        self._send({"plugin": self.plugin, "origin": self.origin, "settings": self.settings})
        try:
            hello = self._receive(time.monotonic() + START_TIMEOUT)
        except WorkerTimeout:
            raise WorkerCrashed(f"the worker did not start within {START_TIMEOUT:g} "
                                "seconds") from None
        if not hello.get("ready"):
            raise WorkerCrashed(f"the worker could not load the plugin: {hello.get('error')}")

    def _send(self, message: dict[str, Any]) -> None:
        assert self._process is not None and self._process.stdin is not None
        try:
            self._process.stdin.write(json.dumps(message).encode() + b"\n")
            self._process.stdin.flush()
        except (BrokenPipeError, OSError):
            raise self._died() from None

    def _receive(self, deadline: float) -> dict[str, Any]:
        assert self._process is not None and self._process.stdout is not None
        fd = self._process.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WorkerTimeout(self.plugin)
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                raise self._died()
            self._buffer += chunk
            if len(self._buffer) > MAX_ANSWER_BYTES:
                raise WorkerCrashed(f"the answer is larger than {MAX_ANSWER_BYTES} bytes")
        line, _, self._buffer = self._buffer.partition(b"\n")
        try:
            answer = json.loads(line)
        except ValueError:
            raise WorkerCrashed("the worker answered something that is not JSON") from None
        if not isinstance(answer, dict):
            raise WorkerCrashed("the worker answered something that is not a JSON object")
        return answer

    def _died(self) -> WorkerCrashed:
        assert self._process is not None
        try:
            code = self._process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return WorkerCrashed("the worker closed its output but did not exit")
        if code == -signal.SIGXCPU:
            return WorkerCrashed("the worker used up its CPU time (RLIMIT_CPU)",
                                 cpu_exhausted=True)
        if code < 0:
            return WorkerCrashed(f"the worker was killed by {signal.Signals(-code).name}")
        return WorkerCrashed(f"the worker exited with status {code}")

    def stop(self) -> None:
        """Kill the worker (and anything it started) and forget it; the next call starts anew."""
        process, self._process, self._buffer = self._process, None, b""
        if process is None:
            return
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        process.wait()
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass


# ---------------------------------------------------------------------------- the worker side


def _limit_resources(cpu_seconds: int, memory_mb: int) -> None:
    # The soft limit sends SIGXCPU (reported as such); the hard one, a second later, SIGKILL.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))


def _cpu_used() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _limit_call_cpu(timeout: float, cpu_seconds: int) -> None:
    """Lower the soft CPU limit to what this call may use (SIGXCPU stops it beyond that)."""
    soft = min(cpu_seconds, math.ceil(_cpu_used() + timeout) + 1)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, cpu_seconds + 1))


def _answer(out, message: dict[str, Any]) -> None:
    out.write(json.dumps(message).encode() + b"\n")
    out.flush()


def run_operation(operation, context, payload: dict[str, Any]) -> dict[str, Any]:
    """Run one call and describe its outcome as an answer of the protocol; nothing escapes.

    The platform runs trusted plugins through this function too, so both paths classify an
    outcome the same way.
    """
    try:
        return {"outcome": "ok", "result": operation.run(context, payload)}
    except BadInput as exc:
        return {"outcome": "bad_input", "message": str(exc)}
    except NotFound as exc:
        return {"outcome": "not_found", "message": str(exc)}
    except (Exception, SystemExit) as exc:
        if isinstance(exc, SchemaViolation):
            kind = "bad_output"
        elif isinstance(exc, DeadlineExceeded):
            kind = "timeout"
        else:
            kind = "exception"
        answer = {"outcome": kind, "message": f"{type(exc).__name__}: {exc}",
                  "traceback": traceback.format_exc()}
        if isinstance(exc, SchemaViolation) and exc.fields:
            answer["fields"] = exc.fields
        return answer


def run_event(manager, loaded, event: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Hand one event to a loaded plugin and describe the outcome as an answer of the protocol.

    Like :func:`run_operation`, nothing escapes, and the trusted path uses it too.
    """
    try:
        result = call_event(manager, loaded, event, payload)
    except (Exception, SystemExit) as exc:
        return {"outcome": "exception", "message": f"{type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc()}
    try:
        return {"outcome": "ok", "result": event_result_to_wire(event, result)}
    except TypeError as exc:
        return {"outcome": "bad_output", "message": str(exc)}


def _run_governance(loaded, request: dict[str, Any]) -> dict[str, Any]:
    wanted = request["governance"]
    step = find_step(loaded.governance_steps, str(wanted.get("kind")), str(wanted.get("name")))
    if step is None:
        return {"outcome": "bad_input", "message": f"no {wanted.get('kind')} step "
                f"{wanted.get('name')!r} in this worker"}
    key = request.get("key")
    return run_step(step, list(request.get("values") or []), request.get("params") or {},
                    bytes.fromhex(key) if key else None)


def main(argv: list[str]) -> int:
    cpu_seconds, memory_mb = int(argv[0]), int(argv[1])
    _limit_resources(cpu_seconds, memory_mb)
    # The protocol keeps the real stdout; whatever the plugin prints goes to stderr.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    stdin = sys.stdin.buffer

    hello = json.loads(stdin.readline() or "{}")
    name = hello.get("plugin", "")
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format=f"%(levelname)s [plugin worker {name}] %(name)s: %(message)s")
    manager = build_manager()
    loaded = load_plugin(manager, name, Origin(**hello.get("origin", {})),
                         {name: hello.get("settings") or {}})
    if loaded.failed:
        _answer(out, {"ready": False, "error": loaded.error})
        return 1
    _answer(out, {"ready": True})
    logger = logging.getLogger(f"datamarket.plugin.{name}")

    for line in stdin:
        request = json.loads(line)
        operation = loaded.operations.get(request.get("operation", ""))
        if request.get("event"):
            _limit_call_cpu(float(request.get("timeout", 10)), cpu_seconds)
            answer = run_event(manager, loaded, request["event"], request.get("payload") or {})
        elif request.get("governance"):
            _limit_call_cpu(float(request.get("timeout", 10)), cpu_seconds)
            answer = _run_governance(loaded, request)
        elif operation is None:
            answer = {"outcome": "exception",
                      "message": f"no operation {request.get('operation')!r} in this worker"}
        else:
            timeout = float(request.get("timeout", operation.timeout_seconds))
            _limit_call_cpu(timeout, cpu_seconds)
            # The deadline counts from now, in this process: start-up and the pipe are free.
            context = dataclasses.replace(Context.from_wire(request["context"], logger),
                                          settings=loaded.settings,
                                          deadline=time.monotonic() + timeout)
            answer = run_operation(operation, context, request.get("payload") or {})
        answer["cpu"] = _cpu_used()
        try:
            _answer(out, answer)
        except (TypeError, ValueError) as exc:
            _answer(out, {"outcome": "bad_output", "cpu": _cpu_used(),
                          "message": f"the result cannot be sent as JSON: {exc}"})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
