"""How a comparison becomes a verdict: interleaved pairs, the median ratio and its spread.

A ratio such as "first sync ÷ fetch-only" is measured as pairs of passes run back to back
(A B, A B, …), with a CHECKPOINT before each timed pass so that no pass pays for the writes of
the one before it. Each pair gives one ratio: a burst of load from other work on the machine
moves both sides of that pair, and the next pair is a fresh draw. The figure is the median of
the pairs' ratios, with their min-max beside it.

The verdict reads the median's distribution-free confidence interval, the order statistics
[x(k), x(n+1-k)] with k the largest for which the interval covers the true median with at
least 75% probability (1 - 2·P[Binomial(n, ½) < k]): with up to 5 pairs that is min-max, with
6 or 7 the second-lowest to the second-highest — so more pairs can settle a question that one
outlier left open. The verdict is
- *met* when the whole interval is within the target,
- *not met* when the whole interval is outside it,
- otherwise another pair is measured, up to the scale's maximum (7 at full scale), and then
  *unresolved* — which the closing summary counts as not met.
Other verdicts: *not exercised* (the condition under test never arose, e.g. the quota never
bound), *not measured* (a piece is missing), *no target* (a figure reported for information).

Every ratio lands in results.json as `ratio_<name>` (the median) with `verdict_<name>`,
`target_<name>` and `spread_<name>` (n, min, max, the interval, every ratio) beside it.
"""

import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass

MET = "met"
NOT_MET = "not met"
UNRESOLVED = "unresolved"
NOT_EXERCISED = "not exercised"
NOT_MEASURED = "not measured"
NO_TARGET = "no target"
CONFIDENCE = 0.75
KEY_PREFIXES = ("ratio_", "verdict_", "target_", "spread_", "why_")


@dataclass(frozen=True)
class Target:
    limit: float
    at_most: bool = True  # ratio ≤ limit (False: ratio ≥ limit)

    def ok(self, value: float) -> bool:
        return value <= self.limit if self.at_most else value >= self.limit

    @property
    def text(self) -> str:
        return f"{'≤' if self.at_most else '≥'} {self.limit:g}"


def _coverage(n: int, k: int) -> float:
    below = sum(math.comb(n, i) for i in range(k)) / 2**n
    return 1 - 2 * below


def median_interval(values: list[float]) -> tuple[float, float, float]:
    """(low, high, coverage) of the median's order-statistic interval; min-max at least."""
    ordered = sorted(values)
    n = len(ordered)
    k = 1
    while k + 1 <= (n + 1) // 2 and _coverage(n, k + 1) >= CONFIDENCE:
        k += 1
    return ordered[k - 1], ordered[n - k], _coverage(n, k)


def verdict(values: list[float], target: Target | None) -> str:
    if target is None:
        return NO_TARGET
    if not values:
        return NOT_MEASURED
    low, high, _ = median_interval(values)
    if target.ok(low) and target.ok(high):
        return MET
    if not target.ok(low) and not target.ok(high):
        return NOT_MET
    return UNRESOLVED


def sample(
    draw: Callable[[], float],
    *,
    target: Target | None,
    least: int,
    most: int,
    prior: tuple[float, ...] = (),
) -> list[float]:
    """Call `draw` (one pair, or one repeat) until there are `least` ratios (`prior` ones
    count), then again while the verdict is unresolved, up to `most`; return every ratio."""
    values = list(prior)
    while len(values) < least:
        values.append(draw())
    while len(values) < most and verdict(values, target) == UNRESOLVED:
        values.append(draw())
    return values


def comparison(name: str, values: list[float], target: Target | None, *, digits=3) -> dict:
    """The results.json keys of one ratio: ratio_, verdict_, target_ and spread_<name>."""
    figures = {
        f"ratio_{name}": round(statistics.median(values), digits) if values else None,
        f"verdict_{name}": verdict(values, target),
        f"target_{name}": target.text if target else None,
    }
    if values:
        low, high, coverage = median_interval(values)
        figures[f"spread_{name}"] = {
            "n": len(values),
            "min": round(min(values), digits),
            "max": round(max(values), digits),
            "interval": [round(low, digits), round(high, digits)],
            "interval_coverage": round(coverage, 3),
            "values": [round(v, digits) for v in values],
        }
    return figures


def check(name: str, ok: bool | None, *, exercised: bool = True) -> dict:
    """A verdict with no ratio (a count that must be 0, a state that must match)."""
    if not exercised:
        return {f"verdict_{name}": NOT_EXERCISED}
    if ok is None:
        return {f"verdict_{name}": NOT_MEASURED}
    return {f"verdict_{name}": MET if ok else NOT_MET}


def not_measured(name: str, target: Target | None, why: str) -> dict:
    return {
        f"ratio_{name}": None,
        f"verdict_{name}": NOT_MEASURED,
        f"target_{name}": target.text if target else None,
        f"why_{name}": why,
    }


def timed_pass_row(label: str, summary: dict, calls: int) -> tuple[str, str, str]:
    """A report row for a timed pass: its median time and Google calls, and the CPU seconds of
    the syncing process and of the sandbox beside them."""
    return (
        label,
        f"{summary['seconds_median']:.1f} s, {calls:,} calls",
        f"CPU {summary['cpu_seconds_median']:.1f} s; sandbox CPU "
        f"{summary['sandbox_cpu_seconds_median']:.1f} s",
    )


def describe(figures: dict, name: str, *, unit: str = "") -> str:
    """'1.09 (1.02-1.15, 3 pairs)' for the table."""
    value = figures.get(f"ratio_{name}")
    if value is None:
        return "—"
    spread = figures.get(f"spread_{name}") or {}
    n = spread.get("n", 1)
    if n <= 1:
        return f"{value:.2f}{unit}"
    return f"{value:.2f}{unit} ({spread['min']:.2f}-{spread['max']:.2f}, n={n})"


def target_text(figures: dict, name: str, *, label: str | None = None) -> str:
    """'target ≤ 1.25: met' (`label` says the target in other words, e.g. '≤ 300 MB')."""
    target = label or figures.get(f"target_{name}")
    result = figures.get(f"verdict_{name}", NOT_MEASURED)
    return f"target {target}: {result}" if target else result
