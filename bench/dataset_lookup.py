"""What a call reading a granted dataset costs: the lookup store against the whole table sent
with the call.

    .venv/bin/python bench/dataset_lookup.py [--rows 100000] [--calls 300] [--table-calls 20]

It builds the app on a temporary SQLite database with the local plugin ``bench_registry``
(``bench/plugins``), whose operation looks one credit code up in ``ctx.dataset(
"business_registry")``, and a registry of ``--rows`` companies (credit code, name, status)
stored as a dataset is (Parquet in the dataset store). Each call is made through
``PluginRuntime.invoke`` on a random code of the registry, two ways, in the plugin's worker
process (untrusted: what the platform does for a merchant's plugin) and on a thread (trusted):

- ``lookup store``: the platform's way (:mod:`marketplace.datasets.lookup`): the dataset's
  read-only SQLite file, built once; the call gets its path and reads one indexed row;
- ``whole table``: the in-memory ``Dataset`` of every row, as a call got it before lookup
  stores: sent to the worker as JSON with every call (on a thread it is shared, not copied).

It prints the store's one-off build time and size, then the median and 95th percentile per call
in milliseconds, side by side. Figures in ``docs/performance.md`` come from this script.
"""

from __future__ import annotations

import argparse
import datetime
import logging
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from datamarket_sdk import Dataset, Scope
from sqlalchemy import create_engine
from sqlmodel import Session, select

import marketplace.models  # noqa: F401  (every table on the metadata)
from marketplace import create_app
from marketplace.datasets import get_store, lookup_stores
from marketplace.datasets.models import Dataset as StoredRow
from marketplace.db import get_engine
from marketplace.models import metadata
from marketplace.plugins import get_runtime
from marketplace.plugins.models import InstalledPlugin

PLUGIN, OPERATION, NAME = "bench_registry", "lookup", "business_registry"
PLUGINS = Path(__file__).resolve().parent / "plugins"
WARM_UP = 3
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def registry(rows: int, rng: random.Random) -> pa.Table:
    """``rows`` companies with distinct 18-character codes (the check digit is not computed:
    the benchmark looks codes up, it does not validate them)."""
    codes: set[str] = set()
    while len(codes) < rows:
        codes.add("91" + "".join(rng.choices(ALPHABET, k=16)))
    ordered = sorted(codes)
    rng.shuffle(ordered)
    return pa.table({"credit_code": ordered,
                     "name": [f"Company {n:06d} Co., Ltd." for n in range(rows)],
                     "status": [rng.choice(("active", "revoked", "cancelled"))
                                for _ in range(rows)]})


def build_app(folder: Path):
    url = f"sqlite:///{folder / 'bench.db'}"
    engine = create_engine(url)
    metadata.create_all(engine)
    engine.dispose()
    return create_app({
        "DATABASE_URL": url, "SECRET_KEY": "bench", "INSTANCE_PATH": str(folder / "instance"),
        "MAIL_FOLDER": str(folder / "mail"), "SMTP_HOST": "", "SEARCH_POLL_SECONDS": 0,
        "DATAMARKET_PLUGINS_DIR": str(PLUGINS), "DATAMARKET_DISABLE_PLUGIN_AUTOLOAD": False,
        # The whole table travels in the request: give the worker room for it.
        "PLUGIN_WORKER_MEMORY_MB": 2048, "PLUGIN_WORKER_CPU_SECONDS": 3600,
    })


def set_trusted(app, trusted: bool) -> None:
    with Session(get_engine(app)) as session:
        row = session.exec(select(InstalledPlugin).where(InstalledPlugin.name == PLUGIN)).one()
        row.trusted = trusted
        session.add(row)
        session.commit()


def measure(call, codes: list[str], calls: int) -> list[float]:
    """Milliseconds taken by each of ``calls`` calls (after a few to warm up), each on the next
    code of ``codes``; every answer must have found its company."""
    timings = []
    for number in range(WARM_UP + calls):
        code = codes[number % len(codes)]
        start = time.perf_counter_ns()
        answer = call(code)
        elapsed = (time.perf_counter_ns() - start) / 1e6
        if not answer.get("found"):
            raise SystemExit(f"the call did not find {code}: {answer}")
        if number >= WARM_UP:
            timings.append(elapsed)
    return timings


