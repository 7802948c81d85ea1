"""What calling a plugin operation through the runtime costs, against calling it directly.

    .venv/bin/python bench/plugin_overhead.py [--calls 2000] [--process-calls 300]

It builds the app on a temporary SQLite database, takes the built-in ``governance_tools``
plugin's ``pii_scan`` operation with its own example input (four short texts), and times, call by
call, the same work done four ways:

- ``handler``: the operation's Python function called directly on an already validated request;
- ``Operation.run``: the SDK's wrapper, which validates the input and the output as well;
- ``runtime, trusted``: ``PluginRuntime.invoke`` for a trusted plugin (input and output validated,
  the plugin's record looked up, a thread per call for the deadline, breaker bookkeeping);
- ``runtime, untrusted``: ``PluginRuntime.invoke`` for an untrusted plugin, which runs in its
  worker process (the call and its answer travel as JSON lines over a pipe).

It prints the median and 95th percentile in microseconds per call and the ratio of each median to
the direct call's. Figures in ``docs/performance.md`` come from this script.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from datamarket_sdk import Context, Scope
from datamarket_sdk.testing import load_plugin
from sqlalchemy import create_engine
from sqlmodel import Session, select

import marketplace.models  # noqa: F401  (every table on the metadata)
from marketplace import create_app
from marketplace.db import get_engine
from marketplace.models import metadata
from marketplace.plugins import get_runtime
from marketplace.plugins.models import InstalledPlugin

PLUGIN, OPERATION = "governance_tools", "pii_scan"
WARM_UP = 20


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
    })


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000,
                        help="calls for the direct and in-process paths (default 2000)")
    parser.add_argument("--process-calls", type=int, default=300,
                        help="calls for the worker-process path (default 300)")
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
