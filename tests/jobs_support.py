"""A real job worker for the tests of the queue: Huey's consumer on threads of the test process
(:func:`running_worker`), or ``datamarket worker`` as a process of its own
(:class:`WorkerProcess`), and polling with a deadline."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask

from marketplace.jobs.worker import Worker

T = TypeVar("T")
ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def queue_config(app_config: dict, tmp_path: Path, **overrides: Any) -> dict:
    """The test app's settings with a real queue (SQLite in ``tmp_path`` unless ``REDIS_URL``),
    the sample job kinds, and a short lease so that a dead worker is noticed within seconds.
    The periodic jobs (usage sweep, refund requests' notice) are off (their own tests switch
    them on), so that only the jobs a test asks for run."""
    return {**app_config, "JOBS_IMMEDIATE": False,
            "JOBS_SQLITE_FILE": str(tmp_path / "jobs.sqlite3"),
            "JOBS_IMPORT": "tests.job_samples", "JOBS_LEASE_SECONDS": 5.0,
            "JOBS_SWEEP_SECONDS": 0.2, "JOBS_WORKERS": 1, "USAGE_SWEEP_SECONDS": 0,
            "REFUND_REQUESTS_SWEEP_SECONDS": 0, **overrides}


@contextmanager
def running_worker(app: Flask) -> Iterator[Worker]:
    """A worker on threads of this process, stopped (its jobs in hand finished) at the end."""
    worker = Worker(app, handle_signals=False).start()
    try:
        yield worker
    finally:
        worker.stop()


def wait_for(check: Callable[[], T], timeout: float = 30.0, what: str = "the condition") -> T:
    """Poll ``check`` until it returns something true, or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} seconds")
        time.sleep(0.05)


class WorkerProcess:
    """``datamarket worker`` in a process of its own, on the test's database and queue."""

    def __init__(self, config: dict, log: Path):
        self.env = {**os.environ, "PYTHONPATH": str(ROOT),
                    "DATABASE_URL": config["DATABASE_URL"], "SECRET_KEY": config["SECRET_KEY"],
                    "DATAMARKET_INSTANCE_PATH": config["INSTANCE_PATH"],
                    "MAIL_FOLDER": config["MAIL_FOLDER"], "SMTP_HOST": "",
                    "STRIPE_API_BASE": config["STRIPE_API_BASE"], "SEARCH_POLL_SECONDS": "0",
                    "REDIS_URL": config.get("REDIS_URL", "")}
        for name in ("JOBS_SQLITE_FILE", "JOBS_IMPORT", "JOBS_LEASE_SECONDS",
                     "JOBS_SWEEP_SECONDS", "JOBS_WORKERS", "USAGE_SWEEP_SECONDS",
                     "REFUND_REQUESTS_SWEEP_SECONDS", "DOWNLOAD_JOB_ROWS"):
            if name in config:
                self.env[name] = str(config[name])
        self.env.pop("JOBS_IMMEDIATE", None)
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self) -> WorkerProcess:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen([str(BIN / "datamarket"), "worker"], cwd=ROOT,
                                            env=self.env, stdout=log, stderr=log)
        return self

    def kill(self) -> None:
        """SIGKILL: no handler runs, no job is given back."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None
