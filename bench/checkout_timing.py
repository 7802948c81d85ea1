"""A gunicorn configuration file that times where each request's time goes, for
``bench/checkout_load.py`` (``gunicorn --config bench/checkout_timing.py``).

In every worker, after the app is loaded, it wraps the app and counts, per request: time in
the payment provider's client (every method of the Stripe adapter that calls it), waiting for
the audit chain's head row (the statements that lock it), locking an order's row (``SELECT
... FOR UPDATE`` of ``commerce_order``), other SQL statements, and commits. One JSON line per
request goes to ``$CHECKOUT_TIMING_DIR/<pid>.jsonl``. Nothing of the marketplace's code
changes.
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import threading
import time

_local = threading.local()
PHASES = ("provider", "audit_lock", "order_lock", "sql", "commit")


def _add(phase: str, seconds: float) -> None:
    counters = getattr(_local, "counters", None)
    if counters is not None:
        counters[phase] = counters.get(phase, 0.0) + seconds


def _timed(phase: str, function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            _add(phase, time.perf_counter() - started)

    return wrapper


def _statement_phase(statement: str) -> str:
    lowered = statement.lower()
    if "audit_chain_head" in lowered and ("for update" in lowered or
                                          lowered.lstrip().startswith("update")):
        return "audit_lock"
    if "for update" in lowered and "commerce_order" in lowered:
        return "order_lock"
    return "sql"


def _instrument() -> None:
    import psycopg
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from marketplace.commerce.payments import StripePayments

    # Every public method of the adapter talks to the provider, but for the two that check a
    # webhook's signature and metadata locally (properties are not functions).
    local = {"construct_event", "is_ours"}
    for name, member in list(vars(StripePayments).items()):
        if not name.startswith("_") and name not in local and inspect.isfunction(member):
            setattr(StripePayments, name, _timed("provider", member))
    psycopg.Connection.commit = _timed("commit", psycopg.Connection.commit)

    @event.listens_for(Engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):
        conn.info.setdefault("timing_started", []).append(time.perf_counter())

    @event.listens_for(Engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):
        started = conn.info["timing_started"].pop()
        _add(_statement_phase(statement), time.perf_counter() - started)


class _TimedApp:
    def __init__(self, app, log) -> None:
        self.app, self.log = app, log
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        _local.counters = {}
        started = time.perf_counter()
        status: list[str] = []

        def recording_start(code, headers, exc_info=None):
            status.append(code)
            return start_response(code, headers, exc_info)

        try:
            return list(self.app(environ, recording_start))
        finally:
            record = {"method": environ["REQUEST_METHOD"], "path": environ["PATH_INFO"],
                      "status": int(status[0].split()[0]) if status else 0,
                      "seconds": time.perf_counter() - started,
                      **{phase: _local.counters.get(phase, 0.0) for phase in PHASES}}
            _local.counters = None
            with self.lock:
                self.log.write(json.dumps(record) + "\n")
                self.log.flush()


def post_worker_init(worker) -> None:
    folder = os.environ["CHECKOUT_TIMING_DIR"]
    _instrument()
    log = open(os.path.join(folder, f"{os.getpid()}.jsonl"), "a", encoding="utf-8")  # noqa: SIM115
    worker.wsgi = _TimedApp(worker.wsgi, log)
