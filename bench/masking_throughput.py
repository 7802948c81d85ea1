"""How fast the governance plugin desensitizes a large CSV file, against just copying it.

    .venv/bin/python bench/masking_throughput.py [--rows 1000000] [--seed 7]

It first writes (untimed) a CSV file of synthetic people: resident ID numbers, names, mobile
numbers, bank cards and addresses, all valid (check digits from python-stdnum), plus a customer
number, an amount and a sign-up date. Then, with the same reader (``CsvRowReader``) and writer
(``CsvRowWriter``) over files, it times two passes over the file:

- ``read + write``: every row copied unchanged, the baseline;
- ``read + mask + write``: every row through ``apply_policy`` with one strategy per sensitive
  column (pseudonymize the ID, fully mask the name, partially mask the mobile, truncate the card
  to its issuer number, generalize the address to its city, shift the sign-up date per person).

It prints rows per second for each, the masked pass's throughput as a share of the baseline's,
and the process's peak resident memory after each pass (``ru_maxrss``): both passes stream,
so it stays flat however many rows there are.
"""

from __future__ import annotations

import argparse
import datetime
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

from datamarket_governance_tools.masking import FieldPolicy, apply_policy
from datamarket_governance_tools.regions import CITIES
from datamarket_governance_tools.tabular import CsvRowReader, CsvRowWriter
from stdnum import luhn
from stdnum.cn import ric

COLUMNS = ["customer_no", "id_number", "name", "mobile", "bank_card", "address", "amount",
           "signup_date"]
POLICIES = [
    FieldPolicy(field="id_number", strategy="pseudonymize"),
    FieldPolicy(field="name", strategy="full_mask"),
    FieldPolicy(field="mobile", strategy="partial_mask"),
    FieldPolicy(field="bank_card", strategy="truncate", params={"length": 6}),
    FieldPolicy(field="address", strategy="generalize_address", params={"to": "city"}),
    FieldPolicy(field="signup_date", strategy="shift_date",
                params={"max_days": 30, "entity_field": "id_number"}),
]
KEY = b"benchmark-key-not-a-secret-0123456789"
# Real county-level codes (python-stdnum checks the region), so the IDs are valid.
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
        body = f"{rng.choice(REGIONS)}{birth:%Y%m%d}{rng.randrange(1000):03d}"
        card = f"{rng.choice(CARD_BINS)}{rng.randrange(10**12):012d}"
        city, province = rng.choice(cities)
        signup = datetime.date(2020, 1, 1) + datetime.timedelta(days=rng.randrange(1500))
        yield {
            "customer_no": f"C{number:08d}",
            "id_number": body + ric.calc_check_digit(body + "0"),
            "name": rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2)))),
            "mobile": f"{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**8):08d}",
            "bank_card": card + luhn.calc_check_digit(card),
            "address": f"{province}{city}{rng.choice(STREETS)}{rng.randrange(1, 999)}号",
            "amount": f"{rng.randrange(100, 10**6) / 100:.2f}",
            "signup_date": signup.isoformat(),
        }


def write_rows(path: Path, rows: Iterable[Mapping[str, Any]]) -> int:
    with path.open("w", encoding="utf-8", newline="") as file:
        return CsvRowWriter(file, COLUMNS).write_rows(rows)


def timed_pass(source: Path, target: Path,
               transform: Callable[[Iterable[Mapping[str, Any]]], Iterable[Mapping[str, Any]]]
               ) -> tuple[int, float, float]:
    """Rows copied from ``source`` to ``target`` through ``transform``, seconds, peak RSS MB."""
    start = time.perf_counter()
    with source.open(encoding="utf-8-sig", newline="") as file:
        count = write_rows(target, transform(CsvRowReader(file)))
    seconds = time.perf_counter() - start
    # ru_maxrss is in kilobytes on Linux.
    return count, seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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
        passes = [
            ("read + write (baseline)", timed_pass(source, folder / "copy.csv", lambda rows: rows)),
            ("read + mask + write", timed_pass(
                source, folder / "masked.csv", lambda rows: apply_policy(rows, POLICIES, KEY))),
        ]

    baseline_rate = passes[0][1][0] / passes[0][1][1]
    print(f"Masking throughput: {args.rows:,} synthetic rows, {len(COLUMNS)} columns, "
          f"{size_mb:.1f} MB of CSV; {len(POLICIES)} policies: "
          + ", ".join(f"{p.field} {p.strategy}" for p in POLICIES))
    print(f"{datetime.date.today().isoformat()}, Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, {platform.system()} {platform.machine()}")
    print()
    print(f"| {'pass':<24} | {'rows':>10} | {'seconds':>8} | {'rows/s':>9} | "
          f"{'× baseline':>10} | {'peak RSS MB':>11} |")
    print(f"|{'-' * 26}|{'-' * 12}|{'-' * 10}|{'-' * 11}|{'-' * 12}|{'-' * 13}|")
    for label, (count, seconds, peak_mb) in passes:
        rate = count / seconds
        print(f"| {label:<24} | {count:>10,} | {seconds:>8.2f} | {rate:>9,.0f} | "
              f"{rate / baseline_rate:>10.2f} | {peak_mb:>11.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