def percentile(timings: list[float], fraction: float) -> float:
    ordered = sorted(timings)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="registry rows (100,000)")
    parser.add_argument("--calls", type=int, default=300, help="calls per lookup-store row")
    parser.add_argument("--table-calls", type=int, default=20,
                        help="calls per whole-table row (each sends the table; default 20)")
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    rng = random.Random(args.seed)
    table = registry(args.rows, rng)
    codes = rng.sample(table.column("credit_code").to_pylist(), min(args.rows, 1000))

    with tempfile.TemporaryDirectory(prefix="datamarket-bench-") as scratch:
        app = build_app(Path(scratch))
        runtime = get_runtime(app)
        runtime.sync()
        parquet = Path(scratch) / "registry.parquet"
        pq.write_table(table, parquet)
        stored = StoredRow(storage_key="benchregistry", product_id=1, organization_id=1,
                           listing_id=1, row_count=args.rows,
                           columns=[{"name": name, "type": "string"}
                                    for name in table.column_names],
                           original_name="registry.csv", original_format="csv", size_bytes=0,
                           sha256="", parquet_bytes=parquet.stat().st_size, uploaded_by_id=1)
        with parquet.open("rb") as source:
            get_store(app).put(stored.parquet_path, source)
        stores = lookup_stores(app)
        started = time.perf_counter()
        stores.ensure(stored)
        build_seconds = time.perf_counter() - started
        store_bytes = stores.path_of(stored).stat().st_size
        in_memory = Dataset(NAME, table.column_names,
                            zip(*(table.column(n).to_pylist() for n in table.column_names),
                                strict=True))

        def through_store(code: str) -> dict:
            return runtime.invoke(PLUGIN, OPERATION, {"credit_code": code}, buyer="bench",
                                  scope=Scope(), datasets={NAME: stores.open(stored, NAME)})

        def whole_table(code: str) -> dict:
            return runtime.invoke(PLUGIN, OPERATION, {"credit_code": code}, buyer="bench",
                                  scope=Scope(), datasets={NAME: in_memory})

        results: dict[tuple[str, str], tuple[int, list[float]]] = {}
        for trusted, where in ((False, "worker process"), (True, "thread")):
            set_trusted(app, trusted)
            results[(where, "lookup store")] = (args.calls,
                                                measure(through_store, codes, args.calls))
            results[(where, "whole table")] = (args.table_calls,
                                               measure(whole_table, codes, args.table_calls))
        runtime.close()
        get_engine(app).dispose()

    print(f"Granted dataset lookups: {PLUGIN}.{OPERATION}, one lookup per call in a registry of "
          f"{args.rows:,} rows")
    print(f"{datetime.date.today().isoformat()}, Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, {platform.system()} {platform.machine()}")
    print(f"Lookup store built once in {build_seconds:.2f} s: {store_bytes / 1048576:.1f} MB")
    print()
    print(f"| {'where the plugin runs':<22} | {'lookup store: median ms':>23} | {'p95 ms':>8} "
          f"| {'whole table: median ms':>22} | {'p95 ms':>8} | {'× faster':>8} |")
    print(f"|{'-' * 24}|{'-' * 25}|{'-' * 10}|{'-' * 24}|{'-' * 10}|{'-' * 10}|")
    for where in ("worker process", "thread"):
        _n, store = results[(where, "lookup store")]
        _m, whole = results[(where, "whole table")]
        print(f"| {where:<22} | {statistics.median(store):>23.2f} | "
              f"{percentile(store, 0.95):>8.2f} | {statistics.median(whole):>22.2f} | "
              f"{percentile(whole, 0.95):>8.2f} | "
              f"{statistics.median(whole) / statistics.median(store):>8.1f} |")
    print()
    print(f"Calls: {args.calls} per lookup-store row, {args.table_calls} per whole-table row.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
