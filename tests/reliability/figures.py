"""`python -m tests.reliability.figures`: the figures of the last reliability run, summed.

Reads test-artifacts/reliability-figures.jsonl (written by tests/reliability/conftest.py; delete
it before a run to start afresh) and prints one line per suite and a total.
"""

import json
from collections import Counter, defaultdict

from tests.conftest import ARTIFACTS

FIGURES = ARTIFACTS / "reliability-figures.jsonl"


def main() -> None:
    suites: dict[str, Counter] = defaultdict(Counter)
    faults: dict[str, Counter] = defaultdict(Counter)
    for line in FIGURES.read_text().splitlines():
        figure = json.loads(line)
        suite = figure["test"].split("::")[0].rsplit("/", 1)[-1].removesuffix(".py")
        totals = suites[suite]
        totals["tests"] += 1
        totals["passed"] += figure["passed"]
        for key in ("runs", "api_calls", "held", "failed", "skipped_records", "removals_applied"):
            totals[key] += figure[key]
        faults[suite].update(figure["faults_met"])
    columns = ("tests", "passed", "runs", "api_calls", "held", "failed", "skipped_records")
    print("suite".ljust(18) + "".join(c.rjust(16) for c in columns) + "  faults met")
    grand, grand_faults = Counter(), Counter()
    for suite in sorted(suites):
        grand.update(suites[suite])
        grand_faults.update(faults[suite])
        print(_row(suite, suites[suite], faults[suite], columns))
    print(_row("total", grand, grand_faults, columns))


def _row(name, totals, faults, columns) -> str:
    met = ", ".join(f"{kind} {count}" for kind, count in sorted(faults.items())) or "-"
    return name.ljust(18) + "".join(str(totals[c]).rjust(16) for c in columns) + f"  {met}"


if __name__ == "__main__":
    main()
