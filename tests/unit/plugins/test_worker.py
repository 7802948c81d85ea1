"""The worker process of an untrusted plugin, driven directly: protocol, deadline, crash."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from datamarket_sdk import Context, Scope

from marketplace.plugins.worker import (
    WorkerCrashed,
    WorkerProcess,
    WorkerTimeout,
    worker_environment,
)

SAMPLES = Path(__file__).resolve().parents[2] / "plugin_samples"


def context_wire() -> dict:
    import logging

    return Context(buyer="buyer-1", scope=Scope(), settings=None,
                   logger=logging.getLogger("test"), deadline=time.monotonic() + 5).to_wire()


def request(operation: str, payload: dict | None = None) -> dict:
    return {"operation": operation, "payload": payload or {}, "context": context_wire()}


def exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def worker():
    handle = WorkerProcess("faulty", {"entry_point": "", "path": str(SAMPLES / "faulty.py")}, {},
                           cpu_seconds=60, memory_mb=1024)
    yield handle
    handle.stop()


def test_environment_keeps_only_an_allowlist():
    environ = {"PATH": "/usr/bin", "LANG": "C.UTF-8", "LC_ALL": "C", "HOME": "/home/app",
               "SECRET_KEY": "s", "DATABASE_URL": "postgresql://u:p@h/d", "STRIPE_API_KEY": "sk",
               "SMTP_PASSWORD": "pw", "DATAMARKET_TEST_DATABASE_URL": "x", "AWS_SECRET": "y"}
    env = worker_environment(environ)
    assert {"PATH", "LANG", "LC_ALL", "HOME", "PYTHONPATH"} == set(env)
    assert env["PATH"] == "/usr/bin"


def test_a_call_runs_in_a_process_of_its_own_which_is_reused(worker):
    first = worker.call(request("pid"), timeout=5)
    assert first["outcome"] == "ok"
    assert first["result"]["pid"] == worker.pid != os.getpid()
    again = worker.call(request("echo", {"text": "hi"}), timeout=5)
    assert again["result"] == {"text": "hi"}
    assert worker.call(request("pid"), timeout=5)["result"]["pid"] == first["result"]["pid"]


def test_printing_does_not_break_the_protocol(worker):
    assert worker.call(request("chatty", {"text": "ok"}), timeout=5)["result"] == {"text": "ok"}


def test_outcomes_are_classified_in_the_worker(worker):
    refused = worker.call(request("refuse"), 5)
    assert refused.pop("cpu") > 0
    assert refused == {"outcome": "bad_input", "message": "The number must be positive."}
    exploded = worker.call(request("explode"), 5)
    assert exploded["outcome"] == "exception"
    assert "Traceback" in exploded["traceback"] and "kaboom" in exploded["message"]
    assert worker.call(request("bad_output"), 5)["outcome"] == "bad_output"
    assert worker.call(request("echo", {"text": 3}), 5)["outcome"] == "bad_input"


def test_a_hung_worker_is_killed_at_the_deadline_and_replaced(worker):
    pid = worker.call(request("pid"), 5)["result"]["pid"]
    started = time.monotonic()
    with pytest.raises(WorkerTimeout):
        worker.call(request("sleepy", {"seconds": 30}), timeout=0.5)
    assert time.monotonic() - started < 3
    assert not exists(pid), "the worker must really be killed"
    assert not worker.running
    assert worker.call(request("pid"), 5)["result"]["pid"] != pid


def test_a_worker_that_dies_is_reported_and_replaced(worker):
    with pytest.raises(WorkerCrashed, match="exited with status 3"):
        worker.call(request("die"), 5)
    assert worker.call(request("echo", {"text": "back"}), 5)["result"] == {"text": "back"}


def test_a_worker_that_cannot_load_its_plugin_says_why():
    handle = WorkerProcess("broken_import",
                           {"entry_point": "", "path": str(SAMPLES / "broken_import.py")}, {},
                           cpu_seconds=60, memory_mb=1024)
    try:
        with pytest.raises(WorkerCrashed, match="datamarket_module_that_does_not_exist"):
            handle.call(request("anything"), 5)
    finally:
        handle.stop()
