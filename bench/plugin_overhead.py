"""What calling a plugin operation through the runtime costs, against calling it directly.

    .venv/bin/python bench/plugin_overhead.py [--calls 2000] [--process-calls 300]

It builds the app on a temporary SQLite database, takes the built-in ``governance_tools``
plugin's ``pii_scan`` operation with its own example input (four short texts), and times, call by
call, the same work done four ways:

- ``handler``: the operation's Python function called directly on an already validated request;
- ``Operation.run``: the SDK's wrapper, which validates the input and the output as well;
- ``runtime, trusted``: ``PluginRuntime.invoke`` for a trusted plugin (input and output validated,
  the plugin's state from memory, a pool thread for the deadline, breaker bookkeeping);
- ``runtime, untrusted``: ``PluginRuntime.invoke`` for an untrusted plugin, which runs in its
  worker process (the call and its answer travel as JSON lines over a pipe).

It prints the median and 95th percentile in microseconds per call and the ratio of each median to
the direct call's. Figures in ``docs/performance.md`` come from this script.

It then runs the same operation through the try-it console as an admin would (``POST
/merchant/operations``, answered as JSON) and counts, with an SQLAlchemy ``before_cursor_execute``
listener, the SQL statements that touch ``installed_plugin`` per console call: how often one call
reads the plugin's record.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import json
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyotp
from datamarket_sdk import Context, Scope
from datamarket_sdk.testing import load_plugin
from sqlalchemy import create_engine, event
from sqlmodel import Session, select

import marketplace.models  # noqa: F401  (every table on the metadata)
from marketplace import create_app
from marketplace.accounts import second_factor
from marketplace.accounts import services as accounts
from marketplace.accounts.models import Role
from marketplace.db import get_engine
from marketplace.models import metadata
from marketplace.plugins import get_runtime
from marketplace.plugins.models import InstalledPlugin

PLUGIN, OPERATION = "governance_tools", "pii_scan"
WARM_UP = 20
ADMIN_EMAIL, ADMIN_PASSWORD = "bench-admin@example.com", "bench-password-1234"


def measure(call: Callable[[], object], calls: int) -> list[float]:
    """Microseconds taken by each of ``calls`` calls, after a few calls to warm up."""
    for _ in range(min(WARM_UP, calls)):
        call()
    timings = []
    for _ in range(calls):
        start = time.perf_counter_ns()
        call()
        timings.append((time.perf_counter_ns() - start) / 1000)
    return timings


def percentile(timings: list[float], fraction: float) -> float:
    ordered = sorted(timings)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def set_trusted(app, trusted: bool) -> None:
    with Session(get_engine(app)) as session:
        row = session.exec(select(InstalledPlugin).where(InstalledPlugin.name == PLUGIN)).one()
        row.trusted = trusted
        session.add(row)
        session.commit()


def build_app(folder: Path):
    url = f"sqlite:///{folder / 'bench.db'}"
    engine = create_engine(url)
    metadata.create_all(engine)
    engine.dispose()
    return create_app({
        "DATABASE_URL": url,
        "SECRET_KEY": "bench",
        "INSTANCE_PATH": str(folder / "instance"),
        "MAIL_FOLDER": str(folder / "mail"),
        "SMTP_HOST": "",
        "DATAMARKET_PLUGINS_DIR": "",
        "DATAMARKET_DISABLE_PLUGIN_AUTOLOAD": False,
        "WTF_CSRF_ENABLED": False,  # the console is posted by a test client
        # No search updater thread: it would still be writing the index in the scratch folder
        # while the benchmark removes it.
        "SEARCH_POLL_SECONDS": 0,
    })


def signed_in_admin(app):
    """A test client signed in as an admin, who may run every operation in the console."""
    with app.app_context(), Session(get_engine(app)) as session:
        admin = accounts.sign_up(session, email=ADMIN_EMAIL, password=ADMIN_PASSWORD,
                                 display_name="Bench admin")
        accounts.set_role(session, None, admin, Role.ADMIN)
        secret = pyotp.random_base32()
        second_factor.enrol_with_secret(session, admin, secret)  # admins sign in with one
        session.commit()
    client = app.test_client()
    response = client.post("/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    if response.status_code == 302:
        response = client.post("/login/second-factor",
                               data={"code": pyotp.TOTP(secret).now()})
    if response.status_code != 302:
        raise SystemExit(f"the bench admin could not sign in ({response.status_code})")
    return client


def console_record_statements(app, payload: dict, calls: int) -> tuple[float, list[str]]:
    """Statements touching ``installed_plugin`` per console call (mean over ``calls`` calls,
    after warming up), and the statements of the last call."""
    client = signed_in_admin(app)
    body = {"operation": f"{PLUGIN}.{OPERATION}", "payload": json.dumps(payload)}

    def console_call() -> None:
        response = client.post("/merchant/operations", data=body,
                               headers={"Accept": "application/json"})
        if response.status_code != 200:
            raise SystemExit(f"the console call failed: {response.status_code} "
                             f"{response.get_data(as_text=True)[:300]}")

    for _ in range(min(WARM_UP, calls)):
        console_call()
    seen: list[str] = []

    def count(_conn, _cursor, statement, _parameters, _context, _executemany) -> None:
        if "installed_plugin" in statement:
            seen.append(" ".join(statement.split()))

    engine = get_engine(app)
    event.listen(engine, "before_cursor_execute", count)
    try:
        last: list[str] = []
        for _ in range(calls):
            before = len(seen)
            console_call()
            last = seen[before:]
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen) / calls, last


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000,
                        help="calls for the direct and in-process paths (default 2000)")
    parser.add_argument("--process-calls", type=int, default=300,
                        help="calls for the worker-process path (default 300)")
    parser.add_argument("--console-calls", type=int, default=50,
                        help="try-it console calls whose record reads are counted (default 50)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    with tempfile.TemporaryDirectory(prefix="datamarket-bench-") as scratch:
        app = build_app(Path(scratch))
        runtime = get_runtime(app)
        loaded = runtime.plugins.get(PLUGIN)
        if loaded is None or loaded.failed:
            print(f"The {PLUGIN} plugin is not loaded "
                  f"({loaded.error if loaded else 'not installed'}); run `make setup` first.",
                  file=sys.stderr)
            return 1
        # The direct paths need the plugin's own objects; the platform only holds descriptions.
        [entry_point] = importlib.metadata.entry_points(group="datamarket", name=PLUGIN)
        _manifest, operations = load_plugin(entry_point.load())
        operation = operations[OPERATION]
        payload = operation.example_input or {}
        runtime.sync()

        context = Context(buyer="bench-buyer", scope=Scope(), settings=loaded.settings,
                          logger=logging.getLogger("bench"), deadline=time.monotonic() + 86400)
        request = operation.input_model.model_validate(payload)

        def invoke() -> object:
            return runtime.invoke(PLUGIN, OPERATION, payload, buyer="bench-buyer", scope=Scope())

        rows: list[tuple[str, int, list[float]]] = []
        rows.append(("handler, direct call", args.calls,
                     measure(lambda: operation.handler(context, request), args.calls)))
        rows.append(("Operation.run (validation)", args.calls,
                     measure(lambda: operation.run(context, payload), args.calls)))
        set_trusted(app, True)
        rows.append(("runtime, trusted (thread)", args.calls, measure(invoke, args.calls)))
        per_console_call, console_statements = console_record_statements(
            app, payload, args.console_calls)
        set_trusted(app, False)
        invoke()  # starts the worker process; start-up is not a per-call cost
        rows.append(("runtime, untrusted (process)", args.process_calls,
                     measure(invoke, args.process_calls)))
        runtime.close()
        get_engine(app).dispose()

    direct = statistics.median(rows[0][2])
    print(f"Plugin call overhead: {PLUGIN}.{OPERATION} on its example input "
          f"({len(payload.get('values', []))} values)")
    print(f"{datetime.date.today().isoformat()}, Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, {platform.system()} {platform.machine()}")
    print()
    print(f"| {'path':<30} | {'calls':>6} | {'median µs':>10} | {'p95 µs':>10} | {'× direct':>9} |")
    print(f"|{'-' * 32}|{'-' * 8}|{'-' * 12}|{'-' * 12}|{'-' * 11}|")
    for label, calls, timings in rows:
        median = statistics.median(timings)
        print(f"| {label:<30} | {calls:>6} | {median:>10.1f} | "
              f"{percentile(timings, 0.95):>10.1f} | {median / direct:>9.1f} |")
    print()
    print(f"Statements touching installed_plugin per try-it console call (trusted, "
          f"{args.console_calls} calls): {per_console_call:g}")
    for statement in console_statements:
        print(f"  {statement[:150]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
