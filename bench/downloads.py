"""How fast a data package download is produced, against pyarrow copying the same file.

    .venv/bin/python bench/downloads.py [--rows 250000,1000000] [--formats csv,parquet,xlsx]
                                        [--seed 7] [--false-positive-keys 2000]

For each row count it first writes (untimed) a Parquet dataset of synthetic customer accounts,
nine columns in row groups of 65,536 rows: a customer number, a resident ID number, a name, a
city, a balance and a rate (decimals), a sign-up date, a free-text note (some formula-looking)
and an internal column. Then it times, each in a fresh process (forked, so that each one's
peak memory is its own), for each format:

- ``pyarrow read + write``: the dataset's batches read with pyarrow and written with pyarrow's
  own writer of that format (CSV, Parquet); for XLSX, which pyarrow does not write, with
  openpyxl's write-only mode, the same writer the export uses: the baseline;
- ``export``: the same batches through ``marketplace.delivery.exports.export``: the output
  policy of a real app's runtime (the internal column out of scope, the ID number masked by the
  governance plugin's ``partial_mask``, on a pool thread as a trusted plugin runs), the
  watermark in both decimal columns, formula-looking cells neutralised (CSV, XLSX), the writer.

Both write eight columns. It prints rows per second, the export's throughput as a share of
its baseline's (goal: 0.5 or better), and the peak resident memory of each pass's process
(``ru_maxrss``) and of Arrow's memory pool, which stay flat from the smaller row count to the
larger one because both passes stream a batch at a time. Last, the false-positive check: the
exported CSV scored against ``--false-positive-keys`` entitlements it was not issued under, and
an unmarked copy against the same keys; it prints the highest agreement seen and how many
were named (the threshold allows 1e-9 over the number of candidates).
"""

from __future__ import annotations

import argparse
import datetime
import multiprocessing
import os
import platform
import random
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from statistics import median
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCHEMA = pa.schema([("customer_no", pa.string()), ("id_number", pa.string()),
                    ("name", pa.string()), ("city", pa.string()), ("balance", pa.float64()),
                    ("rate", pa.float64()), ("signup_date", pa.date32()),
                    ("note", pa.string()), ("internal_ref", pa.string())])
DELIVERED = [name for name in SCHEMA.names if name != "internal_ref"]
MASKED = {"id_number": "partial_mask"}
BATCH_ROWS = 65_536
SECRET = "bench-secret-key"
REGIONS = ("110105", "110108", "310104", "310115", "440305", "440106", "330106", "510107")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
CITIES = ("北京", "上海", "广州", "深圳", "杭州", "成都", "武汉", "南京", "西安", "重庆")
NOTES = ("", "VIP", "=HYPERLINK(\"http://example.com\")", "-12.5", "续费", "@SUM(A1)")


def write_dataset(path: Path, rows: int, seed: int) -> None:
    """``rows`` synthetic accounts as Parquet, generated and written a row group at a time."""
    from datamarket_sdk import synthetic

    rng = random.Random(seed)
    first_day = datetime.date(1950, 1, 1).toordinal()
    signup = datetime.date(2020, 1, 1)
    with pq.ParquetWriter(path, SCHEMA) as writer:
        for start in range(0, rows, BATCH_ROWS):
            count = min(BATCH_ROWS, rows - start)
            writer.write_batch(pa.record_batch([
                [f"C{number:08d}" for number in range(start, start + count)],
                [synthetic.resident_id(rng.choice(REGIONS), datetime.date.fromordinal(
                    first_day + rng.randrange(20000)), rng.randrange(1000))
                 for _ in range(count)],
                [rng.choice(SURNAMES) + rng.choice(GIVEN) for _ in range(count)],
                [rng.choice(CITIES) for _ in range(count)],
                [rng.randrange(-10**6, 10**8) / 100 for _ in range(count)],
                [rng.randrange(10**5) / 10**6 for _ in range(count)],
                [signup + datetime.timedelta(days=rng.randrange(1500)) for _ in range(count)],
                [rng.choice(NOTES) for _ in range(count)],
                [f"R{rng.randrange(10**9)}" for _ in range(count)],
            ], schema=SCHEMA))


def _batches(source: Path) -> Iterator[pa.RecordBatch]:
    # Without pre-buffering and reader threads, pyarrow holds one row group at a time: with
    # them, its pool grew with the file (36 MB at 250,000 rows, 72 MB at 1,000,000).
    yield from pq.ParquetFile(source, pre_buffer=False).iter_batches(batch_size=BATCH_ROWS,
                                                                     use_threads=False)


