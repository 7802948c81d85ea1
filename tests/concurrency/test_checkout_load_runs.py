"""``bench/checkout_load.py`` still runs: a few seconds of load with a few buyers, so a change
cannot leave it broken. Its figures are not asserted (timings do not belong in tests); it must
complete and print every row of its tables."""

from __future__ import annotations

import os

from tests.bench.test_benchmarks_run import _load
from tests.concurrency.stack import DEFAULT_DATABASE_URL


def test_checkout_load_benchmark_runs(capsys):
    bench = _load("checkout_load")
    url = os.environ.get("DATAMARKET_TEST_DATABASE_URL") or DEFAULT_DATABASE_URL
    assert bench.main(["--seconds", "3", "--buyers", "3", "--database-url", url]) == 0
    out = capsys.readouterr().out
    for row in ("Throughput:", "| cart (POST /api/v1/cart)", "| checkout (POST /api/v1/orders)",
                "| pay (POST .../payment)", "| reference: GET /api/v1/cart, signed in",
                "| reference: the pay step's provider calls alone", "| double charges",
                "| refunds where provider and books disagree", "| 5xx answers",
                "| false declines", "| paid lines without entitlement", "| ledger imbalance"):
        assert row in out
