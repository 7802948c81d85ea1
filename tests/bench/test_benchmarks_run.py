"""The benchmarks still run: a handful of calls each, so a refactor cannot leave them broken.

Figures are not asserted (timings do not belong in tests); the benchmark must complete and print
every row of its table.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_plugin_overhead_benchmark_runs(capsys):
    bench = _load("plugin_overhead")
    assert bench.main(["--calls", "5", "--process-calls", "3"]) == 0
    table = capsys.readouterr().out
    for row in ("handler, direct call", "Operation.run (validation)",
                "runtime, trusted (thread)", "runtime, untrusted (process)"):
        assert f"| {row}" in table


def test_masking_throughput_benchmark_runs(capsys):
    bench = _load("masking_throughput")
    assert bench.main(["--rows", "200", "--seed", "3"]) == 0
    table = capsys.readouterr().out
    for row in ("pyarrow read + write", "columnar mask", "csv read + write",
                "csv read + mask + write"):
        assert f"| {row} " in table
    assert table.count("|        200 |") == 4


def test_governance_accuracy_benchmark_runs(capsys):
    bench = _load("governance_accuracy")
    assert bench.main(["--values-per-kind", "20", "--columns", "20", "--rows", "20"]) == 0
    table = capsys.readouterr().out
    for row in ("| resident_id ", "| person_name ", "| address ", "| none ", "| hinted ",
                "| masked ", "| all ", "detect_value:", "detect_column:",
                "### Evaluation set, identifiers:", "### Evaluation set, names:",
                "### Evaluation set, free text:", "## The synthetic corpus"):
        assert row in table


def test_search_benchmark_runs(capsys):
    bench = _load("search")
    assert bench.main(["--sizes", "300", "--queries", "5", "--seed", "3"]) == 0
    table = capsys.readouterr().out
    for engine in ("| whoosh ", "| fts5 ", "| whoosh, plain "):
        assert engine in table
    assert "| 300 " in table and "filtered + faceted" in table


def test_storefront_benchmark_runs(capsys):
    bench = _load("storefront")
    assert bench.main(["--seconds", "0.5", "--connections", "2", "--client", "python"]) == 0
    table = capsys.readouterr().out
    for row in ("bare JSON (reference)", "primary-key select (reference)", "home page",
                "browse", "search + facet", "product page", "list API"):
        assert f"| {row}" in table


def test_gateway_overhead_benchmark_runs(capsys):
    bench = _load("gateway_overhead")
    assert bench.main(["--seconds", "0.5", "--rounds", "1", "--connections", "2",
                       "--client", "python", "--cpu-calls", "20"]) == 0
    table = capsys.readouterr().out
    for row in ("| primary-key select (reference)", "| gateway call (bench_echo.echo)",
                "(goal: 0.60 or more)", "CPU per request in one process (test client, 20 "):
        assert row in table


def test_downloads_benchmark_runs(capsys):
    bench = _load("downloads")
    assert bench.main(["--rows", "300", "--rounds", "1", "--false-positive-keys", "20"]) == 0
    table = capsys.readouterr().out
    for fmt in ("csv", "parquet", "xlsx"):
        assert table.count(f"| {fmt:<7} |") == 2
    assert table.count("|        300 |") == 6
    # Each export row ends with its rounds' ratios: one round, one ratio.
    exports = [line for line in table.splitlines() if "| export " in line]
    assert len(exports) == 3 and all(re.search(r"\| \d+\.\d\d$", line) for line in exports)
    assert "False positives:" in table and "named 0;" in table


def test_dataset_lookup_benchmark_runs(capsys):
    bench = _load("dataset_lookup")
    assert bench.main(["--rows", "300", "--calls", "3", "--table-calls", "2"]) == 0
    table = capsys.readouterr().out
    assert "Lookup store built once in" in table
    for row in ("| worker process ", "| thread "):
        assert row in table