def baseline(fmt: str, source: Path, target: Path) -> int:
    """pyarrow reads the dataset and writes the delivered columns (openpyxl for XLSX)."""
    schema = pa.schema([SCHEMA.field(name) for name in DELIVERED])
    rows = 0
    with target.open("wb") as out:
        if fmt == "xlsx":
            from openpyxl import Workbook

            book = Workbook(write_only=True)
            sheet = book.create_sheet("data")
            sheet.append(DELIVERED)
        else:
            writer = (pa_csv.CSVWriter(out, schema) if fmt == "csv"
                      else pq.ParquetWriter(out, schema, compression="snappy"))
        for batch in _batches(source):
            batch = batch.select(DELIVERED)
            if fmt == "xlsx":
                for row in zip(*(column.to_pylist() for column in batch.columns), strict=True):
                    sheet.append(row)
            else:
                writer.write_batch(batch)
            rows += batch.num_rows
        if fmt == "xlsx":
            book.save(out)
        else:
            writer.close()
    return rows


def prepare_database(folder: Path) -> None:
    """A migrated SQLite database for the export passes' app, made once before they fork."""
    from marketplace import migrate

    folder.mkdir(parents=True, exist_ok=True)
    _database_environment(folder)
    migrate.upgrade(os.environ["DATABASE_URL"])


def _database_environment(folder: Path) -> None:
    os.environ.update({"DATAMARKET_INSTANCE_PATH": str(folder / "instance"),
                       "DATABASE_URL": f"sqlite:///{folder / 'bench.db'}",
                       "SECRET_KEY": SECRET, "STRIPE_API_BASE": "http://127.0.0.1:9"})


def _runtime() -> Any:
    """A real app on that database and its plugin runtime with the governance plugin."""
    from marketplace import create_app
    from marketplace.plugins import get_runtime

    runtime = get_runtime(create_app({"SEARCH_POLL_SECONDS": 0}))
    runtime.sync()
    return runtime


def exported(fmt: str, source: Path, target: Path) -> int:
    """The dataset through the export engine, with the output policy and the watermark."""
    from marketplace.delivery.exports.engine import export
    from marketplace.delivery.exports.policy import ExportPolicy
    from marketplace.delivery.exports.watermark import entitlement_key
    from marketplace.delivery.scope import OperationGrant

    runtime = _runtime()
    grant = OperationGrant("data.package", fields=frozenset(DELIVERED), masking=MASKED)
    policy = ExportPolicy.of(grant, runtime, buyer="bench-buyer")
    # A server has imported the plugin before: its first masking call here is not timed.
    policy.apply(next(_batches(source)).slice(0, 10), policy.output_schema(SCHEMA))
    try:
        with target.open("wb") as out:
            started, cpu = time.perf_counter(), time.process_time()
            report = export(_batches(source), SCHEMA, policy=policy,
                            watermark_key=entitlement_key(SECRET, 1), fmt=fmt, out=out)
            _Timer.seconds = time.perf_counter() - started
            _Timer.cpu = time.process_time() - cpu
    finally:
        runtime.close()
    return report.rows


class _Timer:
    """The export's own seconds, without making the app (done once per process)."""

    seconds: float | None = None
    cpu: float | None = None


def _peak_mb() -> tuple[float, float]:
    """The process's peak resident memory and the peak of Arrow's memory pool, in MB."""
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # kilobytes on Linux
            pa.default_memory_pool().max_memory() / 2**20)


def _child(run: Callable[[str, Path, Path], int], fmt: str, source: Path, target: Path,
           results: Any) -> None:
    start, cpu = time.perf_counter(), time.process_time()
    try:
        rows = run(fmt, source, target)
    except BaseException as error:  # the parent waits for an answer: give it the failure
        results.put(error)
        raise
    seconds = _Timer.seconds if _Timer.seconds is not None else time.perf_counter() - start
    cpu = _Timer.cpu if _Timer.cpu is not None else time.process_time() - cpu
    results.put((rows, seconds, cpu, *_peak_mb()))


