"""``plugin check`` runs each operation on its example input, as the platform would call it.

Each call goes through the platform's own worker protocol (:mod:`~marketplace.plugins.worker`):
the plugin is loaded in a worker process of its own, the call gets the operation's declared
``timeout_seconds``, a worker that misses it is killed, and the answer is checked against the
output schema the way the platform checks an untrusted plugin's answer. Every outcome becomes a
line of the report that says what happened and what to change.
"""

from __future__ import annotations

import logging
import os
import re
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from datamarket_sdk import Context, Scope

from marketplace.plugins.check import Finding
from marketplace.plugins.execution import output_problem
from marketplace.plugins.worker import (
    WorkerBusy,
    WorkerCrashed,
    WorkerProcess,
    WorkerTimeout,
    worker_environment,
)

#: The worker's limits during a check: those of the platform's defaults (config.py).
CPU_SECONDS = 300
MEMORY_MB = 1024
#: The buyer the example calls are made for; the check grants no dataset.
CHECK_BUYER = "plugin-check"
#: The SDK's NotFound when a call reads a dataset it was not given (Context.dataset).
_MISSING_DATASET = re.compile(r"no dataset named '(?P<name>[^']+)' is available")
_FRAME = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+)')


def run_examples(folder: Path, examples: list[dict[str, Any]]) -> list[Finding]:
    """Run each example (as the probe described it) in its plugin's worker; a line each."""
    findings: list[Finding] = []
    workers: dict[str, WorkerProcess] = {}
    try:
        for example in examples:
            worker = workers.get(example["entry_point"])
            if worker is None:
                worker = workers[example["entry_point"]] = WorkerProcess(
                    example["entry_point"], {"entry_point": example["value"], "path": ""}, {},
                    cpu_seconds=CPU_SECONDS, memory_mb=MEMORY_MB,
                    environment=_environment(folder))
            findings.append(run_example(worker, example, folder))
    finally:
        for worker in workers.values():
            worker.stop()
    return findings


def run_example(worker: WorkerProcess, example: dict[str, Any], folder: Path) -> Finding:
    """Call one operation on its example input in ``worker``; the report's line about it."""
    name, timeout = example["operation"], float(example["timeout"])
    context = Context(buyer=CHECK_BUYER, scope=Scope(operations=frozenset({name})),
                      settings=None, logger=logging.getLogger("datamarket.plugin.check"),
                      deadline=time.monotonic() + timeout)
    request = {"operation": name, "payload": example["payload"],
               "context": replace(context, settings=None).to_wire()}
    label = f"operation {name!r} on its example input"
    slow_fix = (f"make the handler answer within timeout_seconds={timeout:g}: call "
                "ctx.check_deadline() in long loops, move slow work (network, large files) "
                "out of the call, or raise timeout_seconds if the work truly needs longer")
    started = time.monotonic()
    try:
        answer = worker.call(request, timeout)
    except (WorkerTimeout, WorkerBusy):
        return Finding("fail", f"{name} gave no answer within {timeout:g} s; the check stopped "
                       "it as the platform would (the buyer gets an error, not billed)",
                       slow_fix)
    except WorkerCrashed as exc:
        return Finding("fail", f"{label}: the plugin's worker process failed: {exc}",
                       "the plugin must load and answer in a process of its own, as the "
                       "platform runs untrusted plugins; fix the error it names")
    except OSError as exc:
        return Finding("fail", f"{label}: the worker process could not start: {exc}",
                       "check that this Python can run the platform")
    took = time.monotonic() - started
    outcome, message = answer.get("outcome"), str(answer.get("message", ""))
    if outcome == "ok":
        problem = output_problem(answer.get("result"), example["output_schema"])
        if problem is None:
            return Finding("pass", f"{label}: answered in {took:.2f} s, and the answer "
                           "matches the output schema")
        where, _, why = problem.partition(": ")
        path = "output" if where == "the result" else "output." + where.replace("/", ".")
        return _bad_output({re.sub(r"\.(\d+)(?=\.|$)", r"[\1]", path): why}, label)
    if outcome == "bad_output":
        return _bad_output(answer.get("fields") or {"output": message}, label)
    if outcome == "timeout":
        return Finding("fail", f"{name} gave no answer within {timeout:g} s ({message})",
                       slow_fix)
    if outcome == "bad_input":
        return Finding("fail", f"{label}: it refused its own example input: {message}",
                       "change example_input, or the handler, so that the example is answered")
    dataset = _MISSING_DATASET.search(message) if outcome == "not_found" else None
    if dataset:
        return Finding("warn", f"{label}: not run to the end, because it reads the dataset "
                       f"'{dataset['name']}', which only a listing grants",
                       "your tests give it rows: call_operation(..., datasets={...})")
    if outcome == "not_found":
        return Finding("warn", f"{label}: it answered 'not found': {message}",
                       "give an example input that finds something; a dataset a listing "
                       "grants is not available to the check: test those calls with "
                       "call_operation(..., datasets={...})")
    return Finding("fail", f"{label}: the handler raised {message}{_where(answer, folder)}",
                   "fix the error at the line shown: the platform answers the buyer with an "
                   "incident id and does not bill the call")


def _bad_output(fields: dict[str, str], label: str) -> Finding:
    problems = "; ".join(f"{path}: {why}" if why else path for path, why in fields.items())
    return Finding("fail", f"{label}: the answer breaks the output schema: {problems}",
                   "return what the output model declares (or change the model, if the "
                   "answer is right)")


def _where(answer: dict[str, Any], folder: Path) -> str:
    """`` (at pkg/file.py, line N)`` for the innermost traceback frame in the plugin's folder."""
    inside = [match for match in _FRAME.finditer(str(answer.get("traceback", "")))
              if Path(match["file"]).resolve().is_relative_to(folder)]
    if not inside:
        return ""
    last = inside[-1]
    return f" (at {Path(last['file']).resolve().relative_to(folder).as_posix()}, " \
           f"line {last['line']})"


def _environment(folder: Path) -> dict[str, str]:
    """The worker's usual environment, with the plugin's folder importable."""
    env = worker_environment()
    paths = [str(folder / "src"), str(folder)] if (folder / "src").is_dir() else [str(folder)]
    env["PYTHONPATH"] = os.pathsep.join([*paths, env["PYTHONPATH"]])
    return env
