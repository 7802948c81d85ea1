"""How fast the governance plugin desensitizes a large CSV file, against just copying it.

    .venv/bin/python bench/masking_throughput.py [--rows 1000000] [--seed 7]

It first writes (untimed) a CSV file of synthetic people: resident ID numbers, names, mobile
numbers, bank cards and addresses, all valid (check characters from ``datamarket_sdk.synthetic``),
plus a customer number, an amount and a sign-up date. Then it times four passes over the file,
each in a fresh process (forked), so that each one's peak memory is its own:

- ``pyarrow read + write``: pyarrow's streaming CSV reader and writer copy the file, every
  column as text; the baseline of the columnar path;
- ``columnar mask``: ``columnar_csv.mask_csv``, the same reader and writer with five columns masked
  in between (pseudonymize the ID, fully mask the name, partially mask the mobile, truncate the
  card to its issuer number, generalize the address to its city) and formula-looking cells
  neutralised;
- ``csv read + write``: the plugin's row reader and writer (``CsvRowReader``, ``CsvRowWriter``,
  the standard library's csv module) copy the file; the baseline of the row path;
- ``csv read + mask + write``: the same with every row through ``apply_policy`` and the same
  policies: the streaming path the ``desensitize`` operation takes for XLSX files and rows.

It prints rows per second, each masked pass's throughput as a share of its own baseline's, the
CPU seconds each pass used (all its threads: above the wall time, they ran in parallel), and
the peak resident memory of each pass's process (``ru_maxrss``): every pass streams, so it
stays flat however many rows there are.
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
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
from datamarket_governance_tools.columnar_csv import mask_csv
from datamarket_governance_tools.masking import FieldPolicy, apply_policy
from datamarket_governance_tools.regions import CITIES
from datamarket_governance_tools.tabular import CsvRowReader, CsvRowWriter
from datamarket_sdk import synthetic

COLUMNS = ["customer_no", "id_number", "name", "mobile", "bank_card", "address", "amount",
           "signup_date"]
POLICIES = [
    FieldPolicy(field="id_number", strategy="pseudonymize"),
    FieldPolicy(field="name", strategy="full_mask"),
    FieldPolicy(field="mobile", strategy="partial_mask"),
    FieldPolicy(field="bank_card", strategy="truncate", params={"length": 6}),
    FieldPolicy(field="address", strategy="generalize_address", params={"to": "city"}),
]
KEY = b"benchmark-key-not-a-secret-0123456789"
# Real county-level codes, so the IDs are valid.
REGIONS = ("110105", "110108", "310104", "310115", "440305", "440106", "330106", "510107",
           "420111", "320102")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
STREETS = ("科技园路", "建设路", "人民路", "解放路", "中山路", "和平街", "长江路", "新华街")
CARD_BINS = ("622202", "622848", "621700", "622588", "621226")
MOBILE_PREFIXES = ("138", "139", "150", "186", "177", "199", "135", "158")


def synthetic_rows(count: int, seed: int) -> Iterator[dict[str, str]]:
    """``count`` synthetic people whose identifiers pass their checksums."""
    rng = random.Random(seed)
    cities = [(city, province) for city, province in CITIES.items() if city != province]
    first_day = datetime.date(1950, 1, 1).toordinal()
    for number in range(1, count + 1):
        birth = datetime.date.fromordinal(first_day + rng.randrange(20000))
        card = f"{rng.choice(CARD_BINS)}{rng.randrange(10**12):012d}"
        person = synthetic.resident_id(rng.choice(REGIONS), birth, rng.randrange(1000))
        city, province = rng.choice(cities)
        signup = datetime.date(2020, 1, 1) + datetime.timedelta(days=rng.randrange(1500))
        yield {
            "customer_no": f"C{number:08d}",
            "id_number": person,
            "name": rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2)))),
            "mobile": f"{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**8):08d}",
            "bank_card": synthetic.card_number(card),
            "address": f"{province}{city}{rng.choice(STREETS)}{rng.randrange(1, 999)}号",
            "amount": f"{rng.randrange(100, 10**6) / 100:.2f}",
            "signup_date": signup.isoformat(),
        }


def write_rows(path: Path, rows: Iterable[Mapping[str, Any]]) -> int:
    with path.open("w", encoding="utf-8", newline="") as file:
        return CsvRowWriter(file, COLUMNS).write_rows(rows)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def arrow_copy(source: Path, target: Path) -> int:
    reader = pa_csv.open_csv(source, convert_options=pa_csv.ConvertOptions(
        column_types={name: pa.string() for name in COLUMNS}))
    rows = 0
    with pa_csv.CSVWriter(target, reader.schema) as writer:
        for batch in reader:
            writer.write_batch(batch)
            rows += batch.num_rows
    return rows


def columnar_mask(source: Path, target: Path) -> int:
    return mask_csv(source, target, POLICIES, KEY)


def row_pass(transform: Callable[[Iterable[Mapping[str, Any]]], Iterable[Mapping[str, Any]]]
             ) -> Callable[[Path, Path], int]:
    def run(source: Path, target: Path) -> int:
        with source.open(encoding="utf-8-sig", newline="") as file:
            return write_rows(target, transform(CsvRowReader(file)))

    return run


PASSES: list[tuple[str, Callable[[Path, Path], int], int]] = [
    # label, the pass, and the row of its baseline
    ("pyarrow read + write", arrow_copy, 0),
    ("columnar mask", columnar_mask, 0),
    ("csv read + write", row_pass(lambda rows: rows), 2),
    ("csv read + mask + write", row_pass(lambda rows: apply_policy(rows, POLICIES, KEY)), 2),
]


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _child(run: Callable[[Path, Path], int], source: Path, target: Path, results: Any) -> None:
    start, cpu = time.perf_counter(), _cpu_seconds()
    rows = run(source, target)
    results.put((rows, time.perf_counter() - start, _cpu_seconds() - cpu, _peak_mb()))


def timed_pass(run: Callable[[Path, Path], int], source: Path, target: Path
               ) -> tuple[int, float, float, float]:
    """Rows copied from ``source`` to ``target`` by ``run`` in a forked process, seconds, the
    CPU seconds it used (all its threads), and its peak RSS in MB."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    child = context.Process(target=_child, args=(run, source, target, results))
    child.start()
    outcome = results.get()
    child.join()
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000,
                        help="rows in the generated file (default 1,000,000)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the synthetic data")
    args = parser.parse_args(argv)
    if args.rows < 1:
        parser.error("--rows must be at least 1")

    with tempfile.TemporaryDirectory(prefix="datamarket-bench-") as scratch:
        folder = Path(scratch)
        source = folder / "people.csv"
        write_rows(source, synthetic_rows(args.rows, args.seed))
        size_mb = source.stat().st_size / 2**20
        results = [(label, timed_pass(run, source, folder / "out.csv"), baseline)
                   for label, run, baseline in PASSES]

    print(f"Masking throughput: {args.rows:,} synthetic rows, {len(COLUMNS)} columns, "
          f"{size_mb:.1f} MB of CSV; {len(POLICIES)} policies: "
          + ", ".join(f"{p.field} {p.strategy}" for p in POLICIES))
    print(f"{datetime.date.today().isoformat()}, Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, {platform.system()} {platform.machine()}")
    print()
    print(f"| {'pass':<24} | {'rows':>10} | {'seconds':>8} | {'CPU s':>6} | {'rows/s':>9} | "
          f"{'× its baseline':>14} | {'peak RSS MB':>11} |")
    print(f"|{'-' * 26}|{'-' * 12}|{'-' * 10}|{'-' * 8}|{'-' * 11}|{'-' * 16}|{'-' * 13}|")
    for label, (count, seconds, cpu, peak_mb), baseline in results:
        rate = count / seconds
        base_count, base_seconds, _cpu, _peak = results[baseline][1]
        print(f"| {label:<24} | {count:>10,} | {seconds:>8.2f} | {cpu:>6.2f} | {rate:>9,.0f} | "
              f"{rate / (base_count / base_seconds):>14.2f} | {peak_mb:>11.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