def timed_pass(run: Callable[[str, Path, Path], int], fmt: str, source: Path, target: Path
               ) -> tuple[int, float, float, float, float]:
    """Rows written by ``run`` in a forked process, seconds, CPU seconds (every thread of the
    process), its peak RSS and Arrow's peak in MB."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    child = context.Process(target=_child, args=(run, fmt, source, target, results))
    child.start()
    outcome = results.get()
    child.join()
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


def false_positives(folder: Path, source: Path, keys: int) -> tuple[float, int, float, int]:
    """(highest share, number named) of ``keys`` wrong entitlements against a marked export,
    then against an unmarked copy of the same data."""
    from marketplace.delivery.exports.identify import file_votes
    from marketplace.delivery.exports.watermark import entitlement_key, score

    marked, plain = folder / "fp-marked.csv", folder / "fp-plain.csv"
    exported("csv", source, marked)
    baseline("csv", source, plain)
    outcome: list[float | int] = []
    for path in (marked, plain):
        votes = file_votes(path)
        scores = [score(votes, entitlement_key(SECRET, number)) for number in range(2, keys + 2)]
        outcome += [max(item.share for item in scores),
                    sum(item.names(keys) for item in scores)]
    return tuple(outcome)  # type: ignore[return-value]


def in_child(function: Callable[..., None], *args: Any) -> None:
    """Run ``function(*args)`` in a forked process and wait for it."""
    child = multiprocessing.get_context("fork").Process(target=function, args=args)
    child.start()
    child.join()
    if child.exitcode:
        raise RuntimeError(f"{function.__name__} failed in its process")


def print_rounds(fmt: str, label: str, rounds: list[tuple[tuple, tuple]]) -> None:
    """The baseline's and the export's rows of the table, from (baseline, export) pairs."""
    # Both passes write the same rows: the throughput ratio is the ratio of the seconds.
    ratios = [base[1] / mine[1] for base, mine in rounds]
    cpu_ratios = [base[2] / mine[2] for base, mine in rounds]
    for index, name in enumerate((label, "export")):
        passes = [pair[index] for pair in rounds]
        rows = passes[0][0]
        seconds, cpu, peak, arrow = (median(p[i] for p in passes) for i in (1, 2, 3, 4))
        ratio, cpu_ratio = (median(ratios), median(cpu_ratios)) if index else (1.0, 1.0)
        spread = ", ".join(f"{r:.2f}" for r in ratios) if index else ""
        print(f"| {fmt:<7} | {name:<23} | {rows:>10,} | {seconds:>8.2f} | "
              f"{rows / seconds:>9,.0f} | {ratio:>9.2f} | {cpu:>6.2f} | {cpu_ratio:>5.2f} | "
              f"{peak:>11.1f} | {arrow:>13.1f} | {spread}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="250000,1000000",
                        help="row counts, comma-separated (default 250000,1000000)")
    parser.add_argument("--formats", default="csv,parquet,xlsx",
                        help="formats, comma-separated (default csv,parquet,xlsx)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the synthetic data")
    parser.add_argument("--rounds", type=int, default=3,
                        help="baseline / export pairs per format and size, alternating; the "
                             "table shows each pass's median and the median of the rounds' "
                             "ratios (default 3)")
    parser.add_argument("--false-positive-keys", type=int, default=2000,
                        help="wrong entitlements scored against a file (0: skip)")
    args = parser.parse_args(argv)
    counts = [int(value) for value in args.rows.split(",")]
    formats = [value.strip() for value in args.formats.split(",")]
    if min(counts) < 1 or args.rounds < 1 or not set(formats) <= {"csv", "parquet", "xlsx"}:
        parser.error("--rows and --rounds must be positive; --formats among csv, parquet, xlsx")

    print(f"Downloads: synthetic accounts, {len(DELIVERED)} of {len(SCHEMA)} columns delivered, "
          f"{', '.join(f'{name} {strategy}' for name, strategy in MASKED.items())}, "
          f"watermark in 2 decimal columns")
    print(f"{datetime.date.today().isoformat()}, Python {platform.python_version()}, "
          f"pyarrow {pa.__version__}, {os.cpu_count()} CPUs, {platform.system()} "
          f"{platform.machine()}")
    print()
    print(f"Each pass in a process of its own, {args.rounds} rounds of baseline then export; "
          f"medians shown, × pyarrow is the median of the rounds' ratios (all of them in "
          f"brackets) and CPU × the same for CPU seconds.")
    print()
    print(f"| {'format':<7} | {'pass':<23} | {'rows':>10} | {'seconds':>8} | {'rows/s':>9} | "
          f"{'× pyarrow':>9} | {'CPU s':>6} | {'CPU ×':>5} | {'peak RSS MB':>11} | "
          f"{'Arrow peak MB':>13} | rounds' ×")
    print(f"|{'-' * 9}|{'-' * 25}|{'-' * 12}|{'-' * 10}|{'-' * 11}|{'-' * 11}|{'-' * 8}|"
          f"{'-' * 7}|{'-' * 13}|{'-' * 15}|{'-' * 10}|")
    with tempfile.TemporaryDirectory(prefix="datamarket-bench-") as scratch:
        folder = Path(scratch)
        # In processes of their own, so that the passes forked from this one start small.
        in_child(prepare_database, folder / "app")
        _database_environment(folder / "app")
        for count in counts:
            source = folder / f"accounts-{count}.parquet"
            in_child(write_dataset, source, count, args.seed)
            for fmt in formats:
                rounds = [(timed_pass(baseline, fmt, source, folder / f"base.{fmt}"),
                           timed_pass(exported, fmt, source, folder / f"export.{fmt}"))
                          for _ in range(args.rounds)]
                label = "pyarrow read + write" if fmt != "xlsx" else "pyarrow read + openpyxl"
                print_rounds(fmt, label, rounds)
        if args.false_positive_keys:
            keys = args.false_positive_keys
            high, named, plain_high, plain_named = false_positives(folder, source, keys)
            print()
            print(f"False positives: the {counts[-1]:,}-row CSV export scored against {keys:,} "
                  f"entitlements it was not issued under: highest agreement {high:.1%}, "
                  f"named {named}; its unmarked copy: highest {plain_high:.1%}, "
                  f"named {plain_named}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
