"""The benchmarks still run: a handful of calls each, so a refactor cannot leave them broken.

Figures are not asserted (timings do not belong in tests); the benchmark must complete and print
every row of its table.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_plugin_overhead_benchmark_runs(capsys):
    bench = _load("plugin_overhead")
    assert bench.main(["--calls", "5", "--process-calls", "3"]) == 0
    table = capsys.readouterr().out
    for row in ("handler, direct call", "Operation.run (validation)",
                "runtime, trusted (thread)", "runtime, untrusted (process)"):
        assert f"| {row}" in table
