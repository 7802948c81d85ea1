"""Print the score of the last `mutmut run` (`make mutate`) from mutmut's exported counts.

A mutant is caught when a test fails (killed) or hangs past mutmut's timeout; one that no
selected test even runs ("no tests") counts as survived. The score is caught / mutants checked.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

STATS = Path("mutants/mutmut-cicd-stats.json")


def main() -> int:
    if not STATS.exists():
        print(f"{STATS} is missing: run `make mutate` (mutmut run, then export-cicd-stats)")
        return 2
    s = json.loads(STATS.read_text())
    caught = s["killed"] + s["timeout"] + s["segfault"]
    missed = s["survived"] + s["no_tests"] + s["suspicious"]
    checked = caught + missed
    print(f"mutants: {s['total']}  killed: {s['killed']}  timeout: {s['timeout']}  "
          f"segfault: {s['segfault']}  survived: {s['survived']}  no tests: {s['no_tests']}  "
          f"suspicious: {s['suspicious']}  skipped: {s['skipped']}")
    print(f"mutation score: {caught}/{checked} = {caught / checked:.3f}" if checked else
          "mutation score: no mutant was checked")
    return 0


if __name__ == "__main__":
    sys.exit(main())
